"""The `cubicl` command (also `python -m cubicl_async`): export an organization, and everyday reads.

Built on the public SDK: `cubicl export DEST` copies everything the token can read into
SQLite (or JSON Lines), resumable at any point; `cubicl whoami`, `cubicl projects tree`
and `cubicl tasks list` are the everyday reads; `cubicl demo` and `cubicl emulator` use
the emulator (`cubicl_async.testing`, imported only by them). Exit status: 0 done, 1
failed, 2 bad usage, 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import traceback
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from .. import AsyncCubicl
from ._args import build_parser
from ._demo import demo, emulator
from ._export import ExportOptions
from ._output import progress_view
from ._reads import projects_tree, tasks_list, whoami
from ._run import print_summary, run_export
from ._session import Failure, UsageError, describe, make_client, read_token, setup_logging
from ._store import Store, StoreError

__all__ = ["main"]

_RESUME = "run the same command again to resume"


def _export(args: argparse.Namespace) -> int:
    """`cubicl export DEST`."""
    client = make_client(args, read_token(args.token_file))
    options = ExportOptions(project=args.project, include_archived=args.include_archived,
                            files=args.files)  # fmt: skip
    opened: list[Store] = args.opened
    result = asyncio.run(
        run_export(
            client,
            args.dest,
            options,
            progress_view(),
            limit=args.rate_limit,
            jsonl=args.format == "jsonl",
            restart=args.restart,
            opened=opened,
        )
    )
    print_summary(result, client.stats)
    return 0


def _reading(read: Callable[[AsyncCubicl, argparse.Namespace], Coroutine[Any, Any, None]]
             ) -> Callable[[argparse.Namespace], int]:  # fmt: skip
    """Make the handler of a read command: a client, the read, the client closed."""

    def handler(args: argparse.Namespace) -> int:
        client = make_client(args, read_token(args.token_file))

        async def run() -> None:
            async with client:
                await read(client, args)

        asyncio.run(run())
        return 0

    return handler


HANDLERS = {
    "export": _export, "whoami": _reading(whoami), "projects tree": _reading(projects_tree),
    "tasks list": _reading(tasks_list), "demo": demo, "emulator": emulator,
}  # fmt: skip


def _transient(exc: Exception) -> bool:
    """Whether running the export again may get past the error (not a bad `--project`, say)."""
    return not isinstance(exc, Failure)


def main(argv: Sequence[str] | None = None) -> int:
    """Run `cubicl` with `argv` (default: the command line); return the exit status.

    Errors are one line on stderr (a traceback too with `--verbose`): 1 for a failure, 2
    for bad usage (argparse exits with 2 itself), 130 for Ctrl-C.
    """
    args = build_parser(HANDLERS).parse_args(argv)
    args.opened = []
    setup_logging(args.verbose)
    try:
        return int(args.handler(args))
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as Python's docs say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        resume = f": the export is saved, {_RESUME}" if args.opened else ""
        print(f"cubicl: interrupted{resume}", file=sys.stderr, flush=True)
        return 130
    except (UsageError, StoreError) as exc:
        print(f"cubicl: error: {exc}", file=sys.stderr, flush=True)
        return 2
    except Exception as exc:
        if args.verbose:
            traceback.print_exc()
        resume = f"; the export is saved: {_RESUME}" if args.opened and _transient(exc) else ""
        print(f"cubicl: {describe(exc)}{resume}", file=sys.stderr, flush=True)
        return 1
