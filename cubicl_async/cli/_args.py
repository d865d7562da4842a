"""The command line (argparse): commands, their options, and the help that documents them."""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Callable
from pathlib import Path

from .. import RateLimit, __version__
from ._cost import COST
from ._session import identifier, rate_limit

__all__ = ["EXIT_CODES", "Handlers", "build_parser"]

EXIT_CODES = """\
exit status: 0 done, 1 failed (the error in one line on stderr), 2 bad usage (bad
arguments, no token), 130 interrupted (Ctrl-C; an export resumes when run again)."""

ENVIRONMENT = """\
environment: CUBICL_TOKEN (the API token; or --token-file PATH, or a prompt in a
terminal; never an argument), CUBICL_BASE_URL (or --base-url)."""

Handlers = dict[str, Callable[[argparse.Namespace], int]]


def _wrap(text: str) -> str:
    """Wrap a description as argparse would (the raw formatter keeps the epilogs' layout)."""
    return textwrap.fill(text, width=80)


def _api_options() -> argparse.ArgumentParser:
    """Return the options of the commands that call the API."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("API options")
    group.add_argument(
        "--token-file",
        type=Path,
        metavar="PATH",
        help="read the token from this file (default: $CUBICL_TOKEN)",
    )
    group.add_argument(
        "--base-url",
        metavar="URL",
        help="the API root (default: $CUBICL_BASE_URL, else https://cubicl.io/api/v1/)",
    )
    group.add_argument(
        "--rate-limit",
        type=rate_limit,
        default=RateLimit(60, 60.0),
        metavar="N/PERIOD",
        help="requests per period in seconds that the "
        "token may make (default 60/60; the API docs also say 120/60)",
    )
    group.add_argument(
        "--retries",
        type=int,
        default=2,
        metavar="N",
        help="retries of a request that failed on the way (default 2)",
    )
    return common  # fmt: skip


def _verbose() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="store_true",
                        help="log every request on stderr, and show tracebacks")  # fmt: skip
    return common


def _export(commands: argparse._SubParsersAction[argparse.ArgumentParser],
            parents: list[argparse.ArgumentParser]) -> None:  # fmt: skip
    export = commands.add_parser(
        "export", parents=parents, formatter_class=argparse.RawDescriptionHelpFormatter,
        help="export everything the token can read into a directory (resumable)",
        description=_wrap("Export every area the token can read (projects, users, tasks with their "
        "activities, customers, bookkeeping, chat, webhooks, the Files pages) into DEST. "
        "Run it again after an interruption: it resumes where it stopped; run it again "
        "after it completed: a new pass updates DEST."),
        epilog=f"{COST}\n\n{EXIT_CODES}\n{ENVIRONMENT}",
    )  # fmt: skip
    export.add_argument("dest", type=Path, metavar="DEST", help="the directory to export into")
    export.add_argument(
        "--project",
        metavar="ID",
        type=identifier,
        help="only this project's subtree (projects, tasks, Files pages)",
    )
    export.add_argument(
        "--format",
        choices=("sqlite", "jsonl"),
        default="sqlite",
        help="sqlite: DEST/cubicl.sqlite (default); jsonl: also DEST/<table>.jsonl",
    )
    export.add_argument("--include-archived", action="store_true", help="archived tasks too")
    export.add_argument(
        "--files", action="store_true", help="download the files' contents into DEST/files/<id>"
    )
    export.add_argument("--restart", action="store_true",
                        help="drop an unfinished export's progress, start a new pass")  # fmt: skip


def _action(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], name: str, summary: str,
    action: str, action_summary: str, parents: list[argparse.ArgumentParser],
) -> argparse.ArgumentParser:  # fmt: skip
    """Add `cubicl NAME ACTION` (a command of one action so far); return the action's parser."""
    group = commands.add_parser(name, help=summary)
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    return actions.add_parser(action, parents=parents, help=action_summary)


def build_parser(handlers: Handlers) -> argparse.ArgumentParser:
    """Return the parser of `cubicl`; each command's `handler` is one of `handlers`."""
    parser = argparse.ArgumentParser(
        prog="cubicl", formatter_class=argparse.RawDescriptionHelpFormatter,
        description=_wrap("The Cubicl API from the command line: export an organization, read "
        "projects and tasks, or try it all on the embedded emulator (cubicl demo)."),
        epilog=f"{EXIT_CODES}\n{ENVIRONMENT}",
    )  # fmt: skip
    parser.add_argument("--version", action="version", version=f"cubicl {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    verbose, api = _verbose(), _api_options()
    _export(commands, [api, verbose])
    commands.add_parser("whoami", parents=[api, verbose],
                        help="the token's user and organization")  # fmt: skip
    tree = _action(commands, "projects", "the project DAG", "tree", "draw the project DAG as text",
                   [api, verbose])  # fmt: skip
    tree.add_argument(
        "--root", metavar="ID", type=identifier, help="only what lies under this project"
    )
    listing = _action(commands, "tasks", "tasks", "list",
                      "list tasks as a table, or as JSON lines", [api, verbose])  # fmt: skip
    listing.add_argument(
        "--project", metavar="ID", type=identifier, help="a project's tasks (and its subtree's)"
    )
    listing.add_argument(
        "--assignee", metavar="ID", type=identifier, help="tasks assigned to this user"
    )
    listing.add_argument("--search", metavar="TEXT", help="tasks whose name contains TEXT")
    listing.add_argument(
        "--archived",
        choices=("yes", "no", "all"),
        default="no",
        help="archived tasks: only (yes), none (no, the default) or all",
    )
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    emulator = commands.add_parser(
        "emulator", parents=[verbose], help="serve the API emulator with the demo organization",
        description=_wrap("Serve the in-memory emulator of the API, seeded with the demo "
        "organization, on 127.0.0.1 until Ctrl-C (needs the testing extra)."),
    )  # fmt: skip
    emulator.add_argument("--port", type=int, default=8765, help="the port (0: any free one)")
    emulator.add_argument(
        "--rate-limit",
        type=rate_limit,
        metavar="N/PERIOD",
        help="the limit the emulator enforces per token (default: none)",
    )
    demo = commands.add_parser(
        "demo", parents=[verbose], help="export a demo organization (no token, no network)",
        description=_wrap("Grow the emulator's demo organization to a few thousand tasks, in "
        "process, and export it as `cubicl export` would (at 500 requests a second)."),
    )  # fmt: skip
    demo.add_argument(
        "dest",
        type=Path,
        nargs="?",
        metavar="DEST",
        help="the directory to export into (default: a new temporary one, kept)",
    )
    demo.add_argument(
        "--tasks",
        type=int,
        default=3000,
        metavar="N",
        help="tasks to add to the demo organization (default 3000)",
    )
    demo.add_argument("--format", choices=("sqlite", "jsonl"), default="sqlite")
    for name, sub in (
        ("export", "export"),
        ("whoami", "whoami"),
        ("emulator", "emulator"),
        ("demo", "demo"),
    ):
        commands.choices[name].set_defaults(handler=handlers[sub])
    tree.set_defaults(handler=handlers["projects tree"])
    listing.set_defaults(handler=handlers["tasks list"])
    return parser  # fmt: skip
