"""The fleet for real: worker processes sharing one token through Redis, one of them killed.

The emulator serves on loopback with the token's sliding window (its clock is the server's);
each worker is a real `python` subprocess with its own client and `RedisRateLimiter`.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis as SyncRedis

from cubicl_async import RateLimit
from cubicl_async.testing import Emulator, seed_demo, serve

from . import test_redis
from .test_redis import RedisServer

redis_server = test_redis.redis_server  # the session's server, a fixture here too

WORKER = r"""
import asyncio, sys
from redis.asyncio import Redis
from cubicl_async import AsyncCubicl, RateLimit, RetryPolicy
from cubicl_async.redis import RedisRateLimiter

async def main(redis_url, base_url, requests, period, callers, calls, path, liveness):
    async with Redis.from_url(redis_url) as redis:
        limit = RateLimit(requests, period)
        async with RedisRateLimiter(redis, key="fleet", limit=limit, liveness=liveness) as limiter:
            async with AsyncCubicl("demo-token", base_url=base_url, rate_limit=limiter,
                                   retry=RetryPolicy(max_retries=0)) as client:
                left = list(range(calls))
                async def caller():
                    while left:
                        left.pop()
                        await (client.users.me() if path == "me" else client.projects.list())
                print("ready", flush=True)
                await asyncio.gather(*(caller() for _ in range(callers)))
                print(client.stats, flush=True)

args = sys.argv[1:]
asyncio.run(main(args[0], args[1], int(args[2]), float(args[3]), int(args[4]), int(args[5]),
                 args[6], float(args[7])))
"""


def worker(redis_url: str, base_url: str, limit: RateLimit, callers: int, calls: int,
           path: str = "groups", liveness: float = 2.0) -> subprocess.Popen[str]:  # fmt: skip
    """Start a worker process: `callers` concurrent callers send `calls` GETs of `path`."""
    args = [redis_url, base_url, str(limit.requests), repr(limit.period), str(callers),
            str(calls), path, repr(liveness)]  # fmt: skip
    root = Path(__file__).parent.parent
    return subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", WORKER, *args], stdout=subprocess.PIPE, text=True, cwd=root
    )


def finish(process: subprocess.Popen[str]) -> str:
    """Wait (bounded) for a worker; return its output, which it ends with its stats."""
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 0, out
    return out


@pytest.fixture
def emu() -> Emulator:
    """Return the demo organization, with no rate limit unless a test sets one."""
    emu = Emulator()
    seed_demo(emu)
    return emu


@pytest.fixture
def base_url(emu: Emulator) -> Iterator[str]:
    """Serve the emulator on loopback for the workers."""
    with serve(emu) as url:
        yield url


@pytest.fixture
def fleet_redis(redis_server: RedisServer) -> Iterator[SyncRedis]:
    """Yield a blocking client of the session's server, with an empty database."""
    client = SyncRedis.from_url(redis_server.url)
    client.flushdb()
    yield client
    client.close()


def wait_for(check: object, what: str) -> None:
    """Wait (bounded: 20 s) until `check()` is true."""
    deadline = time.monotonic() + 20
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def test_worker_processes_sharing_a_token_stay_within_its_window(
    emu: Emulator, base_url: str, redis_server: RedisServer, fleet_redis: SyncRedis
) -> None:
    """3 processes x 8 callers, 60 calls, one Redis: the 20-per-1 s server sends no 429."""
    emu.set_rate_limit(20, 1.0)
    workers = [worker(redis_server.url, base_url, RateLimit(20, 1.0), 8, 20) for _ in range(3)]
    for process in workers:
        assert "failed=0" in finish(process)
    assert [r.status for r in emu.requests] == [200] * 60


def test_callers_are_served_in_arrival_order_across_processes(
    emu: Emulator, base_url: str, redis_server: RedisServer, fleet_redis: SyncRedis
) -> None:
    """Process A's six callers wait (two queued in Redis) before B's four: A's all go first."""
    limit = RateLimit(2, 0.5)
    first = worker(redis_server.url, base_url, limit, 6, 6, path="me")
    wait_for(lambda: fleet_redis.zcard("{fleet}:queue") >= 2, "A's callers never queued")
    second = worker(redis_server.url, base_url, limit, 4, 4, path="groups")
    finish(first)
    finish(second)
    assert [r.path for r in emu.requests] == ["/app/me"] * 6 + ["/groups"] * 4


def test_a_killed_process_gives_its_slots_back_after_its_liveness(
    emu: Emulator, base_url: str, redis_server: RedisServer, fleet_redis: SyncRedis
) -> None:
    """A holds booked and queued slots and is killed: B is served, and A owns nothing left."""
    limit = RateLimit(2, 0.5)
    doomed = worker(redis_server.url, base_url, limit, 8, 100, liveness=0.5)
    # 4 in flight at most (the pool sized to 4 requests a second): 2 booked, 2 queued
    wait_for(lambda: fleet_redis.zcard("{fleet}:queue") >= 2, "A's callers never queued")
    doomed.kill()
    doomed.communicate(timeout=30)
    survivor = worker(redis_server.url, base_url, limit, 4, 4, path="me")
    assert "failed=0" in finish(survivor)
    wait_for(lambda: fleet_redis.zcard("{fleet}:queue") == 0, "A's tickets stayed queued")
    assert len(fleet_redis.hgetall("{fleet}:owner")) == 0
    assert [r.path for r in emu.requests].count("/app/me") == 4
