"""Tests of my code that uses cubicl_async, against the emulator's pytest fixtures."""

import httpx
import pytest

from cubicl_async import AsyncCubicl
from cubicl_async.testing import Demo, Emulator


async def open_task_names(client: AsyncCubicl, project_id: str) -> list[str]:
    """Return the names of a project's open tasks (the code under test)."""
    return [task.name async for task in client.tasks.list(project=project_id)]


@pytest.mark.asyncio
async def test_lists_open_tasks(cubicl_client: AsyncCubicl, cubicl_demo: Demo) -> None:
    """The demo's Marketing project has one open task."""
    marketing = cubicl_demo.projects["Marketing"]
    assert await open_task_names(cubicl_client, marketing) == ["Launch campaign"]


@pytest.mark.asyncio
async def test_retries_a_server_error(
    cubicl_client: AsyncCubicl, cubicl_emulator: Emulator, cubicl_demo: Demo
) -> None:
    """A 503 is retried: the second request gets the task seeded for this test."""
    ops = cubicl_emulator.add_project("Ops")
    cubicl_emulator.add_task(ops, "Rotate keys", created_by=cubicl_demo.admin)
    cubicl_emulator.faults.fail_next(1, 503)  # the next request fails once
    assert await open_task_names(cubicl_client, ops) == ["Rotate keys"]
    assert [r.status for r in cubicl_emulator.requests] == [503, 200]


def test_over_real_http(cubicl_server_url: str, cubicl_demo: Demo) -> None:
    """Code with its own HTTP client reaches the emulator served on loopback."""
    me = httpx.get(f"{cubicl_server_url}app/me", headers={"Authorization": "Bearer demo-token"})
    assert me.json()["firstname"] == "Ada"
