"""Benchmark: walking a 1,000-project DAG with the SDK against a raw httpx GET + json.loads.

Both sides fetch the same `GET /groups` answer from the in-process emulator, interleaved
in one run; the figure printed is the median ratio SDK / raw, so it says what typed
records, de-duplication and the walk cost on top of the bare HTTP call:

    walk projects=1000 ratio=1.8
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import time

import httpx

from cubicl_async import AsyncCubicl
from cubicl_async.testing import Emulator

ROUNDS = 15


def build(size: int = 1000) -> Emulator:
    """Return an emulator holding `size` projects with multi-parent links and a cycle."""
    emu = Emulator()
    emu.add_user("Ada", "Lovelace", token="bench", org_admin=True)
    rng = random.Random(1)
    ids = [emu.root_id]
    while len(ids) < size:
        parents = rng.sample(ids, k=min(len(ids), rng.choice([1, 1, 2, 3])))
        ids.append(emu.add_project(f"project {len(ids)}", parents=parents))
    emu.add_parent(ids[1], ids[-1])
    return emu


async def main() -> None:
    """Time both sides ROUNDS times, interleaved, and print the median ratio."""
    emu = build()
    headers = {"Authorization": "Bearer bench"}
    async with (
        httpx.AsyncClient(transport=emu.transport(), base_url=emu.base_url_in_process) as raw,
        AsyncCubicl(
            "bench", base_url=emu.base_url_in_process, transport=emu.transport(), rate_limit=None
        ) as client,
    ):
        ratios = []
        for _ in range(ROUNDS):
            start = time.perf_counter()
            data = json.loads((await raw.get("groups", headers=headers)).content)
            baseline = time.perf_counter() - start
            start = time.perf_counter()
            nodes = [node async for node in client.projects.walk()]
            ratios.append((time.perf_counter() - start) / baseline)
            assert len(nodes) == len(data) == 1000
    print(f"walk projects=1000 ratio={statistics.median(ratios):.1f}")


if __name__ == "__main__":
    asyncio.run(main())
