"""`cubicl demo` (export a grown demo organization, in process) and `cubicl emulator`."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import AsyncCubicl, RateLimit
from ._export import ExportOptions
from ._output import progress_view
from ._run import print_summary, run_export
from ._session import Failure, UsageError

if TYPE_CHECKING:
    from ..testing import Demo, Emulator

__all__ = ["demo", "emulator", "grow"]

#: The demo's rate limit, on both sides: fast enough to take seconds, slow enough to watch.
DEMO_LIMIT = RateLimit(500, 1.0)


def _testing() -> Any:
    """Import the emulator (the testing extra), or say how to install it."""
    try:
        from .. import testing

        testing.Emulator  # noqa: B018 - imports its server parts (Starlette) now
    except ImportError as exc:
        raise UsageError(
            f"this command needs the emulator: pip install 'cubicl-async[testing,cli]' ({exc})"
        ) from None
    return testing


def grow(emu: Emulator, demo: Demo, count: int) -> None:
    """Add `count` tasks over the demo's projects, a comment on every tenth."""
    projects = [pid for name, pid in demo.projects.items() if name != emu.org_name]
    people = (demo.admin, demo.member)
    for n in range(count):
        by, to = people[n % 2], people[(n + 1) % 2]
        task = emu.add_task(projects[n % len(projects)], f"Demo task {n + 1:04d}", created_by=by,
                            assignees=[to], priority=1 + n % 5, tags=["demo"])  # fmt: skip
        if n % 10 == 0:
            emu.tasks.record_activity(task, to, "comment", content=f"Looked at task {n + 1}",
                                      files=[], visibleToCustomer=False)  # fmt: skip


def demo(args: argparse.Namespace) -> int:
    """Export the grown demo organization from an in-process emulator; print what it holds."""
    testing = _testing()
    if args.tasks < 0:
        raise UsageError(f"--tasks must be 0 or more, not {args.tasks}")
    emu = testing.Emulator(rate_limit=DEMO_LIMIT.requests, rate_period=DEMO_LIMIT.period)
    seeded = testing.seed_demo(emu)
    grow(emu, seeded, args.tasks)
    dest = args.dest or Path(tempfile.mkdtemp(prefix="cubicl-demo-"))
    print(f"Demo organization {emu.org_name!r}: {len(seeded.projects)} projects, "
          f"{len(seeded.tasks) + args.tasks} tasks, {len(seeded.customers)} customers "
          f"(an emulator in this process, {DEMO_LIMIT.requests} requests a second)")  # fmt: skip
    print(f"Exporting into {dest}", flush=True)
    client = AsyncCubicl(
        emu.token(seeded.admin), base_url=emu.base_url_in_process, transport=emu.transport(),
        rate_limit=DEMO_LIMIT,
    )  # fmt: skip
    result = asyncio.run(
        run_export(
            client,
            dest,
            ExportOptions(),
            progress_view(),
            limit=DEMO_LIMIT,
            jsonl=args.format == "jsonl",
        )
    )
    print_summary(result, client.stats)
    return 0


def emulator(args: argparse.Namespace) -> int:
    """Serve the emulator with the demo organization on 127.0.0.1 until Ctrl-C."""
    testing = _testing()
    limit: RateLimit | None = args.rate_limit
    emu = testing.Emulator(rate_limit=limit.requests if limit else None,
                           rate_period=limit.period if limit else 60.0)  # fmt: skip
    seeded = testing.seed_demo(emu)
    token = emu.token(seeded.admin)
    try:
        with testing.serve(emu, "127.0.0.1", args.port) as url:
            print(f"Cubicl emulator at {url} (token: {token}), with the demo organization;"
                  " Ctrl-C stops it. Try:")  # fmt: skip
            print(f"  export CUBICL_BASE_URL={url} CUBICL_TOKEN={token}")
            print("  cubicl whoami", flush=True)
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                print("emulator stopped")
    except (RuntimeError, OSError) as exc:
        raise Failure(f"cannot serve on 127.0.0.1:{args.port}: {exc.__cause__ or exc}") from None
    return 0
