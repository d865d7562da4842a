"""Where output goes: rich on a terminal (when installed), plain lines otherwise (CI logs, cron)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ._progress import PlainView, View

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["console", "print_table", "progress_view"]


def console() -> Console | None:
    """Return a rich console when stdout is a terminal and rich is installed, else `None`."""
    if not sys.stdout.isatty() or os.environ.get("TERM") == "dumb":
        return None
    try:
        from rich.console import Console
    except ImportError:  # the cli extra is not installed: plain lines
        return None
    return Console()


def progress_view() -> View:
    """Return a live display on a terminal, plain lines otherwise."""
    terminal = console()
    if terminal is None:
        return PlainView()
    from ._rich import RichView

    return RichView(terminal)


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print rows as a table: rich on a terminal, aligned plain columns otherwise."""
    terminal = console()
    if terminal is not None:
        from ._rich import print_table as rich_table

        rich_table(header, rows, terminal)
        return
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
              .rstrip())  # fmt: skip
