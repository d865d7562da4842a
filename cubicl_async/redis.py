"""`RedisRateLimiter`: the throttle a fleet of processes shares through Redis (extra `redis`)."""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType
from typing import Self

from redis.asyncio import Redis

from ._booking import Waiter
from ._config import check_number, check_type
from ._errors import ClientStateError, ConfigurationError, ThrottleUnavailableError
from ._fleet import Fleet
from ._throttle import RateLimit, RateLimiter

__all__ = ["RedisRateLimiter"]


class RedisRateLimiter(Fleet):
    """A `Throttle` shared by every process that uses one token, through one Redis.

    Pass one as `AsyncCubicl(rate_limit=...)` in each process (and each event loop) that
    spends the token, all with the same `key` and `limit`; the caller owns the
    `redis.asyncio.Redis` client and closes it, after `aclose()` here (or `async with`).

    It is the local `RateLimiter`'s algorithm, with its state in Redis: one atomic Lua
    script per operation, timed by the Redis server's clock (`TIME`), so the hosts' clocks
    never matter. Fleet-wide:

    - no window of `period` seconds carries more than `requests` requests, the first one
      included: a request holds its slot from its booked time until `period` after its
      answer less the fleet's fastest round trip on an already-open connection, and no
      slot is booked beyond the limit. Each process measures its own and tells Redis with
      each answer; the smallest of the live processes' counts, and none while one of them
      has not measured its own yet, since its host may be nearer the API (the assumption
      of `RateLimit`, and: the process with the fastest round trip is the nearest to the
      API each way). Redis times an answer when the script runs, later than it came,
      which only holds the slot longer;
    - each caller is told in the same round trip the time of the slot it booked and sleeps
      until then (no polling); callers are served first come, first served across
      processes; one who cannot be given a time yet queues in Redis and is told when a
      slot frees (each process reads its inbox with one blocking `BLPOP`);
    - a caller cancelled while it waits gives its slot back; a request that got no answer
      frees its slot `period` after its task ends or retries; a process that dies frees
      its slots `period` after `liveness` seconds without a heartbeat (a dead process
      costs its slots for that long, no more);
    - a 429 seen anywhere (`cool_down`) moves every booking not due yet, in every
      process, past the same moment, spaced at the rate again (no herd);
    - the adaptive rate (see `RateLimiter`) is one value, lowered and raised for all.

    Faults. While Redis cannot be reached no request leaves: a call waits up to
    `wait_for_redis` seconds for it (from the moment it was lost), then fails with
    `ThrottleUnavailableError`, unsent; waiters fail the same way once Redis has been
    gone that long. An answer or give-back that cannot be written is kept and written
    when Redis is back. A Redis that comes back empty (a restart) is detected: every
    process holds its requests until `period` after it lost Redis, registers its requests
    in flight, and books its waiters again. A brand-new process that creates the state
    first after a restart cannot know what was lost; the processes that were running set
    the barrier as soon as they reach Redis again.

    Keys: `{key}` (state, with the limit, so that a process configured differently is
    refused with `ConfigurationError`) and `{key}:*`, all in one hash slot; they expire
    `2 * (period + liveness)` after the last process stops, and never hold more than one
    window's worth of requests plus the callers waiting.

    Args:
        redis: a `redis.asyncio.Redis` client (yours; `decode_responses` either way; a
            `socket_timeout`, if set, above `liveness / 4`).
        key: the name shared by every process of the token, e.g. `"cubicl:<token id>"`.
        limit: the token's limit (the same everywhere).
        liveness: seconds without a heartbeat after which a process is taken for dead.
        wait_for_redis: seconds a call waits for a lost Redis before failing.
    """

    ESTIMATE_SLACK = RateLimiter.ESTIMATE_SLACK

    def __init__(
        self,
        redis: Redis,
        *,
        key: str,
        limit: RateLimit = RateLimit(),  # noqa: B008 - frozen
        liveness: float = 1.0,
        wait_for_redis: float = 5.0,
    ) -> None:
        check_type("redis", redis, Redis, "a redis.asyncio.Redis client")
        check_type("limit", limit, RateLimit, "a RateLimit")
        if not isinstance(key, str) or not key:
            raise ConfigurationError(f"key must be a non-empty string, not {key!r}")
        check_number("liveness", liveness, minimum=0.01)
        check_number("wait_for_redis", wait_for_redis, minimum=0.01)
        super().__init__(redis, key, limit, float(liveness), float(wait_for_redis))

    def __repr__(self) -> str:
        return f"<RedisRateLimiter key={self.key!r} {self.limit!r} rate={self.rate:.3g}/s>"

    @property
    def period(self) -> float:
        """The limit's window in seconds."""
        return self.limit.period

    @property
    def rate(self) -> float:
        """The fleet's rate in requests per second, as of this process's last call."""
        return self._last.rate if self._last is not None else self.limit.rate

    async def __aenter__(self) -> Self:
        await self._call("beat")  # reaches Redis and checks the limit now, not at first use
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop the heartbeat and give back this process's slots; calling it again does nothing.

        Calls still waiting fail with `ClientStateError`. The Redis client stays open.
        """
        if self._closed:
            return
        self._closed = True
        jobs = [job for job in (self._runner, *self._chores) if job is not None]
        for job in jobs:
            job.cancel()
        await asyncio.gather(*jobs, return_exceptions=True)
        for waiter in self._waiters.values():
            waiter.fail(ClientStateError("the RedisRateLimiter was closed"))
        if self._loop is not None:
            with contextlib.suppress(ThrottleUnavailableError, ConfigurationError):
                await self._eval("leave")

    async def _book(self, ticket: str, waiter: Waiter) -> None:
        self._booked(waiter, await self._call("reserve", ticket))

    async def _wait(self, ticket: str, waiter: Waiter) -> None:
        while True:
            await waiter.wait()
            if await self._usable(waiter):
                return

    async def _answer(
        self, ticket: str | None, sent_at: float, *, limited: bool, fastest: float
    ) -> float | None:
        if ticket is None:
            return None
        if self._down_since is None:
            with contextlib.suppress(ThrottleUnavailableError, ConfigurationError):
                args = (ticket, "1" if limited else "0", repr(fastest))
                reply = await self._call("answer", *args, patient=False)
                if reply.result == "gone":  # its booking was lost: the answer still counts
                    await self._call("rejoin", "--", ticket, repr(self.period), patient=False)
                    return None
                return float(reply.result) if reply.result else None
        self._unanswered[ticket] = self._bind().time()  # written when Redis is back
        return None

    def _give_back(self, ticket: str) -> None:
        self._spawn(self._release(ticket))

    async def cool_down(self, seconds: float) -> None:
        """Hold every request of the fleet that has not left yet for `seconds` from now."""
        if self._down_since is None:
            with contextlib.suppress(ThrottleUnavailableError):
                await self._call("cool", repr(float(seconds)), patient=False)
                return
        until = self._bind().time() + seconds  # written when Redis is back
        self._pending_cool = max(self._pending_cool or until, until)

    def expected_wait(self, ahead: int) -> float:
        """Estimate the seconds a request would wait behind `ahead` others (no I/O).

        From the fleet's state as of this process's last call, as `RateLimiter` does;
        other processes' traffic since then is not seen.
        """
        last = self._last
        if last is None:
            return 0.0
        now = last.now + (self._bind().time() - last.local)
        j = last.queued + max(ahead - len(self._waiters), 0)
        pace = last.tat + (j - (self.limit.burst - 1)) / last.rate
        free = last.window - last.held - last.done
        slot = now
        if j >= free:
            start = last.first_free if last.first_free is not None else now
            slot = start + (j - max(free, 0)) * self.period / last.window
        return (max(now, last.until, pace, slot) - now) * self.ESTIMATE_SLACK
