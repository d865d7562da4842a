"""The terminal side (rich): a live progress display of an export, and tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.console import Console, RenderableType
from rich.progress import BarColumn, Progress, TaskID, TextColumn
from rich.table import Table
from rich.text import Text

from ._progress import AreaProgress, Tracker

__all__ = ["RichView", "print_table"]


class _Progress(Progress):
    """Progress bars with a status line under them."""

    status = ""

    def get_renderables(self) -> Iterable[RenderableType]:
        """Yield the bars, then the status line."""
        yield self.make_tasks_table(self.tasks)
        yield Text(self.status, style="bold")


class RichView:
    """A live display: one bar per area (items, requests), and a line with rate and ETA."""

    def __init__(self, console: Console | None = None) -> None:
        self._progress = _Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            TextColumn("{task.fields[items]:>7} items"),
            TextColumn("{task.fields[requests]:>7} requests"),
            TextColumn("{task.fields[what]}"),
            console=console,
        )
        self._tasks: dict[str, TaskID] = {}
        self._started = False

    def changed(self, tracker: Tracker, area: AreaProgress) -> None:
        """Update the area's bar and the status line (rich redraws a few times a second)."""
        if not self._started:
            self._progress.start()
            self._started = True
        if area.name not in self._tasks:
            self._tasks[area.name] = self._progress.add_task(
                area.label, total=None, items=0, requests=0, what=""
            )
        left, more = tracker.estimate().get(area.name, (0, False))
        done = area.state == "done"
        total = area.requests + left if not more or done else None
        self._progress.update(
            self._tasks[area.name],
            completed=area.requests,
            total=area.requests if done else total,
            items=area.items,
            requests=area.requests,
            what=area.note or ("done" if done else ""),
        )
        self._progress.status = tracker.status()

    def close(self, tracker: Tracker) -> None:
        """Stop the live display, leaving its last state on the screen."""
        if self._started:
            self._progress.status = tracker.status()
            self._progress.stop()


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]], console: Console) -> None:
    """Print rows under a header as a rich table."""
    table = Table(*header, show_lines=False, header_style="bold")
    for row in rows:
        table.add_row(*row)
    console.print(table)
