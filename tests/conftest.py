"""Shared fixtures: an emulator seeded with the demo organization, and SDK clients bound to it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from cubicl_async import AsyncCubicl, RetryPolicy
from cubicl_async.testing import Demo, Emulator, seed_demo, serve

# pytest-asyncio asks `asyncio.get_event_loop()` for the current loop, and on Python 3.11 that
# call creates a loop nobody closes (a ResourceWarning, an error under filterwarnings=error).
# Marking the loop as explicitly unset makes it answer RuntimeError, which the plugin handles.
asyncio.set_event_loop(None)

#: Retries that do not slow the suite down (real delays of a few milliseconds at most).
FAST_RETRY = RetryPolicy(
    max_retries=2, initial_delay=0.001, max_delay=0.004, rate_limit_delay=0.001
)


@pytest.fixture
def emu() -> Emulator:
    """Return a fresh emulator."""
    return Emulator()


@pytest.fixture
def demo(emu: Emulator) -> Demo:
    """Seed the demo organization into `emu`."""
    return seed_demo(emu)


@pytest.fixture(params=["in_process", "loopback"])
def wire(request: pytest.FixtureRequest, emu: Emulator) -> Iterator[dict[str, object]]:
    """Yield client options that reach `emu` in process (ASGI) or over loopback HTTP."""
    if request.param == "in_process":
        yield {"transport": emu.transport(), "base_url": emu.base_url_in_process}
        return
    with serve(emu) as base_url:
        yield {"base_url": base_url}


@pytest.fixture
async def client(wire: dict[str, object], demo: Demo) -> AsyncIterator[AsyncCubicl]:
    """Yield a client of the demo admin, in process and over loopback (parametrized)."""
    async with AsyncCubicl(
        "demo-token",
        rate_limit=None,
        retry=FAST_RETRY,
        **wire,  # type: ignore[arg-type]
    ) as cubicl:
        yield cubicl


@pytest.fixture
async def local(emu: Emulator, demo: Demo) -> AsyncIterator[AsyncCubicl]:
    """Yield an in-process client of the demo admin (for tests that need no network)."""
    async with AsyncCubicl(
        "demo-token",
        base_url=emu.base_url_in_process,
        transport=emu.transport(),
        rate_limit=None,
        retry=FAST_RETRY,
    ) as cubicl:
        yield cubicl
