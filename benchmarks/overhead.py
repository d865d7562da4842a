"""Benchmark: what a call costs through the SDK against raw httpx, call by call.

The emulator serves the demo on loopback in a child process. Each round makes one call
with the SDK (no client-side rate limit, its default pool), one with raw httpx sharing
the SDK's pool size, and one with raw httpx at its defaults, in that order, each a GET
decoded with `json.loads` on the raw side. Prints:

    overhead mode=seq call=get wall=... cpu=...
    overhead mode=seq call=list wall=... cpu=...
    overhead mode=c32 call=get wall=... cpu=...

`wall` is the SDK's wall time over raw httpx with the same pool; `cpu` the SDK's process
CPU over raw httpx's with httpx's defaults (`Limits(100, 20)`). `c32` runs 32 calls at
once per round instead of one.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable

import httpx
from _child import child_server, serve_demo

from cubicl_async import AsyncCubicl

ROUNDS = 400
HEADERS = {"Authorization": "Bearer demo-token"}
Call = Callable[[], Awaitable[object]]


async def measure(calls: list[Call], width: int) -> list[tuple[float, float]]:
    """Run the calls in turn, `width` at once, ROUNDS times; return (wall, cpu) totals each."""
    totals = [(0.0, 0.0) for _ in calls]
    for _ in range(ROUNDS // max(1, width // 8)):
        for index, call in enumerate(calls):
            wall, cpu = time.perf_counter(), time.process_time()
            await asyncio.gather(*(call() for _ in range(width)))
            spent = (time.perf_counter() - wall, time.process_time() - cpu)
            totals[index] = (totals[index][0] + spent[0], totals[index][1] + spent[1])
    return totals


async def main() -> None:
    """Print the three lines."""
    with child_server(__file__) as base_url:
        async with AsyncCubicl("demo-token", base_url=base_url, rate_limit=None) as client:
            size = client.max_concurrency
            limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
            async with (
                httpx.AsyncClient(base_url=base_url, limits=limits, headers=HEADERS) as same,
                httpx.AsyncClient(base_url=base_url, headers=HEADERS) as default,
            ):
                task_id = (await client.tasks.list(max_items=50))[0].id

                def raw(http: httpx.AsyncClient, path: str) -> Call:
                    async def call() -> object:
                        return json.loads((await http.get(path)).content)

                    return call

                cases: list[tuple[str, str, Call, str, int]] = [
                    ("seq", "get", lambda: client.tasks.get(task_id), f"tasks/{task_id}", 1),
                    ("seq", "list", lambda: client.projects.list().to_list(), "groups", 1),
                    ("c32", "get", lambda: client.tasks.get(task_id), f"tasks/{task_id}", 32),
                ]
                for mode, name, sdk, path, width in cases:
                    await measure([sdk, raw(same, path), raw(default, path)], width)  # warm
                    (sdk_wall, sdk_cpu), (same_wall, _), (_, default_cpu) = await measure(
                        [sdk, raw(same, path), raw(default, path)], width
                    )
                    print(f"overhead mode={mode} call={name} wall={sdk_wall / same_wall:.2f} "
                          f"cpu={sdk_cpu / default_cpu:.2f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve_demo()
    else:
        asyncio.run(main())
