"""Client-side throttling: the `Throttle` protocol and the local limiter (log, pacer, cooldown)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import attrs

from ._booking import Booking, Waiter
from ._schedule import Schedule

__all__ = ["RateLimit", "RateLimiter", "Throttle"]


@attrs.frozen
class RateLimit:
    """At most `requests` requests in any window of `period` seconds, the first one included.

    The limiter keeps an exact log of the last `requests` slots: a request holds one from
    the moment it may leave until `period` after its answer, so no window of the server
    can count more than `requests`, whatever the latency. The log keeps the limit; a
    pacer (a bucket of `burst`, refilling at `rate` = `requests / period * headroom`) only
    spaces the requests evenly. `headroom` (99.5%) is a margin for latency jitter: the
    log waits for the slowest answers, so the pacer need not.
    """

    #: Requests allowed per window.
    requests: int = attrs.field(default=60, validator=attrs.validators.ge(1))
    #: Window length, in seconds.
    period: float = attrs.field(default=60.0, validator=attrs.validators.gt(0))
    #: Fraction of the limit the pacer aims at.
    headroom: float = attrs.field(
        default=0.995, validator=[attrs.validators.gt(0), attrs.validators.le(1)]
    )

    @property
    def burst(self) -> int:
        """Requests that may leave back to back after a pause."""
        return min(2, self.requests)

    @property
    def rate(self) -> float:
        """Requests per second the pacer lets through at full speed."""
        return self.rate_for(self.requests)

    def rate_for(self, requests: float) -> float:
        """Return the pacer's rate for `requests` per `period`."""
        return requests * self.headroom / self.period


@runtime_checkable
class Throttle(Protocol):
    """What the request pipeline needs from a rate limiter; `RateLimiter` is the local one.

    For each attempt the pipeline awaits `acquire()`, sends, then awaits `record()` with
    the answer; on a 429 it may await `cool_down()`, which must hold every request that
    shares the throttle. All times are the running loop's clock (`loop.time()`).
    The pipeline makes these calls for one request from one task; `RateLimiter` and
    `RedisRateLimiter` rely on it to free the slot of a request that got no answer.
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


class RateLimiter(Booking):
    """The throttle every request of a client passes: a log, a pacer, a cooldown, a rate.

    Pass one `RateLimiter` as `rate_limit=` to several clients of the same token (in the
    same event loop) and they share it: together they stay within the limit, and one 429
    pauses them all. Callers are served first come, first served; each is told the time
    of its slot and sleeps until then. A caller cancelled while it waits gives its slot
    back; a request that got no answer (a transport error, a cancellation) frees its slot
    `period` after its task's next `acquire()` or end.

    Adapting: a 429 while the pacer is on means the real limit is lower than configured
    (or another process spends the same token). For each 429 to a request sent since the
    rate last dropped, the rate drops to the rate the server accepted from us over the
    last `period` if a whole period has passed since that drop (the server's limit,
    measured), else to 90% of itself; never below half of itself. The log shrinks with it
    (`rate * period / headroom` slots). After each `period` without a 429 it climbs back
    by 1%, up to the configured rate, probing for a limit that went up again (after a
    drop to a measured limit, only once 3 more periods have passed). `rate` tells the
    current value.

    `record()` also tells, for a 429, when our oldest accepted request of the last period
    leaves the server's window: the client cools down that long without `Retry-After`.
    """

    #: How much longer than the schedule's arithmetic `expected_wait` says a wait will be.
    ESTIMATE_SLACK = 1.05

    def __init__(self, limit: RateLimit | None = RateLimit()) -> None:
        super().__init__()
        #: The configured limit; `None` means no log nor pacer (the cooldown gate works).
        self.limit = limit
        self._schedule: Schedule | None = None
        self._until = 0.0  # the cooldown gate, without a limit

    def __repr__(self) -> str:
        rate = self.rate
        return f"<RateLimiter {self.limit!r} rate={'off' if rate is None else f'{rate:.3g}/s'}>"

    @property
    def period(self) -> float:
        """The limit's window in seconds (60 when there is no limit)."""
        return self.limit.period if self.limit else 60.0

    @property
    def rate(self) -> float | None:
        """Requests per second allowed now (`None` when there is no limit)."""
        if self.limit is None:
            return None
        return self._schedule.rate if self._schedule is not None else self.limit.rate

    def _now(self) -> tuple[float, Schedule | None]:
        now = self._bind().time()
        if self.limit is not None and self._schedule is None:
            limit = self.limit
            self._schedule = Schedule(limit.requests, limit.period, limit.headroom, now)
        return now, self._schedule

    def _apply(self, schedule: Schedule) -> None:
        for ticket, at in schedule.take_moved():
            self._moved(ticket, at)

    async def _book(self, ticket: str, waiter: Waiter) -> None:
        now, schedule = self._now()
        if schedule is None:
            waiter.move(max(now, self._until))
            return
        waiter.move(schedule.reserve(now, ticket))
        self._apply(schedule)

    async def _answer(self, ticket: str | None, sent_at: float, *, limited: bool) -> float | None:
        now, schedule = self._now()
        if schedule is None:
            return None
        frees_in = schedule.answer(now, ticket, limited=limited, sent=sent_at)
        self._apply(schedule)
        return frees_in

    def _give_back(self, ticket: str) -> None:
        if self._schedule is not None and self._loop is not None and not self._loop.is_closed():
            self._schedule.release(self._loop.time(), ticket)
            self._apply(self._schedule)

    async def cool_down(self, seconds: float) -> None:
        """Hold every request that has not left yet for `seconds` from now."""
        now, schedule = self._now()
        if schedule is not None:
            schedule.cool_down(now, seconds)
            self._apply(schedule)
            return
        self._until = max(self._until, now + seconds)
        for waiter in self._waiters.values():
            waiter.move(max(waiter.at or now, self._until))

    def expected_wait(self, ahead: int) -> float:
        """Estimate the seconds a request would wait behind `ahead` others not sent yet.

        The cooldown left, the pacer's spacing and the slots the log frees (taking the
        requests in flight to be answered at once), plus 5% for the timers' lateness and
        those answers' latency, so that a call let in does not wait past a deadline set
        from it (benchmarks/webapp.py: with 2%, the p99 wait reached 1.02 of it). It holds while the
        rate does; a 429 or a lower rate arriving meanwhile makes it short, and so does a
        shared limiter's traffic from other clients, which it cannot see.
        """
        now, schedule = self._now()
        if schedule is None:
            return max(self._until - now, 0.0)
        extra = max(ahead - len(self._waiters), 0)  # those not booked yet
        return (schedule.estimate(now, extra) - now) * self.ESTIMATE_SLACK
