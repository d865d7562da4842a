"""Demo: start the embedded emulator on loopback, then print its organization's project tree.

Run it with `python examples/project_tree.py` after `pip install '.[testing]'`; no token or
network is needed. Against the real API, drop the emulator and set CUBICL_TOKEN.
"""

from __future__ import annotations

import asyncio

from cubicl_async import AsyncCubicl
from cubicl_async.testing import Emulator, seed_demo, serve


async def main(base_url: str, token: str) -> None:
    """Print the project tree and a depth-annotated walk of the organization."""
    async with AsyncCubicl(token, base_url=base_url) as client:
        tree = await client.projects.tree()
        print(tree)
        print()
        async for node in client.projects.walk():
            states = ", ".join(s.name for s in node.project.task_states)
            print(f"{'  ' * (node.depth - 1)}{node.project.name} (depth {node.depth}: {states})")


if __name__ == "__main__":
    emulator = Emulator()
    demo = seed_demo(emulator)
    with serve(emulator) as url:
        print(f"Cubicl emulator at {url}\n")
        asyncio.run(main(url, emulator.token(demo.admin)))
