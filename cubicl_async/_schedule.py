"""The throttle's algorithm, pure: a sliding log of answered slots, a pacer, a cooldown, a rate.

One `Schedule` is the state of one throttle, and every operation takes the store's clock
(`now`). The local `RateLimiter` keeps one in memory; `_schedule.lua` is the same
algorithm over Redis keys, line for line (a differential test holds them together).

The log (the guarantee). Each request holds a *slot* from the moment it may leave until
`period` after the server admitted it, as far as its answer can tell. The server admits a
request somewhere between its send and its answer. Take each leg of a round trip to be a
fixed path cost plus queueing that is never negative (send to admission at least `f0`,
admission to answer at least `g0`), and the fastest round trip the limiter saw on an
already-open connection, `fastest`, to have queued on neither leg: `fastest = f0 + g0`
(for a fleet, the script takes the smallest of its live processes', 0 while one of them
has none yet: a slot may go next to a host nearer the API). Then a request answered at
`r` was admitted by `r - g0`, and one sent at `s` is admitted at `s + f0` or later, so
when a slot frees at `max(booked + period, r + period - fastest)` the request that takes
it is admitted at least `period` after the one that held it. At a constant latency that
is `period` after the send; an answer that queued holds its slot longer; with no round
trip known (`fastest = 0`) it is `period` after the answer, whatever the latency. A
booking is granted only when fewer than `window()` slots are held (booked, in flight) or
still inside their `period` (answered): no window of `period` seconds can see more than
`window() <= requests` requests, the first included. A caller that cannot be given a time
yet (every slot booked or in flight) queues, first come, first served, and is booked when
a slot is answered or given back.

The pacer (the spacing). A GCRA bucket of `burst` at `rate` spaces the bookings evenly; it
runs at the full rate less a small `headroom` for latency jitter, since the log, not the
pacer, keeps the limit. A booking's time is the latest of now, the cooldown's end, the
pacer's next time and the moment the slot it takes frees.

Adapting: see `RateLimiter` (`BACKOFF`, `CLIMB`, `HOLD`). A lower rate or a cooldown
re-books every booking not due yet, in order (later, never earlier), and a booking the
smaller log cannot keep queues again, ahead of the others; owners learn it from `moved`.
"""

from __future__ import annotations

import bisect
import math
from collections import deque

__all__ = ["BACKOFF", "CLIMB", "HOLD", "Schedule"]

#: Fraction kept of the current rate on a 429 (at least).
BACKOFF = 0.9
#: Growth of the rate after each clean period.
CLIMB = 1.01
#: Periods without a climb after a drop to the rate the server was seen to accept.
HOLD = 3


