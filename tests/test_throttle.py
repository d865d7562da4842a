"""The local limiter and its algorithm: the log of answered slots, the pacer, the queue.

`Schedule` cases are pure (explicit times). The `RateLimiter` cases run the pipeline
against the emulator on the loop's virtual clock (looptime), the emulator's window on the
same clock, so every time asserted is exact and nothing sleeps.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from cubicl_async import AsyncCubicl, RateLimit, RateLimiter, RetryPolicy
from cubicl_async._schedule import Schedule
from cubicl_async.testing import Emulator

TOKEN = "demo-token"  # noqa: S105 - the emulator's demo token


# --- Schedule (pure) ---------------------------------------------------------------------


def test_a_slot_frees_a_period_after_its_answer_not_its_send() -> None:
    """2 per 10 s, both at 0; one answered at 3: the third booking is at 13, not 10."""
    s = Schedule(2, 10.0, 1.0, now=0.0)
    assert s.reserve(0.0, "a") == s.reserve(0.0, "b") == 0.0
    assert s.answer(3.0, "a", limited=False) is None
    assert s.reserve(3.0, "c") == 13.0


@pytest.mark.parametrize(
    ("answered", "fastest", "frees"),
    [
        (3.0, 0.0, 13.0),  # no round trip known: `period` after the answer
        (3.0, 3.0, 10.0),  # a 3 s round trip, answered 3 s on: `period` after the send
        (3.0, 1.0, 12.0),  # 1 s at the fastest: the 2 s it queued hold the slot longer
        (3.0, 5.0, 10.0),  # faster than the fastest: never before `period` after booking
        (15.0, 20.0, 15.0),  # more than `period` counts as `period`: never before the answer
        (3.0, -1.0, 13.0),  # a negative round trip counts as none
    ],
)
def test_an_answer_frees_its_slot_a_period_after_it_less_the_fastest_round_trip(
    answered: float, fastest: float, frees: float
) -> None:
    """2 per 10 s, both at 0, one answered at `answered`: the third gets its slot at `frees`."""
    s = Schedule(2, 10.0, 1.0, now=0.0)
    assert s.reserve(0.0, "a") == s.reserve(0.0, "b") == 0.0
    assert s.answer(answered, "a", limited=False, fastest=fastest) is None
    assert s.reserve(answered, "c") == frees


@pytest.mark.parametrize(
    ("fastest", "frees_in"),
    [
        (0.0, 9.0),  # "a", answered at 2, leaves the window at 12
        (2.0, 7.0),  # a constant 2 s latency: "a" leaves it 10 s after its send
    ],
)
def test_a_429_tells_when_the_oldest_accepted_request_leaves_the_window(
    fastest: float, frees_in: float
) -> None:
    """2 per 10 s: "a" accepted at 2, "b" limited at 3: the wait is to "a"'s slot."""
    s = Schedule(2, 10.0, 1.0, now=0.0)
    s.reserve(0.0, "a")
    s.reserve(0.0, "b")
    s.answer(2.0, "a", limited=False, fastest=fastest)
    assert s.answer(3.0, "b", limited=True, fastest=fastest) == frees_in


def test_the_estimate_holds_for_slots_answered_at_a_constant_latency() -> None:
    """3 per 3 s, all in flight: the estimate (3 s) is what the log says once they answer."""
    s = Schedule(3, 3.0, 1.0, now=0.0)
    for name in "abc":
        s.reserve(0.0, name)
    assert s.estimate(0.2, 0) == 3.0  # taken to free `period` after their time
    for name in "abc":
        s.answer(0.5, name, limited=False, fastest=0.5)
    assert s.estimate(0.5, 0) == 3.0
    assert s.reserve(0.5, "d") == 3.0


def test_callers_without_a_known_time_queue_and_are_booked_in_order() -> None:
    """Every slot in flight: later callers queue; each answer books the next one in line."""
    s = Schedule(2, 10.0, 1.0, now=0.0)
    s.reserve(0.0, "a")
    s.reserve(0.0, "b")
    assert s.reserve(0.0, "c") is None
    assert s.reserve(0.0, "d") is None
    s.answer(1.0, "b", limited=False)
    assert s.take_moved() == [("c", 11.0)]
    s.release(2.0, "a")  # no answer (a transport error): frees 10 s after now
    assert s.take_moved() == [("d", 12.0)]


def test_a_lower_rate_sends_late_bookings_back_to_the_front_of_the_queue() -> None:
    """A 429 shrinks the log below what is booked: the late booking queues again, first."""
    s = Schedule(5, 1.0, 0.5, now=0.0)  # paced at 2.5/s
    assert [s.reserve(0.0, name) for name in "abcde"] == pytest.approx([0, 0, 0.4, 0.8, 1.2])
    assert s.reserve(0.0, "f") is s.reserve(0.0, "g") is None
    s.answer(1.1, "d", limited=True)  # nothing accepted over a whole period: the floor
    assert s.rate == 1.25
    assert s.window() == 2  # "a", "b" and "c" have left: "e" cannot keep its slot
    assert s.take_moved() == [("e", None)]
    assert list(s.queue) == ["e", "f", "g"]


def test_the_estimate_counts_the_queue_the_pacer_and_the_log() -> None:
    """3 per 3 s: after 3 at once, a booking waits for the log's first slot, 3 s on."""
    s = Schedule(3, 3.0, 1.0, now=0.0)
    assert s.estimate(0.0, 0) == 0.0
    assert s.estimate(0.0, 2) == pytest.approx(1.0)  # a burst of 2, then one a second
    for name in "abc":
        s.reserve(0.0, name)
        s.answer(0.0, name, limited=False)
    assert s.estimate(0.0, 0) == 3.0
    assert s.estimate(0.0, 3) == 6.0  # every slot serves again a period later


