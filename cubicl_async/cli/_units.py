"""The pending units of a fan-out area (a task's activities, a thread, a directory), queued."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable

__all__ = ["Units"]

Unit = tuple[str, str | None]


class Units:
    """Units of one area waiting for a worker: (key, cursor), each key queued once.

    It starts with the units the store holds as pending and grows as `producers` (the
    listings that find new units) and its own workers add more. `get` returns `None` once
    nothing can come any more: every producer is done, no worker is busy (a busy worker
    may add units, as a directory listing adds its subdirectories), nothing is queued; or
    once `stop` was called.
    """

    def __init__(
        self, area: str, pending: Iterable[Unit] = (), *, producers: int = 1,
        feeds_itself: bool = False,
    ) -> None:  # fmt: skip
        #: The area's name (for progress).
        self.area = area
        #: Whether its workers add units (a directory's listing adds its subdirectories).
        self.feeds_itself = feeds_itself
        self._queue: deque[Unit] = deque(pending)
        self._seen = {key for key, _ in self._queue}
        self._producers = producers
        self._busy = 0
        self._stopped = False
        self._changed = asyncio.Event()

    def _signal(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    @property
    def left(self) -> int:
        """Units queued or being worked on."""
        return len(self._queue) + self._busy

    @property
    def open(self) -> bool:
        """Whether more units may still come (from a producer, or a worker if it `feeds_itself`)."""
        busy = self.feeds_itself and self._busy > 0
        return not self._stopped and (self._producers > 0 or busy)

    @property
    def ended(self) -> bool:
        """Whether `get` returns `None` from now on."""
        return self._stopped or (not self._queue and self._producers == 0 and self._busy == 0)

    def put(self, keys: Iterable[str]) -> None:
        """Queue new units (from their start: no cursor); a key seen before is ignored."""
        for key in keys:
            if key not in self._seen:
                self._seen.add(key)
                self._queue.append((key, None))
        self._signal()

    def producer_done(self) -> None:
        """Say that one producer will add no more units."""
        self._producers -= 1
        self._signal()

    def stop(self) -> None:
        """Hand out no more units: `get` returns `None` (units being worked on finish)."""
        self._stopped = True
        self._signal()

    def task_done(self) -> None:
        """Say that a worker finished the unit it got (having queued what it found)."""
        self._busy -= 1
        self._signal()

    async def get(self) -> Unit | None:
        """Return the next unit, waiting for one if more may come; `None` at the end."""
        while True:
            changed = self._changed
            if self._stopped:
                return None
            if self._queue:
                self._busy += 1
                return self._queue.popleft()
            if self.ended:
                return None
            await changed.wait()

    async def wait_ended(self) -> None:
        """Wait until the queue has ended (or was stopped)."""
        while not self.ended:
            await self._changed.wait()
