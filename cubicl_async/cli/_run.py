"""An export from start to summary: open DEST, run or resume a pass, finish it, report."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .. import AsyncCubicl, ClientStats, RateLimit
from ._cost import minimum_requests
from ._export import AREAS, Exporter, ExportOptions
from ._output import print_table
from ._progress import Tracker, View, duration
from ._store import Store

__all__ = ["ExportResult", "print_summary", "run_export"]


@dataclass
class ExportResult:
    """What an export run did."""

    dest: Path
    #: Whether the run went on with an unfinished pass.
    resumed: bool
    #: The pass's number (1 for the first export into DEST).
    pass_number: int
    #: Requests of this run, and of every run of the pass.
    requests: int
    pass_requests: int
    #: The documented minimum for what the pass exported (see `cubicl export --help`).
    minimum: int
    #: Rows per table.
    counts: dict[str, int]
    #: Units skipped (not found, not permitted), per area, and stage notes.
    skipped: dict[str, int] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    seconds: float = 0.0


async def run_export(
    client: AsyncCubicl,
    dest: Path,
    options: ExportOptions,
    view: View,
    *,
    limit: RateLimit | None,
    jsonl: bool = False,
    restart: bool = False,
    opened: list[Store] | None = None,
) -> ExportResult:
    """Export into `dest` through `client` (closed at the end), shown by `view`.

    `limit` is the client's configured rate limit (for the progress display). `opened`,
    when given, receives the store once it is open (the caller can then say that the
    export resumes).
    """
    started = time.monotonic()
    async with client:
        store = Store(dest)
        if opened is not None:
            opened.append(store)
        tracker = Tracker(AREAS, view, rate=lambda: getattr(client.rate_limiter, "rate", None),
                          limit=limit.requests / limit.period if limit else None)  # fmt: skip
        try:
            resumed = store.open_pass(asdict(options), restart=restart)
            try:
                await Exporter(client, store, dest, options, tracker).run()
            finally:
                view.close(tracker)
                pass_requests = store.add_requests(client.stats.requests)
            store.finish_pass()
            files = store.write_jsonl(dest) if jsonl else [store.path]
            notes = {s: note for s in ("bookkeeping", "webhooks", "chat")
                     if (note := store.state(s)[2]) is not None}  # fmt: skip
            return ExportResult(
                dest=dest, resumed=resumed, pass_number=store.pass_number,
                requests=client.stats.requests, pass_requests=pass_requests,
                minimum=minimum_requests(store, files=options.files), counts=store.counts(),
                skipped=store.skipped(), notes=notes, files=files,
                seconds=time.monotonic() - started,
            )  # fmt: skip
        finally:
            store.close()


def print_summary(result: ExportResult, stats: ClientStats) -> None:
    """Print what was exported (rows per table), the client's counters, and a last line for scripts.

    The last line is `cubicl export: complete records=N requests=N pass_requests=N
    minimum=N pass=N resumed=yes|no seconds=N.N`.
    """
    print(f"\nExported into {result.dest}" + (" (resumed)" if result.resumed else ""))
    print_table(("table", "rows"), [(name, str(n)) for name, n in result.counts.items()])
    for stage, note in result.notes.items():
        print(f"{stage}: {note}")
    for area, n in result.skipped.items():
        print(f"{area}: {n} skipped (not found or not permitted)")
    for path in result.files:
        print(f"wrote {path}")
    print(f"client: {stats} in {duration(result.seconds)}")
    records = sum(result.counts.values())
    print(
        f"cubicl export: complete records={records} requests={result.requests} "
        f"pass_requests={result.pass_requests} minimum={result.minimum} "
        f"pass={result.pass_number} resumed={'yes' if result.resumed else 'no'} "
        f"seconds={result.seconds:.1f}",
        flush=True,
    )
