"""Client-side throttling: the rate limit bucket and the client-wide 429 cooldown gate."""

from __future__ import annotations

import asyncio

import attrs
from aiolimiter import AsyncLimiter

__all__ = ["RateLimit", "Throttle"]


@attrs.frozen
class RateLimit:
    """At most `requests` requests in any window of `period` seconds.

    The bucket holds one request and refills at `headroom` (98%) of `requests / period`,
    so requests leave evenly spaced and no window of `period` seconds, the very first one
    included, carries more than `requests` (aiolimiter's own bucket would let a whole
    `requests` through at once, and up to twice the limit in the first window). The 2%
    margin absorbs network jitter between the client's clock and the server's window.
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
    def interval(self) -> float:
        """Seconds between two requests at full speed."""
        return self.period / (self.requests * self.headroom)


class Throttle:
    """One bucket and one cooldown gate, shared by every request of a client.

    Create it inside the event loop that uses it.
    """

    def __init__(self, rate_limit: RateLimit | None) -> None:
        self._loop = asyncio.get_running_loop()
        #: The bucket; `None` when client-side throttling is off.
        self._bucket = AsyncLimiter(1, rate_limit.interval) if rate_limit else None
        #: Loop time until which no request may leave (pushed by 429 answers).
        self._cooldown_until = 0.0

    async def acquire(self) -> float:
        """Wait until a request may leave; return the seconds waited."""
        start = self._loop.time()
        while True:
            pause = self._cooldown_until - self._loop.time()
            if pause > 0:
                await asyncio.sleep(pause)
                continue
            if self._bucket is not None:
                await self._bucket.acquire()
            # A 429 may have closed the gate while we waited for the bucket.
            if self._cooldown_until <= self._loop.time():
                return self._loop.time() - start

    def cool_down(self, seconds: float) -> None:
        """Hold every request that has not left yet for `seconds` from now."""
        self._cooldown_until = max(self._cooldown_until, self._loop.time() + seconds)
