"""One algorithm, two stores: `Schedule` and `_schedule.lua` agree on every operation.

Hypothesis draws a limit and a run of operations (book, answer, 429, give back, cool down,
let time pass) at increasing times, each answer with its owner's fastest round trip; the
same run goes to a `Schedule` and to the script on a real redis-server, given the same
clock (the script's test seam: production calls pass "" and the server's `TIME` is used).
Both must answer the same times, 429 estimates, re-bookings, rates and sizes, to the last
bit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from redis import Redis

from cubicl_async._fleet import SCRIPT
from cubicl_async._schedule import Schedule

from . import test_redis
from .test_redis import RedisServer

redis_server = test_redis.redis_server  # the session's server, a fixture here too

OPS = st.sampled_from(["reserve", "reserve", "reserve", "answer", "answer", "429", "429",
                       "release", "cool", "tick"])  # fmt: skip
#: The owner's fastest round trip passed with an answer: none, some, past `period`, < 0.
FASTEST = st.sampled_from([0.0, 0.0, 0.0, 0.01, 0.05, 0.37, 0.999, 1.0, 2.5, 4.0, -0.5])
STEP = st.tuples(st.sampled_from([0.0, 0.0, 0.05, 0.1, 0.37, 1.0, 2.5]), OPS, st.integers(0, 30),
                 FASTEST)  # fmt: skip


@pytest.fixture(scope="module")
def sync_redis(redis_server: RedisServer) -> Iterator[Redis]:
    """Yield a blocking client of the session's server (hypothesis drives it without a loop)."""
    client = Redis.from_url(redis_server.url, decode_responses=True)
    yield client
    client.close()


class Lua:
    """The script, called with an explicit clock, as one owner that never dies."""

    def __init__(self, redis: Redis, requests: int, period: float, headroom: float) -> None:
        self.redis, self.script = redis, redis.register_script(SCRIPT)
        self.config = [str(requests), repr(period), repr(headroom), "1e9", "", "0"]

    def __call__(self, op: str, now: float, *args: str) -> list[Any]:
        """Run `op` at `now` (the seam: production passes "" and the server's TIME is used)."""
        argv = [op, repr(now), "owner", *self.config, *args]
        reply: list[Any] = self.script(keys=["{diff}"], args=argv)
        return reply


View = tuple[float, float, float, int, int, int, float | None, int]


def view(s: Schedule) -> View:
    """Return the parts of a Schedule that a reply carries (the first slot to free too)."""
    first = s.done[0][0] if s.done else None
    return (s.rate, s.tat, s.until, s.window(), len(s.held), len(s.done), first, len(s.queue))


def reply_view(r: list[Any]) -> View:
    """Return the same parts, from the script's reply."""
    first = float(r[9]) if r[9] else None
    return (float(r[3]), float(r[4]), float(r[5]), r[6], r[7], r[8], first, r[10])


def moves(r: list[Any]) -> list[tuple[str, float | None]]:
    """Return the re-bookings a reply carries."""
    return [(r[i], float(r[i + 1]) if r[i + 1] else None) for i in range(14, len(r), 2)]


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    requests=st.integers(1, 6),
    period=st.sampled_from([1.0, 2.5]),
    headroom=st.sampled_from([0.995, 1.0, 0.9]),
    steps=st.lists(STEP, min_size=10, max_size=80),
)
# an answer long after its booking, with a round trip over `period` (clamped to it)
@example(
    requests=1,
    period=1.0,
    headroom=1.0,
    steps=[(0.0, "reserve", 0, 0.0), (2.5, "answer", 0, 4.0), (0.0, "reserve", 0, 0.0)],
)
def test_the_script_and_the_schedule_agree_on_every_operation(
    sync_redis: Redis, requests: int, period: float, headroom: float,
    steps: list[tuple[float, str, int, float]],
) -> None:  # fmt: skip
    """Each operation gives the same result, re-bookings and state in both stores."""
    sync_redis.delete(*(sync_redis.keys("{diff}*") or ["{diff}"]))
    now = 1_700_000_000.25
    lua = Lua(sync_redis, requests, period, headroom)
    schedule = Schedule(requests, period, headroom, now)
    lua("tick", now)
    tickets: list[str] = []
    for dt, op, pick, trip in steps:
        now += dt
        # mostly one of the last few tickets: those still held, as in a real run
        ticket = tickets[-1 - pick % min(len(tickets), 4)] if tickets else "owner:0000000000"
        if op == "reserve":
            ticket = f"owner:{len(tickets):010d}"
            tickets.append(ticket)
            expected: object = schedule.reserve(now, ticket)
            reply = lua("reserve", now, ticket)
        elif op in ("answer", "429"):
            expected = schedule.answer(now, ticket, limited=op == "429", fastest=trip)
            reply = lua("answer", now, ticket, "1" if op == "429" else "0", repr(trip))
        elif op == "release":
            expected = schedule.release(now, ticket)
            reply = lua("release", now, ticket)
        elif op == "cool":
            expected = schedule.cool_down(now, pick / 10)
            reply = lua("cool", now, repr(pick / 10))
        else:
            expected = schedule.tick(now)
            reply = lua("tick", now)
        assert reply[0] == "ok"
        result = reply[13] if reply[13] != "gone" else ""  # an answer to a ticket not held
        assert (float(result) if result else None) == expected, op
        assert moves(reply) == schedule.take_moved(), op
        assert reply_view(reply) == view(schedule), op


def test_a_reserve_that_reaps_a_dead_owner_serves_the_queue_before_joining_it(
    sync_redis: Redis,
) -> None:
    """A holds both slots and dies, B waits; B's next booking reaps A: booked, and told so."""
    sync_redis.delete(*(sync_redis.keys("{reap}*") or ["{reap}"]))
    script = sync_redis.register_script(SCRIPT)

    def call(op: str, now: float, owner: str, *args: str) -> list[Any]:
        liveness = "1.0" if owner == "a" else "60.0"
        argv = [op, repr(now), owner, "2", "1.0", "1.0", liveness, "", "0", *args]
        reply: list[Any] = script(keys=["{reap}"], args=argv)
        return reply

    now = 1_700_000_000.0
    call("reserve", now, "a", "a:1")
    call("reserve", now, "a", "a:2")  # both slots in flight, then "a" beats no more
    assert call("reserve", now, "b", "b:1")[13] == ""  # queued
    reply = call("reserve", now + 2.0, "b", "b:2")  # "a" is dead by now: its slots free
    assert moves(reply) == [("b:1", now + 2.0)]  # the queue first,
    assert reply[13] != ""  # then the new booking, which is not queued behind it
    assert float(reply[13]) == now + 2.0
