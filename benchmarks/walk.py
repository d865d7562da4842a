"""Benchmark: walking a 1,000-project DAG with the SDK against a raw httpx GET + json.loads.

Both sides fetch the same `GET /groups` answer from the in-process emulator, interleaved
in one run; the figure printed is the median ratio SDK / raw, so it says what typed
records, de-duplication and the walk cost on top of the bare HTTP call:

    walk projects=1000 ratio=1.8

Then, for a wide organization (every project a child of the main one) and a deep and
branching one (each project under one of the three made just before it, some with a
second parent, and a cycle), of 1,000 and 50,000 projects: the SDK's cost per project of
decoding the answer, building the DAG and walking it (served from memory, so the
emulator is not measured; the garbage collector paused, as timeit does), and `growth`,
that cost at 50,000 over that at 1,000 (a cost linear in the projects gives 1.0):

    walk shape=flat n=50000 us/project=... growth=...
"""

from __future__ import annotations

import asyncio
import gc
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
    for shape in ("flat", "deep"):
        small, large = await per_project(shape, 1000), await per_project(shape, 50_000)
        print(f"walk shape={shape} n=50000 us/project={large:.1f} growth={large / small:.2f}")


def organization(shape: str, size: int, seed: int = 7) -> list[dict[str, object]]:
    """Return the `GET /groups` answer of an organization of `size` projects."""
    rng = random.Random(seed)
    ids = [f"{i:024x}" for i in range(size)]
    parents: list[list[str]] = [[]]
    for i in range(1, size):
        if shape == "flat":
            parents.append([ids[0]])
        else:
            ups = {ids[max(0, i - rng.randint(1, 3))]}
            if rng.random() < 0.1:
                ups.add(ids[rng.randrange(i)])
            parents.append(sorted(ups))
    if shape == "deep":
        parents[1].append(ids[-1])  # a cycle through the whole depth
    children: list[list[str]] = [[] for _ in ids]
    for i, ups in enumerate(parents):
        for up in ups:
            children[int(up, 16)].append(ids[i])
    return [
        {"_id": ids[i], "name": f"p{i}", "parents": parents[i] or None, "groups": children[i],
         "admins": [], "members": []}
        for i in range(size)
    ]  # fmt: skip


async def per_project(shape: str, size: int, rounds: int = 7) -> float:
    """Return the microseconds per project of whole walks of that organization.

    Each round walks it as often as makes 50,000 projects, so that a round lasts as long
    at either size and sees the same machine; the least disturbed round counts and the
    garbage collector is paused while it runs, both as with `timeit` (and decode.py): a
    collection's cost depends on everything else alive in the process, not on the walk.
    """
    body = json.dumps(organization(shape, size)).encode()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    repeat = max(1, 50_000 // size)
    async with AsyncCubicl(
        "bench", base_url="https://cubicl.test/api/v1/", transport=transport, rate_limit=None
    ) as client:
        times = []
        for _ in range(rounds):
            gc.collect()
            gc.disable()
            start = time.process_time()
            for _ in range(repeat):
                count = sum([1 async for _ in client.projects.walk()])
                assert count == size
            times.append(time.process_time() - start)
            gc.enable()
    return min(times) / (size * repeat) * 1e6


if __name__ == "__main__":
    asyncio.run(main())
