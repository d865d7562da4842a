"""Progress of an export: per area items and requests, the rate against the limit, an ETA."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TextIO

__all__ = ["AreaProgress", "PlainView", "Tracker", "View", "duration"]

#: Area -> (requests known to be left, whether more may come that are not known yet).
Estimate = Callable[[], dict[str, tuple[int, bool]]]


def duration(seconds: float) -> str:
    """Format a duration for people: `45s`, `2m 05s`, `1h 05m`."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    return f"{whole // 3600}h {whole // 60 % 60:02d}m"


@dataclass
class AreaProgress:
    """One area of the export: what it has done so far in this run."""

    name: str
    label: str
    items: int = 0
    requests: int = 0
    state: str = "waiting"  # running, done
    note: str | None = None


class View(Protocol):
    """Renders the tracker: a live display on a terminal, or plain lines."""

    def changed(self, tracker: Tracker, area: AreaProgress) -> None:
        """Show that an area started, progressed or finished."""

    def close(self, tracker: Tracker) -> None:
        """End the display (the run is over, however it ended)."""


class Tracker:
    """What the export has done, area by area, and what it knows is left.

    `rate` returns the client's current rate (`client.rate_limiter.rate`, requests per
    second; `None` without a client-side limit), `limit` is the configured one. The
    exporter sets `estimate`, which tells the requests left per area.
    """

    def __init__(
        self,
        areas: Sequence[tuple[str, str]],
        view: View,
        *,
        rate: Callable[[], float | None] = lambda: None,
        limit: float | None = None,
    ) -> None:
        #: The areas, in display order.
        self.areas = {name: AreaProgress(name, label) for name, label in areas}
        self.view = view
        self.rate = rate
        self.limit = limit
        #: Set by the exporter: the requests left, per area.
        self.estimate: Estimate = dict
        self.started = time.monotonic()

    def start(self, area: str) -> None:
        """Mark an area as running."""
        progress = self.areas[area]
        if progress.state == "waiting":
            progress.state = "running"
            self.view.changed(self, progress)

    def add(self, area: str, *, items: int = 0, requests: int = 0) -> None:
        """Count items stored and requests made for an area."""
        progress = self.areas[area]
        progress.items += items
        progress.requests += requests
        if progress.state == "waiting":
            progress.state = "running"
        self.view.changed(self, progress)

    def finish(self, area: str, note: str | None = None) -> None:
        """Mark an area as done; `note` replaces "done" (`skipped: not permitted (403)`)."""
        progress = self.areas[area]
        progress.state, progress.note = "done", note
        self.view.changed(self, progress)

    @property
    def requests(self) -> int:
        """Requests made in this run, all areas."""
        return sum(a.requests for a in self.areas.values())

    def left(self) -> tuple[int, bool]:
        """Return the requests known to be left, and whether more may come."""
        estimates = self.estimate().values()
        return sum(n for n, _ in estimates), any(more for _, more in estimates)

    def status(self) -> str:
        """One line: requests so far, rate against the limit, ETA."""
        rate = self.rate()
        shown = "off" if rate is None else f"{rate:.2f}"
        limit = "" if self.limit is None else f"/{self.limit:.2f}"
        left, more = self.left()
        eta = "?"
        if rate and (left or not more):
            eta = ("≥ " if more else "") + duration(left / rate)
        return f"{self.requests} requests, rate {shown}{limit} req/s, ETA {eta}"


class PlainView:
    """Plain lines, one per step (an area starts, goes on, ends), at most one a second per area."""

    def __init__(self, out: TextIO | None = None, *, every: float = 1.0) -> None:
        self._out = out
        self._every = every
        self._last: dict[str, float] = {}

    def _print(self, line: str) -> None:
        print(line, file=self._out or sys.stdout, flush=True)

    def changed(self, tracker: Tracker, area: AreaProgress) -> None:
        """Print a line when an area starts or ends, and while it runs, now and then."""
        now = time.monotonic()
        first = area.name not in self._last
        if area.state == "done":
            what = area.note or "done"
            self._print(f"{area.label}: {what}, {area.items} items, {area.requests} requests")
        elif first or now - self._last[area.name] >= self._every:
            self._print(f"{area.label}: {area.items} items, {area.requests} requests"
                        f" | {tracker.status()}")  # fmt: skip
        else:
            return
        self._last[area.name] = now

    def close(self, tracker: Tracker) -> None:
        """Nothing to clear: the lines are already out."""
