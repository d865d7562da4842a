"""What both limiters share: a ticket per request, held by its task, and waiters that sleep.

`acquire()` books a ticket in the store and sleeps until the booked time (a timer, no
polling); the store may move the time later (a cooldown, a lower rate) or queue it until
a slot frees, and tells the waiter through `_move`. The ticket stays with the task that
acquired it until that task's `record()`, its next `acquire()` (a retry after a request
that got no answer) or its end (an error, a cancellation): then the slot is answered, or
given back if the request never left. The pipeline calls all of them from one task per
call, so nothing is needed from it beyond the `Throttle` methods.

Round trips. `record(reused=True)` says the request left on a connection that had already
carried one (no handshake in its round trip): the limiter keeps the fastest such round
trip, less a small `MARGIN`, and the store frees each slot that much before `period`
after its answer (never before `period` after its booked time; see `_schedule`).
"""

from __future__ import annotations

import abc
import asyncio
import itertools
import time
import uuid
import weakref

from ._errors import ClientStateError

__all__ = ["MARGIN", "Booking", "Waiter"]

#: Taken off the fastest round trip before it frees slots early: the fastest one seen
#: still queued a little (up to 1.3 ms more than the two legs' fastest, in 17 runs of
#: scenario c of benchmarks/saturation.py on 2 cores, where 1 ms left the server's window
#: 0.45 ms to spare), and a clock may read a tick short (uvloop's counts milliseconds;
#: Windows' monotonic clock ticks every 15.6 ms before Python 3.13).
MARGIN = max(time.get_clock_info("monotonic").resolution, 0.005)


class Waiter:
    """One caller of `acquire()`: the local loop time it may leave at (`None`: queued)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        #: When it may leave (loop time), `None` while it waits for a slot.
        self.at: float | None = None
        #: The store clock of the latest move applied (older ones are stale).
        self.version = float("-inf")
        self.error: BaseException | None = None
        #: The store's state it was booked in (the Redis limiter's epoch).
        self.epoch = ""
        self._fired: float | None = None
        self._wake: asyncio.Future[None] | None = None

    def move(self, at: float | None, version: float = float("-inf")) -> None:
        """Set the time it may leave (`None`: wait for a slot), unless `version` is older."""
        if version < self.version:
            return
        self.version, self.at = version, at
        self._poke()

    def fail(self, error: BaseException) -> None:
        """End the wait with `error`."""
        self.error = error
        self._poke()

    def due(self) -> bool:
        """Tell whether its time has come."""
        return self.at is not None and (self._fired == self.at or self.at <= self.loop.time())

    async def wait(self) -> None:
        """Sleep until its time (which may move meanwhile); raise its error if it fails."""
        while self.error is None and not self.due():
            self._wake = self.loop.create_future()
            at, timer = self.at, None
            if at is not None:
                timer = self.loop.call_at(at, self._fire, at)
            try:
                await self._wake
            finally:
                if timer is not None:
                    timer.cancel()
        if self.error is not None:
            raise self.error

    def _fire(self, at: float) -> None:
        self._fired = at
        self._poke()

    def _poke(self) -> None:
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)


class Booking(abc.ABC):
    """The `Throttle` methods over a store of tickets; subclasses give the store."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        #: This limiter's name among the store's owners.
        self.owner = uuid.uuid4().hex[:12]
        self._numbers = itertools.count()
        self._held: dict[asyncio.Task[object], str] = {}
        self._watched: weakref.WeakSet[asyncio.Task[object]] = weakref.WeakSet()
        self._waiters: dict[str, Waiter] = {}
        #: The fastest round trip of a request sent on an open connection (`None`: none).
        self._fastest: float | None = None

    @property
    @abc.abstractmethod
    def period(self) -> float:
        """The window of the limit in seconds."""

    def _credit(self) -> float:
        """Return what the store takes off `period` after each answer (0: nothing known).

        The fastest round trip of a request sent on an already-open connection, less
        `MARGIN`, within 0 and `period`.
        """
        if self._fastest is None:
            return 0.0
        return min(max(self._fastest - MARGIN, 0.0), self.period)

    def _bind(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif loop is not self._loop:
            raise ClientStateError(
                f"this {type(self).__name__} belongs to another event loop; share it only "
                "between clients used in the same loop"
            )
        return loop

    async def acquire(self) -> float:
        """Wait until a request may leave; return the seconds waited."""
        loop = self._bind()
        start = loop.time()
        task = asyncio.current_task()
        stale = self._held.pop(task, None) if task is not None else None
        if stale is not None:  # this task's last request got no answer: it is over now
            self._give_back(stale)
        ticket = f"{self.owner}:{next(self._numbers):010d}"
        waiter = self._waiters[ticket] = Waiter(loop)
        try:
            await self._book(ticket, waiter)
            await self._wait(ticket, waiter)
        except BaseException:
            self._give_back(ticket)
            raise
        finally:
            del self._waiters[ticket]
        if task is not None:
            self._hold(task, ticket)
        return loop.time() - start

    async def record(
        self, sent_at: float, *, rate_limited: bool, reused: bool = False
    ) -> float | None:
        """Learn from an answer; for a 429, return the seconds until a slot frees, if known.

        The answer frees the slot of the request this task sent `period` from now, less
        the fastest round trip seen on an open connection (less `MARGIN`). `reused`: this
        request left on a connection that had carried one before, so its round trip
        (`sent_at` to now, with no handshake in it) counts.
        """
        loop = self._bind()
        if reused:
            trip = loop.time() - sent_at
            self._fastest = trip if self._fastest is None else min(self._fastest, trip)
        task = asyncio.current_task()
        ticket = self._held.pop(task, None) if task is not None else None
        return await self._answer(ticket, sent_at, limited=rate_limited, fastest=self._credit())

    def _hold(self, task: asyncio.Task[object], ticket: str) -> None:
        if task not in self._watched:
            self._watched.add(task)
            task.add_done_callback(self._task_done)
        self._held[task] = ticket

    def _task_done(self, task: asyncio.Task[object]) -> None:
        ticket = self._held.pop(task, None)
        if ticket is not None:  # the task ended without an answer: an error, a cancel
            self._give_back(ticket)

    def _moved(self, ticket: str, at: float | None, version: float = float("-inf")) -> None:
        """Apply a re-booking from the store to the waiter of `ticket`, if still waiting."""
        waiter = self._waiters.get(ticket)
        if waiter is not None:
            waiter.move(at, version)

    async def _wait(self, ticket: str, waiter: Waiter) -> None:
        """Sleep until the waiter's time (the Redis limiter also watches its store)."""
        await waiter.wait()

    @abc.abstractmethod
    async def _book(self, ticket: str, waiter: Waiter) -> None:
        """Book `ticket` and set the waiter's time (or leave it queued)."""

    @abc.abstractmethod
    async def _answer(
        self, ticket: str | None, sent_at: float, *, limited: bool, fastest: float
    ) -> float | None:
        """Note an answer to `ticket` (`None`: a request this limiter did not book).

        Its slot frees `period` after now less `fastest` (see `_schedule`).
        """

    @abc.abstractmethod
    def _give_back(self, ticket: str) -> None:
        """Return `ticket`'s slot: unused if it never left, else as answered now."""
