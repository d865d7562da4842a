"""The machinery of an export run: areas as concurrent jobs, requests through a few slots, stops.

Every stage and worker is a task. At most `WORKERS` requests are in flight (the client's
throttle spaces them; a few in flight hide the latency). When one job fails, the others
take no new request: those in flight finish and are committed, then the first error is
raised, so a run stopped by an error loses no answer it received. A cancelled run
(Ctrl-C) cancels everything at once: the requests in flight are lost, nothing else.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from .. import AsyncCubicl, NotFoundError, PermissionDeniedError
from ._progress import Tracker
from ._store import Batch, Store
from ._units import Units

__all__ = ["WORKERS", "Runner", "why"]

T = TypeVar("T")
#: Requests in flight at once.
WORKERS = 8


class _Stopped(Exception):
    """Raised in the other jobs once one has failed: they stop after the request in flight."""


def why(exc: NotFoundError | PermissionDeniedError) -> str:
    """Return the note of a unit or stage skipped for a 404 or a 403."""
    what = "not found" if isinstance(exc, NotFoundError) else "not permitted"
    return f"skipped: {what} ({exc.status_code})"


class Runner:
    """Runs the jobs of one export run against `store`, through `client`, shown by `tracker`."""

    #: Listing stages (more than one request, how many is unknown until done).
    listings: tuple[str, ...] = ()
    #: Stages of one request that run concurrently with the listings.
    singles: tuple[str, ...] = ()
    #: Fan-out areas whose units add units of their own.
    self_feeding: tuple[str, ...] = ()

    def __init__(self, client: AsyncCubicl, store: Store, tracker: Tracker,
                 queues: tuple[str, ...]) -> None:  # fmt: skip
        self.client, self.store, self.tracker = client, store, tracker
        self._slots = asyncio.Semaphore(WORKERS)
        self._stopping = False
        self._done: set[str] = set()
        self._queues = {
            area: Units(area, store.pending(area), feeds_itself=area in self.self_feeding)
            for area in queues
        }
        tracker.estimate = self._left

    def _left(self) -> dict[str, tuple[int, bool]]:
        """Return the requests left per area: 1 (or more) per stage not done, 1 per unit."""
        stages = (*self.listings, *self.singles)
        left = {s: (1, s in self.listings) for s in stages if s not in self._done}
        for area, units in self._queues.items():
            left[area] = (units.left, units.open or (area == "messages" and units.left > 0))
        return left

    # Running: every job a task; the first failure stops the others after their request

    async def _all(self, jobs: list[Coroutine[Any, Any, None]]) -> None:
        tasks = [asyncio.ensure_future(job) for job in jobs]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            failed = [t for t in tasks if t.done() and not t.cancelled() and t.exception()]
            if failed:
                self._stopping = True
                for units in self._queues.values():
                    units.stop()
                await asyncio.gather(*tasks, return_exceptions=True)
                errors = [t.exception() for t in failed]
                raise next((e for e in errors if not isinstance(e, _Stopped)), errors[0])  # type: ignore[misc]
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _call(self, area: str, fetch: Callable[[], Awaitable[T]]) -> T:
        """Make one request for `area` (at most `WORKERS` in flight), counted in its progress."""
        async with self._slots:
            if self._stopping:
                raise _Stopped
            try:
                return await fetch()
            finally:
                self.tracker.add(area, requests=1)

    async def _single(self, stage: str, fetch: Callable[[], Awaitable[T]],
                      save: Callable[[Batch, T], int], *, optional: bool = False,
                      feeds: str | None = None) -> None:  # fmt: skip
        """Run a stage of one request; `optional`: a 403 or 404 is recorded and skipped.

        `feeds` names the queue its records add units to: it gets no more once done.
        """
        done, _, note = self.store.state(stage)
        if not done:
            self.tracker.start(stage)
            try:
                result = await self._call(stage, fetch)
            except (NotFoundError, PermissionDeniedError) as exc:
                if not optional:
                    raise
                note, items = why(exc), 0
                with self.store.batch() as batch:
                    batch.stage(stage, done=True, note=note)
            else:
                with self.store.batch() as batch:
                    items = save(batch, result)
                    batch.stage(stage, done=True)
                self._feed(batch)
            self.tracker.add(stage, items=items)
        self._done.add(stage)
        self.tracker.finish(stage, note if not done else "done in an earlier run")
        if feeds is not None:
            self._queues[feeds].producer_done()

    async def _pages(self, area: str, pages: AsyncIterator[list[T]], size: int,
                     commit: Callable[[Batch, list[T], bool], None]) -> None:  # fmt: skip
        """Fetch pages one request each, committing each with its cursor; stop after a short one."""
        try:
            while True:
                page = await self._call(area, lambda: anext(pages, None))
                last = page is None or len(page) < size
                with self.store.batch() as batch:
                    commit(batch, page or [], last)
                self._feed(batch)
                self.tracker.add(area, items=len(page or []))
                if last:
                    return
        finally:
            if isinstance(pages, AsyncGenerator):
                await pages.aclose()

    def _feed(self, batch: Batch) -> None:
        """Queue the units a committed batch added."""
        for area, keys in batch.added.items():
            self._queues[area].put(keys)

    async def _worker(
        self, units: Units, work: Callable[[str, str | None], Awaitable[None]]
    ) -> None:
        while (unit := await units.get()) is not None:
            try:
                await work(*unit)
            finally:
                units.task_done()

    async def _watch(self, units: Units) -> None:
        self.tracker.start(units.area)
        await units.wait_ended()
        if not self._stopping:
            self.tracker.finish(units.area)

    async def _unit(self, area: str, key: str, fetch: Callable[[], Awaitable[T]]) -> T | None:
        """One request of a unit; a 403 or 404 marks the unit skipped and returns `None`."""
        try:
            return await self._call(area, fetch)
        except (NotFoundError, PermissionDeniedError) as exc:
            with self.store.batch() as batch:
                batch.unit(area, key, note=why(exc))
            return None