# --- RateLimiter through the pipeline (virtual time) ----------------------------------------


def loop_clock() -> float:
    """Read the running loop's (virtual) clock."""
    return asyncio.get_running_loop().time()


def org(**emulator: object) -> Emulator:
    """Return an emulator on the loop's clock with one admin whose token is TOKEN."""
    emu = Emulator(clock=loop_clock, **emulator)  # type: ignore[arg-type]
    emu.add_user("Ada", "Lovelace", token=TOKEN, org_admin=True)
    return emu


class Stamped(httpx.AsyncBaseTransport):
    """The emulator's transport, noting on the loop's clock when each request left."""

    def __init__(self, emu: Emulator) -> None:
        self.inner = emu.transport()
        self.sent: list[float] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Note the time, then send."""
        self.sent.append(loop_clock())
        return await self.inner.handle_async_request(request)


def client(emu: Emulator, transport: httpx.AsyncBaseTransport, **options: object) -> AsyncCubicl:
    """Return an in-process client of TOKEN through `transport`."""
    return AsyncCubicl(TOKEN, base_url=emu.base_url_in_process, transport=transport,
                       **options)  # type: ignore[arg-type]  # fmt: skip


@pytest.mark.looptime
async def test_fifty_callers_reach_the_limit_with_no_429() -> None:
    """10 per 1 s, 50 callers, 300 calls: at least 98% of the limit, and never a 429."""
    emu = org(rate_limit=10, rate_period=1.0)
    stamped = Stamped(emu)
    async with client(emu, stamped, rate_limit=RateLimit(10, 1.0), max_concurrency=50) as c:
        await asyncio.gather(*(c.projects.list() for _ in range(300)))
    assert {r.status for r in emu.requests} == {200}
    rate = (len(stamped.sent) - 1) / (stamped.sent[-1] - stamped.sent[0])
    assert rate >= 0.98 * 10


@pytest.mark.looptime
async def test_slow_answers_hold_their_slots_so_the_window_is_never_exceeded() -> None:
    """200 ms per answer at 10 per 1 s: no 429, each slot serves every 1.2 s (the price)."""
    emu = org(rate_limit=10, rate_period=1.0)
    emu.faults.latency = 0.2
    stamped = Stamped(emu)
    async with client(emu, stamped, rate_limit=RateLimit(10, 1.0), max_concurrency=50) as c:
        await asyncio.gather(*(c.projects.list() for _ in range(60)))
    assert {r.status for r in emu.requests} == {200}
    assert stamped.sent[10] >= stamped.sent[0] + 1.2  # the 11th waited for the 1st's answer


@pytest.mark.looptime
async def test_a_request_without_an_answer_frees_its_slot_from_when_it_is_retried() -> None:
    """1 per 10 s, a dropped connection at 0: the GET's retry leaves 10 s after the retry."""
    emu = org()
    emu.faults.drop_next(1, after_body=False)
    stamped = Stamped(emu)
    retry = RetryPolicy(max_retries=1, initial_delay=1.0)
    async with client(emu, stamped, rate_limit=RateLimit(1, 10.0), retry=retry) as c:
        await c.projects.list()
    first, second = stamped.sent
    assert second - first == pytest.approx(1.0 * 0.75 + 10.0, abs=0.26)  # jittered backoff


@pytest.mark.looptime
async def test_a_call_cancelled_in_flight_frees_its_slot_a_period_after_the_cancel() -> None:
    """1 per 10 s, a 5 s answer cancelled at 1 s: the next call leaves at 11 s."""
    emu = org()
    emu.faults.latency = 5.0
    stamped = Stamped(emu)
    async with client(emu, stamped, rate_limit=RateLimit(1, 10.0)) as c:
        start = loop_clock()
        call = asyncio.create_task(c.projects.list().to_list())
        await asyncio.sleep(1.0)
        call.cancel()
        await asyncio.gather(call, return_exceptions=True)
        emu.faults.latency = 0
        await c.projects.list()
    assert [at - start for at in stamped.sent] == [0.0, 11.0]


@pytest.mark.looptime
async def test_callers_leave_in_the_order_they_came() -> None:
    """2 per 1 s, 12 callers started in order: the requests leave in that order."""
    emu = org()
    order: list[int] = []
    limiter = RateLimiter(RateLimit(2, 1.0))

    async def call(i: int) -> None:
        await limiter.acquire()
        order.append(i)
        await limiter.record(loop_clock(), rate_limited=False)

    await asyncio.gather(*(call(i) for i in range(12)))
    assert order == list(range(12))
    assert emu.requests == []


@pytest.mark.looptime
async def test_the_estimate_matches_the_wait_of_queued_callers() -> None:
    """5 per 5 s, 7 callers: two leave, and behind the five waiting a call is told its wait."""
    limiter = RateLimiter(RateLimit(5, 5.0, headroom=1.0))
    waiting = [asyncio.create_task(limiter.acquire()) for _ in range(7)]
    await asyncio.sleep(0)
    estimate = limiter.expected_wait(5)
    start = loop_clock()
    await asyncio.gather(*waiting)
    await limiter.acquire()
    assert loop_clock() - start <= estimate
    assert estimate == pytest.approx((loop_clock() - start) * RateLimiter.ESTIMATE_SLACK)
