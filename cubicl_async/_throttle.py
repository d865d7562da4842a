"""Client-side throttling: the `Throttle` protocol and the local limiter (bucket, cooldown)."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Protocol, runtime_checkable

import attrs
from aiolimiter import AsyncLimiter

from ._errors import ClientStateError

__all__ = ["RateLimit", "RateLimiter", "Throttle"]


@attrs.frozen
class RateLimit:
    """At most `requests` requests in any window of `period` seconds, the first one included.

    The bucket holds `burst` requests (2, or 1 when `requests` is 1) and refills at
    `rate` = `(requests + 1 - burst) / period * headroom`, so any window of `period`
    seconds carries at most `burst + rate * period < requests + 1` requests: never more
    than `requests`, even in the first window (a plain aiolimiter bucket sized to the
    limit lets the whole limit through at once, and up to twice it in the first window).
    `headroom` (98%) absorbs network jitter of up to 2% of the period. A bucket of one
    would be tighter still, but aiolimiter wakes its waiters a little late, and with no
    slack to make that up it delivers only about 90% of its rate.
    """

    #: Requests allowed per window.
    requests: int = attrs.field(default=60, validator=attrs.validators.ge(1))
    #: Window length, in seconds.
    period: float = attrs.field(default=60.0, validator=attrs.validators.gt(0))
    #: Fraction of the limit the bucket aims at.
    headroom: float = attrs.field(
        default=0.98, validator=[attrs.validators.gt(0), attrs.validators.le(1)]
    )

    @property
    def burst(self) -> int:
        """Requests that may leave back to back after a pause."""
        return min(2, self.requests)

    @property
    def rate(self) -> float:
        """Requests per second the bucket lets through at full speed."""
        return self.rate_for(self.requests)

    def rate_for(self, requests: float) -> float:
        """Return the bucket rate that keeps `requests` per `period` (see the class doc)."""
        return (requests + 1 - self.burst) * self.headroom / self.period


@runtime_checkable
class Throttle(Protocol):
    """What the request pipeline needs from a rate limiter; `RateLimiter` is the local one.

    For each attempt the pipeline awaits `acquire()`, sends, then awaits `record()` with
    the answer; on a 429 it may await `cool_down()`, which must hold every request that
    shares the throttle. All times are the running loop's clock (`loop.time()`).
    """

    @property
    def period(self) -> float:
        """The window of the limit in seconds (60 when there is no limit)."""
        ...

    async def acquire(self) -> float:
        """Wait until a request may leave; return the seconds waited."""
        ...

    async def record(self, sent_at: float, *, rate_limited: bool) -> float | None:
        """Learn from an answer; for a 429, return the seconds until a slot frees, if known."""
        ...

    async def cool_down(self, seconds: float) -> None:
        """Hold every request that has not left yet for `seconds` from now."""
        ...

    def expected_wait(self, ahead: int) -> float:
        """Estimate the seconds a request would wait behind `ahead` others (no I/O)."""
        ...


class RateLimiter:
    """The throttle every request of a client passes: a bucket, a cooldown gate, a rate.

    Pass one `RateLimiter` as `rate_limit=` to several clients of the same token (in the
    same event loop) and they share it: together they stay within the limit, and one 429
    pauses them all.

    Adapting: a 429 while the bucket is on means the real limit is lower than configured
    (or another process spends the same token). For each 429 to a request sent at the
    current rate, the rate drops to 90% of itself or, once a whole `period` has passed at
    that rate, to the rate the server accepted from us over that period if lower; never
    below half of itself. After each `period` without a 429 it climbs back by 1%, up to
    the configured rate. `rate` tells the current value.

    `record()` also estimates, from our own accepted requests, when the server's window
    frees a slot: the client cools down that long after a 429 without `Retry-After`.
    """

    #: Fraction kept of the current rate on a 429 (at least).
    BACKOFF = 0.9
    #: Growth of the rate after each clean period.
    CLIMB = 1.01
    #: How much longer than the bucket's arithmetic `expected_wait` says a wait will be.
    ESTIMATE_SLACK = 1.02

    def __init__(self, limit: RateLimit | None = RateLimit()) -> None:
        #: The configured limit; `None` means no bucket (the cooldown gate still works).
        self.limit = limit
        self._rate = limit.rate if limit else None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._bucket: AsyncLimiter | None = None
        self._cooldown_until = 0.0
        self._calm_since = 0.0
        self._accepted: deque[float] = deque()

    def __repr__(self) -> str:
        rate = "off" if self._rate is None else f"{self._rate:.3g}/s"
        return f"<RateLimiter {self.limit!r} rate={rate}>"

    @property
    def period(self) -> float:
        """The limit's window in seconds (60 when there is no limit)."""
        return self.limit.period if self.limit else 60.0

    @property
    def rate(self) -> float | None:
        """Requests per second allowed now (`None` when there is no bucket)."""
        return self._rate

    def _now(self) -> float:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
            self._calm_since = loop.time()
            if self.limit is not None and self._rate is not None:
                self._bucket = AsyncLimiter(self.limit.burst, self.limit.burst / self._rate)
        elif loop is not self._loop:
            raise ClientStateError(
                "this RateLimiter belongs to another event loop; share it only between "
                "clients used in the same loop"
            )
        return loop.time()

    async def acquire(self) -> float:
        """Wait until a request may leave; return the seconds waited."""
        start = now = self._now()
        while True:
            if self._cooldown_until > now:
                await asyncio.sleep(self._cooldown_until - now)
            elif self._bucket is None:
                return now - start
            else:
                bucket = self._bucket
                await bucket.acquire()
                # A 429 or a new rate may have come while we waited for the bucket.
                now = self._now()
                if bucket is self._bucket and self._cooldown_until <= now:
                    return now - start
                continue
            now = self._now()

    def expected_wait(self, ahead: int) -> float:
        """Estimate the seconds a request would wait behind `ahead` others not sent yet.

        The cooldown left, plus one bucket interval (`1 / rate`) per request ahead that
        the bucket's free capacity does not cover, plus 2% for the timers' lateness
        (measured: about 0.7% over 2 s of waiting), so that a call let in does not wait
        past a deadline set from it. It holds while the rate does; a 429 or a lower rate
        arriving meanwhile makes it short, and so does a shared limiter's traffic from
        other clients, which it cannot see.
        """
        now = self._now()
        wait = max(self._cooldown_until - now, 0.0)
        if self._bucket is None or self._rate is None:
            return wait
        free = sum(self._bucket.has_capacity(n) for n in range(1, int(self._bucket.max_rate) + 1))
        return wait + max(ahead + 1 - free, 0) / self._rate * self.ESTIMATE_SLACK

    async def cool_down(self, seconds: float) -> None:
        """Hold every request that has not left yet for `seconds` from now."""
        self._cooldown_until = max(self._cooldown_until, self._now() + seconds)

    async def record(self, sent_at: float, *, rate_limited: bool) -> float | None:
        """Learn from an answer to a request sent at `sent_at` (loop time).

        For a 429, return the seconds until the server's window should free a slot (our
        oldest request accepted in the last `period` leaves it), or `None` if unknown.
        """
        if self.limit is None or self._rate is None:
            return None
        now, period = self._now(), self.limit.period
        while self._accepted and self._accepted[0] < now - period:
            self._accepted.popleft()
        if not rate_limited:
            self._accepted.append(sent_at)
            if self._rate < self.limit.rate and now - self._calm_since >= period:
                self._set_rate(min(self._rate * self.CLIMB, self.limit.rate), now)
            return None
        if sent_at >= self._calm_since:  # sent at the current rate: evidence against it
            lower = self._rate * self.BACKOFF
            if now - self._calm_since >= period:
                lower = min(lower, self.limit.rate_for(len(self._accepted)))
            self._set_rate(max(lower, self._rate / 2, 1 / period), now)
        return self._accepted[0] + period - now if self._accepted else None

    def _set_rate(self, rate: float, now: float) -> None:
        # aiolimiter cannot change a bucket's rate: a new, empty bucket takes over, and the
        # gate stays shut until it would have drained, as if it had been full.
        assert self.limit is not None  # noqa: S101 - only called with a bucket
        burst = self.limit.burst
        self._rate = rate
        self._calm_since = now
        self._bucket = AsyncLimiter(burst, burst / rate)
        self._cooldown_until = max(self._cooldown_until, now + burst / rate)
