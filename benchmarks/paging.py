"""Benchmark: listing tasks 100 at a time: requests made, peak memory and server time per page.

The emulator (in a child process, on loopback) holds 10,000 tasks of about 1 KB. The SDK
lists them all with `page_size=100`, keeping none, while tracemalloc records the client's
peak memory above what it held before; that peak is divided by the memory a list of
one page of tasks takes when held (garbage collected on both sides), measured in the same
run:

    paging tasks=10000 page_size=100 requests=101 peak/page=5.9

Then the server's time per page, at 10,000 and at 100,000 such tasks (one child each):
the SDK lists every task 100 at a time (the 10,000 ten times over, so that both average
about 1,000 pages), and the child times each `GET /tasks` it answers (around the
emulator's ASGI app, pipeline and JSON included, in the child only: a wrapper of this
script's, answering `GET /bench/server-time` with the sum). Seeding 100,000 tasks takes
about 7 seconds; the child then freezes what it seeded out of the garbage collector's
scans (`gc.freeze`), as a server does after loading. `ratio` is the 100,000 figure over
the 10,000 one: about 1 when a page costs what it returns, not what is stored (from 1.0
to 1.3 over runs on a busy two-core machine; it was 7.4 when every page filtered every
task: 40.8 ms and 300.8 ms a page):

    paging server tasks=10000 requests=1010 per_page_ms=6.6
    paging server tasks=100000 requests=1001 per_page_ms=8.4 ratio=1.28
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
import tracemalloc

import httpx
from _child import child_server, serve_until_stdin_closes
from decode import realistic_tasks
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from cubicl_async import AsyncCubicl
from cubicl_async.testing import Emulator

COUNT = 10_000
SIZES = (10_000, 100_000)
PAGE = 100
PROJECT = "b" * 24
#: About how many pages each size's server time is averaged over (whole listings).
PAGES = 1_000
#: The wrapper's own path, outside the API's ``/api/v1``.
TIMES = "/bench/server-time"


class Counting(httpx.AsyncHTTPTransport):
    """A real HTTP transport that counts the requests it sends."""

    sent = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Count, then send."""
        self.sent += 1
        return await super().handle_async_request(request)


class Timed:
    """In the child: the emulator's app, timing each ``GET /tasks``; `TIMES` tells the sum."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.pages = 0
        self.seconds = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer `TIMES` (and reset), time ``GET /tasks``, pass anything else on."""
        path, method = scope.get("path"), scope.get("method")
        if path == TIMES:
            answer = JSONResponse({"pages": self.pages, "seconds": self.seconds})
            self.pages, self.seconds = 0, 0.0
            await answer(scope, receive, send)
            return
        if (method, path) != ("GET", "/api/v1/tasks"):
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        await self.app(scope, receive, send)
        self.seconds += time.perf_counter() - start
        self.pages += 1


def serve_tasks(count: int) -> None:
    """In the child: an organization whose project Backlog holds `count` tasks."""
    emu = Emulator()
    admin = emu.add_user("Ada", "Lovelace", token="bench", org_admin=True)
    backlog = emu.add_project("Backlog", id=PROJECT)
    gc.disable()  # seeding allocates only what stays: no cycles to collect
    for task in realistic_tasks(count):
        fields = {
            k: v
            for k, v in task.items()
            if k not in ("_id", "name", "group", "subtasks", "parent", "priorityScore")
        }
        emu.add_task(backlog, task["name"], created_by=admin, **fields)
    gc.freeze()
    gc.enable()
    emu.app = Timed(emu.app)  # type: ignore[assignment]
    serve_until_stdin_closes(emu)


async def peak_per_page() -> None:
    """List every task of `COUNT`, then print the requests made and peak memory in pages."""
    counting = Counting()
    with child_server(__file__, str(COUNT)) as base_url:
        async with AsyncCubicl(
            "bench", base_url=base_url, rate_limit=None, transport=counting
        ) as client:
            listing = client.tasks.list(project=PROJECT, page_size=PAGE, max_items=PAGE)
            await anext(aiter(listing))  # a warm connection before measuring
            tracemalloc.start()
            gc.collect()
            before = tracemalloc.get_traced_memory()[0]
            held = [task async for task in listing]
            gc.collect()
            page_memory = tracemalloc.get_traced_memory()[0] - before
            del held
            gc.collect()
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
            counting.sent = 0
            seen = 0
            async for _task in client.tasks.list(project=PROJECT, page_size=PAGE):
                seen += 1
            peak = tracemalloc.get_traced_memory()[1] - base
            tracemalloc.stop()
    assert seen == COUNT
    print(
        f"paging tasks={COUNT} page_size={PAGE} requests={counting.sent} "
        f"peak/page={peak / page_memory:.1f}"
    )


async def server_per_page(count: int) -> tuple[int, float]:
    """List the tasks of a child holding `count`, about `PAGES` pages; return pages, s/page."""
    listings = max(1, PAGES // (count // PAGE))
    with child_server(__file__, str(count)) as base_url:
        async with AsyncCubicl("bench", base_url=base_url, rate_limit=None) as client:
            seen = 0
            for _ in range(listings):
                async for _task in client.tasks.list(project=PROJECT, page_size=PAGE):
                    seen += 1
        async with httpx.AsyncClient() as raw:
            times = (await raw.get(base_url.removesuffix("/api/v1/") + TIMES)).json()
    assert seen == listings * count
    return times["pages"], times["seconds"] / times["pages"]


async def main() -> None:
    """Print the client's line, then the server's time per page at each size."""
    await peak_per_page()
    first = 0.0
    for count in SIZES:
        pages, per_page = await server_per_page(count)
        first = first or per_page
        ratio = f" ratio={per_page / first:.2f}" if count != SIZES[0] else ""
        print(
            f"paging server tasks={count} requests={pages} per_page_ms={per_page * 1e3:.1f}{ratio}"
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve_tasks(int(sys.argv[2]))
    else:
        asyncio.run(main())