class Schedule:
    """The state of one throttle: slots held and answered, pacer, cooldown and rate."""

    def __init__(self, requests: int, period: float, headroom: float, now: float) -> None:
        #: Requests allowed per window, and the window in seconds.
        self.requests, self.period, self.headroom = requests, period, headroom
        #: Requests that may leave back to back after a pause.
        self.burst = min(2, requests)
        #: The configured (highest) rate, in requests per second.
        self.top = requests * headroom / period
        #: The current rate, its last change, the pacer's next time, the cooldown's end.
        self.rate, self.calm, self.tat, self.until = self.top, now, now, 0.0
        #: The last time the rate was lowered.
        self.dropped = now
        #: Booked or in-flight slots: ticket -> the time it may leave.
        self.held: dict[str, float] = {}
        #: Answered slots, by the time they free: (free_at, ticket), sorted.
        self.done: list[tuple[float, str]] = []
        self._free_at: dict[str, float] = {}
        #: Accepted answers in the last period: ticket -> the time it could leave.
        self.ok: dict[str, float] = {}
        #: Tickets waiting for a slot, first come first.
        self.queue: deque[str] = deque()
        #: Re-bookings since the last `take_moved()`: (ticket, time, or None for queued).
        self.moved: list[tuple[str, float | None]] = []

    def rate_for(self, requests: float) -> float:
        """Return the pacer's rate for `requests` per period."""
        return requests * self.headroom / self.period

    def window(self) -> int:
        """Return the slots of the log at the current rate (`requests` at the top rate)."""
        slots = math.floor(self.rate * self.period / self.headroom + 1e-9)
        return max(1, min(self.requests, slots))

    def take_moved(self) -> list[tuple[str, float | None]]:
        """Return and forget the re-bookings made since the last call."""
        moved, self.moved = self.moved, []
        return moved

    # --- operations (the Lua script has one of each) ------------------------------------

    def reserve(self, now: float, ticket: str) -> float | None:
        """Book `ticket`: return the time it may leave, or `None` if it queues."""
        self._prune(now)
        if ticket in self.held or ticket in self.queue:  # asked again (a retried call)
            return self.held.get(ticket)
        at = None if self.queue else self._slot_time(now)  # nobody jumps the queue
        if at is None:
            self.queue.append(ticket)
            return None
        self._book(ticket, at)
        return at

    def answer(
        self,
        now: float,
        ticket: str | None,
        *,
        limited: bool,
        sent: float | None = None,
        fastest: float = 0.0,
    ) -> float | None:
        """Note the answer to `ticket`; for a 429, return the seconds until a slot frees.

        `fastest` is the owner's fastest round trip on an open connection (0: none seen):
        the slot frees at `max(booked + period, now + period - fastest)`.
        """
        self._prune(now)
        held = self.held.pop(ticket, None) if ticket is not None else None
        if ticket is not None and held is not None:
            credit = min(max(fastest, 0.0), self.period)
            self._add_done(max(held + self.period, now + self.period - credit), ticket)
            if not limited:
                self.ok[ticket] = held
            sent = held
        self._adapt(now, sent, limited=limited)
        self._dispatch(now)
        if not limited or not self.ok or (ticket is not None and held is None):
            return None  # (the script answers "gone" for a ticket it does not hold)
        return min(self._free_at[t] for t in self.ok) - now

    def release(self, now: float, ticket: str) -> None:
        """Give `ticket`'s slot back: unused if not due yet, else as if answered now."""
        self._prune(now)
        if ticket in self.queue:
            self.queue.remove(ticket)
        at = self.held.pop(ticket, None)
        if at is not None and at > now:
            self.tat = max(self.tat - 1 / self.rate, now)
        elif at is not None:
            self._add_done(now + self.period, ticket)
        self._dispatch(now)

    def cool_down(self, now: float, seconds: float) -> None:
        """Hold every booking not due yet until `seconds` from now."""
        self._prune(now)
        self.until = max(self.until, now + seconds)
        self._rebook(now)
        self._dispatch(now)

    def tick(self, now: float) -> None:
        """Let time pass: drop what left the window, book the queue if it can be."""
        self._prune(now)
        self._dispatch(now)

    # --- the estimate ----------------------------------------------------------------

    def estimate(self, now: float, ahead: int) -> float:
        """Estimate when a booking made behind `ahead` others (and the queue) would leave.

        The slots held are taken to free `period` after their time (the earliest the log
        frees them: exact at a constant latency once a round trip is known), and each slot
        serves again `period` after that.
        """
        j = len(self.queue) + ahead
        n = self.window()
        frees = sorted([at + self.period for at in self.held.values()] + [f for f, _ in self.done])
        frees = frees[len(frees) - n :] if len(frees) > n else [now] * (n - len(frees)) + frees
        slot = frees[j % n] + self.period * (j // n)
        pace = self.tat - (self.burst - 1) / self.rate + j / self.rate
        return max(now, self.until, pace, slot)

    # --- the parts -------------------------------------------------------------------

    def _slot_time(self, now: float) -> float | None:
        n, held = self.window(), len(self.held)
        if held >= n:
            return None
        at = max(now, self.until, self.tat - (self.burst - 1) / self.rate)
        k = len(self.done) + held - n  # 0-based: the answered slot this booking takes
        return max(at, self.done[k][0]) if k >= 0 else at

    def _book(self, ticket: str, at: float) -> None:
        self.held[ticket] = at
        self.tat = max(self.tat, at) + 1 / self.rate

    def _dispatch(self, now: float) -> None:
        while self.queue:
            at = self._slot_time(now)
            if at is None:
                return
            ticket = self.queue.popleft()
            self._book(ticket, at)
            self.moved.append((ticket, at))

    def _rebook(self, now: float) -> None:
        due = sorted((at, ticket) for ticket, at in self.held.items() if at > now)
        if not due:
            return
        for _, ticket in due:
            del self.held[ticket]
        self.tat = min(self.tat, due[0][0])
        queued: list[str] = []
        for old, ticket in due:
            at = self._slot_time(now)
            if at is None:
                queued.append(ticket)
                self.moved.append((ticket, None))
                continue
            at = max(at, old)
            self._book(ticket, at)
            if at != old:
                self.moved.append((ticket, at))
        self.queue.extendleft(reversed(queued))

    def _adapt(self, now: float, sent: float | None, *, limited: bool) -> None:
        if not limited:
            if self.rate < self.top and now - self.calm >= self.period:
                self._set_rate(min(self.rate * CLIMB, self.top), now)
        elif sent is not None and sent >= self.dropped:  # sent since the last drop: evidence
            lower, seen = self.rate * BACKOFF, False
            measured = self.rate_for(len(self.ok))
            if now - self.dropped >= self.period and measured < self.rate:
                lower, seen = measured, True  # a whole period since: what the server accepted
            self._set_rate(max(lower, self.rate / 2, 1 / self.period), now)
            if seen:  # the server's limit, measured: probe above it again later
                self.calm = now + HOLD * self.period

    def _set_rate(self, rate: float, now: float) -> None:
        lowered = rate < self.rate
        self.rate, self.calm = rate, now
        if lowered:
            self.dropped = now
            self._rebook(now)

    def _add_done(self, free_at: float, ticket: str) -> None:
        bisect.insort(self.done, (free_at, ticket))
        self._free_at[ticket] = free_at

    def _prune(self, now: float) -> None:
        cut = bisect.bisect_right(self.done, (now, "\uffff"))
        for _, ticket in self.done[:cut]:
            del self._free_at[ticket]
            self.ok.pop(ticket, None)
        del self.done[:cut]
        for ticket in [t for t, sent in self.ok.items() if sent <= now - self.period]:
            del self.ok[ticket]
