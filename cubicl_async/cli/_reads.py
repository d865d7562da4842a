"""The everyday reads: `cubicl whoami`, `cubicl projects tree`, `cubicl tasks list`."""

from __future__ import annotations

import argparse
import asyncio
from typing import Literal

from .. import AsyncCubicl
from .._convert import unstructure
from ._output import print_table
from ._tables import dumps

__all__ = ["projects_tree", "tasks_list", "whoami"]

_ARCHIVED: dict[str, bool | Literal["all"]] = {"yes": True, "no": False, "all": "all"}


async def whoami(client: AsyncCubicl, args: argparse.Namespace) -> None:
    """Print the token's user and organization (one request)."""
    me = await client.users.me()
    role = "admin" if me.org.is_admin else "member"
    print(f"{me.name} (user {me.id})")
    print(f"{role} of the organization {me.org.name or '(unnamed)'}")


async def projects_tree(client: AsyncCubicl, args: argparse.Namespace) -> None:
    """Draw the project DAG, or the part under `--root` (one request)."""
    tree = await client.projects.tree(args.root)
    print(tree if len(tree) else "(no projects)")


async def tasks_list(client: AsyncCubicl, args: argparse.Namespace) -> None:
    """List tasks: JSON lines as the pages come, or a table with project and people's names."""
    tasks = client.tasks.list(
        project=args.project, recursive=args.project is not None, assignee=args.assignee,
        search=args.search, archived=_ARCHIVED[args.archived],
    )  # fmt: skip
    if args.json:
        async for task in tasks:
            print(dumps(unstructure(task)))
        return
    found, projects, users = await asyncio.gather(
        tasks.to_list(), client.projects.list().to_list(), client.users.list().to_list()
    )
    project_names = {p.id: p.name or p.id for p in projects}
    user_names = {u.id: u.name for u in users}
    rows = [
        (
            task.id, task.name or "", task.state or "",
            project_names.get(task.project or "", task.project or ""),
            ", ".join(user_names.get(a, a) for a in task.assignees),
            task.deadline.date().isoformat() if task.deadline else "",
        )
        for task in found
    ]  # fmt: skip
    print_table(("id", "name", "state", "project", "assignees", "deadline"), rows)
    print(f"{len(rows)} tasks")
