"""The fleet's faults: Redis unreachable at start, lost for a moment, gone too long, a freeze.

Each test has a redis-server of its own, which it kills and starts again (empty, as a
restarted Redis without persistence is) on the same port. Times are the loop's clock for
what the client sent, and the Redis server's clock for what Redis holds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from cubicl_async import AsyncCubicl, RateLimit, RetryPolicy
from cubicl_async._errors import ThrottleUnavailableError  # (cubicl_async exports it too, soon)
from cubicl_async.redis import RedisRateLimiter
from cubicl_async.testing import Emulator, seed_demo

from . import test_redis
from .test_redis import RedisServer, free_port

redis_server = test_redis.redis_server  # the session's server, a fixture here too


@pytest.fixture
def emu() -> Emulator:
    """Return the demo organization, with no rate limit unless a test sets one."""
    emu = Emulator()
    seed_demo(emu)
    return emu


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """Run a redis-server of the test's own, which it stops and starts again."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


class Stamped(httpx.AsyncBaseTransport):
    """The emulator's in-process transport, noting on the loop's clock when each request left."""

    def __init__(self, emu: Emulator) -> None:
        self.inner = emu.transport()
        self.sent: list[float] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Note the time, then send."""
        self.sent.append(asyncio.get_running_loop().time())
        return await self.inner.handle_async_request(request)


async def until_sent(stamped: Stamped, count: int) -> None:
    """Wait (bounded: 20 s) until `count` requests have left."""
    async with asyncio.timeout(20):
        while len(stamped.sent) < count:  # noqa: ASYNC110 - the transport sets no event
            await asyncio.sleep(0.01)


@pytest.fixture
async def job(emu: Emulator, own_redis: RedisServer) -> AsyncIterator[tuple[AsyncCubicl, Stamped]]:
    """Yield a client at 10 per 1 s through the test's own Redis, the emulator at that limit."""
    emu.set_rate_limit(10, 1.0)
    stamped = Stamped(emu)
    async with Redis.from_url(own_redis.url) as redis:
        limiter = RedisRateLimiter(redis, key="job", limit=RateLimit(10, 1.0), wait_for_redis=2.0)
        async with limiter, AsyncCubicl(
            "demo-token", base_url=emu.base_url_in_process, transport=stamped, rate_limit=limiter,
            retry=RetryPolicy(max_retries=0),
        ) as client:  # fmt: skip
            yield client, stamped


async def test_redis_unreachable_at_start_fails_the_call_unsent_after_the_wait(
    emu: Emulator,
) -> None:
    """No Redis on the port: the call fails with ThrottleUnavailableError, nothing sent."""
    async with Redis(port=free_port()) as redis:
        limiter = RedisRateLimiter(redis, key="none", wait_for_redis=0.3)
        async with AsyncCubicl(
            "demo-token", base_url=emu.base_url_in_process, transport=emu.transport(),
            rate_limit=limiter,
        ) as client:  # fmt: skip
            with pytest.raises(
                ThrottleUnavailableError, match=r"did not answer for 0\.3 s"
            ) as caught:
                await client.projects.list()
        await limiter.aclose()
    assert caught.value.__cause__ is not None
    assert emu.requests == []
    assert client.stats.failed == 1


async def test_redis_restarted_mid_job_holds_requests_then_resumes_within_the_window(
    emu: Emulator, own_redis: RedisServer, job: tuple[AsyncCubicl, Stamped]
) -> None:
    """Redis killed and restarted empty during a job: nothing leaves meanwhile, no 429 after."""
    client, stamped = job
    loop = asyncio.get_running_loop()
    calls = [asyncio.create_task(client.projects.list().to_list()) for _ in range(30)]
    await until_sent(stamped, 8)
    await asyncio.to_thread(own_redis.stop)
    lost = loop.time()
    await asyncio.sleep(1.0)
    back = loop.time()
    await asyncio.to_thread(own_redis.start)
    await asyncio.gather(*calls)
    assert [r.status for r in emu.requests] == [200] * 30
    assert [at for at in stamped.sent if lost + 0.05 < at < back] == []


async def test_redis_gone_longer_than_the_wait_fails_the_waiting_calls_unsent(
    emu: Emulator, own_redis: RedisServer, job: tuple[AsyncCubicl, Stamped]
) -> None:
    """Redis down for more than wait_for_redis: waiting calls fail unsent; back, it serves."""
    client, stamped = job
    calls = [asyncio.create_task(client.projects.list().to_list()) for _ in range(30)]
    await until_sent(stamped, 5)
    await asyncio.to_thread(own_redis.stop)
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    failed = [o for o in outcomes if isinstance(o, ThrottleUnavailableError)]
    assert len(failed) + sum(isinstance(o, list) for o in outcomes) == 30
    assert len(failed) >= 20
    sent = len(stamped.sent)
    assert sent == len(emu.requests) == 30 - len(failed)
    await asyncio.to_thread(own_redis.start)
    assert len(await client.projects.list()) > 0
    assert [r.status for r in emu.requests] == [200] * (sent + 1)


def _seconds(value: tuple[int, int]) -> float:
    """Read a Redis TIME answer as seconds."""
    return value[0] + value[1] / 1e6


async def test_what_happened_while_redis_was_down_is_written_when_it_is_back(
    own_redis: RedisServer,
) -> None:
    """An answer and a cooldown during the outage; Redis back empty: both hold, plus a barrier."""
    async with Redis.from_url(own_redis.url) as redis:
        limiter = RedisRateLimiter(redis, key="k", limit=RateLimit(5, 1.0), wait_for_redis=3.0)
        async with limiter:
            await limiter.acquire()
            ticket = next(iter(limiter._held.values()))
            await asyncio.to_thread(own_redis.stop)
            await limiter.record(0.0, rate_limited=False)  # kept: answered during the outage
            await limiter.cool_down(2.0)  # kept too
            await asyncio.to_thread(own_redis.start)
            waiting = asyncio.create_task(limiter.acquire())  # Redis is empty: it learns
            async with Redis.from_url(own_redis.url) as probe:  # (the pool's are stale)
                for _ in range(500):  # (bounded) until the cooldown is written again
                    now = _seconds(await probe.time())
                    if float(await probe.hget("{k}", "cool") or 0) > now + 1.0:
                        break
                    await asyncio.sleep(0.01)
                assert now < await probe.zscore("{k}:done", ticket) <= now + 1.0
                cool = float(await probe.hget("{k}", "cool"))
                assert now + 1.0 < cool <= now + 2.0
                await waiting
                assert _seconds(await probe.time()) >= cool


async def test_a_process_frozen_past_its_liveness_counts_its_answer_after_it_thaws(
    redis_server: RedisServer,
) -> None:
    """A frozen loop is taken for dead; thawed, its answer still holds a slot for a period."""
    async with Redis.from_url(redis_server.url) as redis:
        await redis.flushdb()
        limiter = RedisRateLimiter(redis, key="f", limit=RateLimit(5, 1.0), liveness=0.1)
        async with limiter:
            await limiter.acquire()
            ticket = next(iter(limiter._held.values()))
            time.sleep(0.3)  # noqa: ASYNC251 - a frozen event loop, on purpose
            await limiter.record(0.0, rate_limited=False)  # Redis reaped us meanwhile
            now = _seconds(await redis.time())
            assert now + 0.9 < await redis.zscore("{f}:done", ticket) <= now + 1.0
