"""Client-side throttling: the `Throttle` protocol, the local limiter, the pipeline's `record`."""

from __future__ import annotations

import asyncio
import inspect
import weakref
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs

from ._booking import Booking, Waiter
from ._schedule import Schedule

if TYPE_CHECKING:
    import httpx

__all__ = ["RateLimit", "RateLimiter", "Throttle", "record_answer"]


@attrs.frozen
class RateLimit:
    """At most `requests` requests in any window of `period` seconds, the first one included.

    The limiter keeps an exact log of the last `requests` slots: a request holds one from
    the moment it may leave until `period` after its answer, less the fastest round trip
    seen on an already-open connection (never less than `period` after its booked time).
    No window of the server can count more than `requests`, whatever the latency, if
    each leg of a round trip costs a fixed time plus queueing that is never negative and
    that fastest round trip queued on neither leg: a slot then frees once the server has
    admitted its request `period` ago. At a constant latency a slot serves again `period`
    after its send; an answer that queued holds it longer; until such a round trip is
    seen (and always over a transport that cannot tell, such as httpx's `MockTransport`),
    `period` after its answer. The log keeps the limit; a pacer (a bucket of `burst`,
    refilling at `rate` = `requests / period * headroom`) only spaces the requests evenly.
    `headroom` (99.5%) is a margin for latency jitter: the log waits for the slowest
    answers, so the pacer need not.
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

    async def record(
        self, sent_at: float, *, rate_limited: bool, reused: bool = False
    ) -> float | None:
        """Learn from an answer; for a 429, return the seconds until a slot frees, if known.

        `reused`: the request left on a connection that had already answered one, so its
        round trip (`sent_at` to now) has no handshake in it. The pipeline passes it only
        to a `record` that takes it (one written before it existed keeps working).
        """
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

    Latency: each answer frees its slot `period` after it, less the fastest round trip of
    a request sent on an already-open connection (the pipeline tells which, `reused=`),
    less 5 ms (`MARGIN`); see `RateLimit` for the assumption that keeps the limit. At 200
    ms of latency on a 1 s window (scenario c of benchmarks/saturation.py) it reaches 0.96
    to 0.97 of the limit, where freeing slots `period` after their answers gave 0.83.

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

    async def _answer(
        self, ticket: str | None, sent_at: float, *, limited: bool, fastest: float
    ) -> float | None:
        now, schedule = self._now()
        if schedule is None:
            return None
        frees_in = schedule.answer(now, ticket, limited=limited, sent=sent_at, fastest=fastest)
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


# --- the pipeline's side: which answers came over an open connection --------------------

#: Each connection's stream (httpcore's `network_stream`, one object per connection) ->
#: the loop time of the first answer it carried; an entry goes with its connection.
_OPENED: weakref.WeakKeyDictionary[object, float] = weakref.WeakKeyDictionary()
#: Whether a type's `record` takes `reused=` (a `Throttle` may predate it).
_TAKES_REUSED: dict[type, bool] = {}


def on_open_connection(response: httpx.Response, sent_at: float, now: float) -> bool:
    """Tell whether `response`'s request left on a connection that had answered one before.

    Only such a round trip is free of a TCP (and TLS) handshake. httpcore puts the
    connection's stream on each response, the same object for every request of one
    connection; without it (httpx's `MockTransport` and `ASGITransport`) no answer counts.
    A request sent after the connection's first answer left on an open connection, with
    HTTP/1.1 (one request at a time) or HTTP/2 (several at once) alike.
    """
    stream = response.extensions.get("network_stream")
    if stream is None:
        return False
    try:
        first = _OPENED.setdefault(stream, now)
    except TypeError:  # not weakly referenceable: a transport's own object; never counted
        return False
    return first < now and sent_at >= first


def _takes_reused(throttle: Throttle) -> bool:
    kind = type(throttle)
    takes = _TAKES_REUSED.get(kind)
    if takes is None:
        try:
            parameters = inspect.signature(throttle.record).parameters.values()
        except (TypeError, ValueError):  # no signature to read: call it as before
            takes = False
        else:
            takes = any(p.name == "reused" or p.kind is p.VAR_KEYWORD for p in parameters)
        _TAKES_REUSED[kind] = takes
    return takes


def record_answer(
    throttle: Throttle, sent_at: float, response: httpx.Response
) -> Coroutine[Any, Any, float | None]:
    """Return `throttle.record(...)` for `response` to a request sent at `sent_at` (loop time).

    The pipeline's one call to `record`: `rate_limited` for a 429, and `reused` when the
    request left on a connection that had answered one before (`on_open_connection`),
    for a `record` that takes it (one written before `reused` existed gets no `reused`).
    """
    limited = response.status_code == 429
    if not _takes_reused(throttle):
        return throttle.record(sent_at, rate_limited=limited)
    now = asyncio.get_running_loop().time()
    reused = on_open_connection(response, sent_at, now)
    return throttle.record(sent_at, rate_limited=limited, reused=reused)
