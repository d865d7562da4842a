"""Benchmark: `cubicl export` of 200 projects, 10,000 tasks and 500 customers at the rate limit.

The emulator (in a child process, on loopback) enforces R requests per 1-second sliding
window, and the client is configured with the same limit. The export runs as the
command does (SQLite store, every area) and prints one line:

    export records=20706 requests=10761 minimum=10761 rate/limit=0.96

`requests` is what the client sent, `minimum` the documented cost of this organization
(`cubicl export --help`; 201 projects with the main one), equal when nothing was retried.
`rate/limit` is the rate the server saw, requests per second from the first request sent
to the last, divided by R; the client's bucket runs at most at 0.975 of R (its 2% of
headroom, and a burst of 2 out of R + 1), and what is left is lost while the event loop
decodes and stores a page of 200 whole tasks.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _child import child_server, serve_until_stdin_closes

from cubicl_async import AsyncCubicl, RateLimit
from cubicl_async.cli._export import ExportOptions
from cubicl_async.cli._progress import AreaProgress, Tracker
from cubicl_async.cli._run import run_export
from cubicl_async.testing import Emulator

R = 200  # requests per window: 10,761 requests take about 55 s
PERIOD = 1.0
PROJECTS, TASKS, CUSTOMERS = 200, 10_000, 500


class Stamping(httpx.AsyncHTTPTransport):
    """A real HTTP transport that notes when each request left."""

    def __init__(self, log: list[float]) -> None:
        super().__init__()
        self.log = log

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Note the time, then send."""
        self.log.append(time.perf_counter())
        return await super().handle_async_request(request)


class Quiet:
    """A progress view that shows nothing (the benchmark prints one line)."""

    def changed(self, tracker: Tracker, area: AreaProgress) -> None:
        """Show nothing."""

    def close(self, tracker: Tracker) -> None:
        """Show nothing."""


def serve_organization() -> None:
    """In the child: the organization, rate limited, served until stdin closes."""
    emu = Emulator(rate_limit=R, rate_period=PERIOD)
    admin = emu.add_user("Ada", "Lovelace", token="bench", org_admin=True)
    member = emu.add_user("Grace", "Hopper")
    projects: list[str] = []
    for n in range(PROJECTS):  # ten top projects, the others under them
        parents = [projects[n % 10]] if n >= 10 else None
        projects.append(emu.add_project(f"Project {n:03d}", parents=parents, members=[member]))
    customers = [emu.add_client(f"Customer {n:03d}", email=f"c{n}@example.com")
                 for n in range(CUSTOMERS)]  # fmt: skip
    for n in range(TASKS):
        customer = emu.client(customers[n % CUSTOMERS]) if n % 3 == 0 else None
        emu.add_task(projects[n % PROJECTS], f"Task {n:05d}", created_by=admin,
                     assignees=[member], priority=1 + n % 5, customer=customer,
                     desc="Some words about the task. " * 4, tags=["bench"])  # fmt: skip
    serve_until_stdin_closes(emu)


async def main() -> None:
    """Export the organization, then print the line."""
    log: list[float] = []
    limit = RateLimit(R, PERIOD)
    with child_server(__file__) as base_url, tempfile.TemporaryDirectory() as dest:
        client = AsyncCubicl("bench", base_url=base_url, rate_limit=limit,
                             transport=Stamping(log))  # fmt: skip
        result = await run_export(client, Path(dest), ExportOptions(), Quiet(), limit=limit)
    assert result.requests == len(log)
    rate = (len(log) - 1) / (log[-1] - log[0]) / (R / PERIOD)
    print(
        f"export records={sum(result.counts.values())} requests={result.requests} "
        f"minimum={result.minimum} rate/limit={rate:.2f}",
        flush=True,
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve_organization()
    else:
        asyncio.run(main())
