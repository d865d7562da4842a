"""RedisRateLimiter through the client: sharing a token, the estimate, its options."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from cubicl_async import AsyncCubicl, ConfigurationError, QueueTimeoutError, RateLimit, RetryPolicy
from cubicl_async.redis import RedisRateLimiter
from cubicl_async.testing import Emulator

from . import test_redis
from .test_redis import TOKEN, make

# The session's server and the fixtures over it, here too.
redis_server, redis, limiters = test_redis.redis_server, test_redis.redis, test_redis.limiters


async def test_clients_of_one_token_share_the_limit_through_redis(
    redis: Redis, limiters: list[RedisRateLimiter]
) -> None:
    """Two clients, two limiters, one key, 24 calls: the 6-per-0.5 s server sends no 429."""
    emu = Emulator(rate_limit=6, rate_period=0.5)
    emu.add_user("Ada", "L", token=TOKEN, org_admin=True)
    limit = RateLimit(6, 0.5)
    clients = [
        AsyncCubicl(TOKEN, base_url=emu.base_url_in_process, transport=emu.transport(),
                    rate_limit=make(limiters, redis, limit), retry=RetryPolicy(max_retries=0))
        for _ in range(2)
    ]  # fmt: skip
    async with clients[0], clients[1]:
        await asyncio.gather(*(c.projects.list() for c in clients for _ in range(12)))
    assert [r.status for r in emu.requests] == [200] * 24


async def test_the_estimate_sees_the_fleet_and_sheds_a_call_unsent(
    redis: Redis, limiters: list[RedisRateLimiter]
) -> None:
    """B spent the 2 per 10 s: A's client with max_queue_wait=5 sheds its call, unsent."""
    a, b = (make(limiters, redis, RateLimit(2, 10.0)) for _ in range(2))
    for _ in range(2):
        await asyncio.create_task(b.acquire())  # each task ends: its request is answered
    emu = Emulator()
    emu.add_user("Ada", "L", token=TOKEN, org_admin=True)
    async with a, AsyncCubicl(TOKEN, base_url=emu.base_url_in_process, transport=emu.transport(),
                              rate_limit=a, max_queue_wait=5.0) as client:  # fmt: skip
        with pytest.raises(QueueTimeoutError) as caught:
            await client.projects.list()
    assert caught.value.expected_wait == pytest.approx(
        10 * RedisRateLimiter.ESTIMATE_SLACK, abs=0.1
    )
    assert emu.requests == []


def test_a_limiter_checks_its_options_when_made(redis: Redis) -> None:
    """A bad key, client or liveness fails at once, naming the option; repr names the key."""
    with pytest.raises(ConfigurationError, match="key must be a non-empty string"):
        RedisRateLimiter(redis, key="")
    with pytest.raises(ConfigurationError, match=r"redis must be a redis\.asyncio\.Redis"):
        RedisRateLimiter(object(), key="k")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="liveness must be at least"):
        RedisRateLimiter(redis, key="k", liveness=0)
    limiter = RedisRateLimiter(redis, key="k", limit=RateLimit(60, 60.0))
    assert (
        repr(limiter) == "<RedisRateLimiter key='k' " + repr(RateLimit(60, 60.0)) + " rate=0.995/s>"
    )
    assert limiter.period == 60.0
