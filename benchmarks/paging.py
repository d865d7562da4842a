"""Benchmark: listing 10,000 tasks 100 at a time: requests made, and peak memory per page.

The emulator (in a child process, on loopback) holds 10,000 tasks of about 1 KB. The SDK
lists them all with `page_size=100`, keeping none, while tracemalloc records the client's
peak memory above what it held before; that peak is divided by the memory a list of
one page of tasks takes when held (garbage collected on both sides), measured in the same
run:

    paging tasks=10000 page_size=100 requests=101 peak/page=2.6
"""

from __future__ import annotations

import asyncio
import gc
import sys
import tracemalloc

import httpx
from _child import child_server, serve_until_stdin_closes
from decode import realistic_tasks

from cubicl_async import AsyncCubicl
from cubicl_async.testing import Emulator

COUNT = 10_000
PAGE = 100


class Counting(httpx.AsyncHTTPTransport):
    """A real HTTP transport that counts the requests it sends."""

    sent = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Count, then send."""
        self.sent += 1
        return await super().handle_async_request(request)


def serve_tasks() -> None:
    """In the child: an organization whose project Backlog holds COUNT tasks."""
    emu = Emulator()
    admin = emu.add_user("Ada", "Lovelace", token="bench", org_admin=True)
    backlog = emu.add_project("Backlog", id="b" * 24)
    for task in realistic_tasks(COUNT):
        fields = {
            k: v
            for k, v in task.items()
            if k not in ("_id", "name", "group", "subtasks", "parent", "priorityScore")
        }
        emu.add_task(backlog, task["name"], created_by=admin, **fields)
    serve_until_stdin_closes(emu)


async def main() -> None:
    """List every task, then print the requests made and peak memory in pages."""
    counting = Counting()
    with child_server(__file__) as base_url:
        async with AsyncCubicl(
            "bench", base_url=base_url, rate_limit=None, transport=counting
        ) as client:
            listing = client.tasks.list(project="b" * 24, page_size=PAGE, max_items=PAGE)
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
            async for _task in client.tasks.list(project="b" * 24, page_size=PAGE):
                seen += 1
            peak = tracemalloc.get_traced_memory()[1] - base
            tracemalloc.stop()
    assert seen == COUNT
    print(
        f"paging tasks={COUNT} page_size={PAGE} requests={counting.sent} "
        f"peak/page={peak / page_memory:.1f}"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve_tasks()
    else:
        asyncio.run(main())
