"""The pytest plugin: fixtures for a fresh emulator, the demo, an SDK client and a server.

pytest loads it through the ``pytest11`` entry point of cubicl-async, so these fixtures
exist in every test of a project that installs ``cubicl-async[testing]``:

- `cubicl_emulator`: a fresh `Emulator` (organization "Acme", its main project, no users),
  closed after the test;
- `cubicl_demo`: the demo organization (`seed_demo`) seeded into it;
- `cubicl_user`: the user the client acts as: the demo admin, Ada Lovelace (token
  ``demo-token``); override it to act as someone else, or without the demo;
- `cubicl_client`: an `AsyncCubicl` of `cubicl_user`, in process (no network), with no
  client-side rate limit and retries after a few milliseconds (`RETRY_OPTIONS`);
- `cubicl_server_url`: the base URL of `cubicl_emulator` served on loopback (`serve`).

`cubicl_client` is async: it needs pytest-asyncio (either mode). This module is the
one place in `cubicl_async.testing` that imports the SDK, and only inside
`cubicl_client` (and for annotations), so the emulator itself never imports it. The
fixtures import the emulator when they run: loading the plugin needs neither the
``testing`` extra (Starlette, uvicorn) nor pytest-asyncio, so it costs nothing to
projects that do not use it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

try:
    from pytest_asyncio import fixture as async_fixture
except ImportError:  # pragma: no cover (without pytest-asyncio no async fixture can run)
    async_fixture = pytest.fixture  # type: ignore[assignment]  # the same use, other overloads

if TYPE_CHECKING:
    from cubicl_async import AsyncCubicl

    from ._demo import Demo
    from ._emulator import Emulator

#: The `RetryPolicy` of `cubicl_client`: two retries, a few milliseconds apart.
RETRY_OPTIONS: dict[str, Any] = {
    "max_retries": 2,
    "initial_delay": 0.001,
    "max_delay": 0.004,
    "rate_limit_delay": 0.001,
}


@pytest.fixture
def cubicl_emulator() -> Iterator[Emulator]:
    """Yield a fresh emulator: organization "Acme" and its main project, no users yet.

    Override it to configure the emulator (a fake clock, a rate limit); the other
    fixtures use whatever it returns. It is closed after the test (its uploads' temporary
    directory removed).
    """
    from ._emulator import Emulator

    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def cubicl_demo(cubicl_emulator: Emulator) -> Demo:
    """Seed the demo organization (see `seed_demo`) into `cubicl_emulator`; return its ids."""
    from ._demo import seed_demo

    return seed_demo(cubicl_emulator)


@pytest.fixture
def cubicl_user(cubicl_demo: Demo) -> str:
    """Return the id of the user `cubicl_client` acts as: the demo admin (``demo-token``).

    The demo admin is an organization admin, so the client sees everything. Override
    this fixture to act as another user, for instance one you add to an emulator
    without the demo: ``return cubicl_emulator.add_user("Test", "User")``.
    """
    return cubicl_demo.admin


@async_fixture
async def cubicl_client(cubicl_emulator: Emulator, cubicl_user: str) -> AsyncIterator[AsyncCubicl]:
    """Yield an SDK client of `cubicl_user`, bound to `cubicl_emulator` in process.

    No network: it goes through ``emu.transport()`` to ``emu.base_url_in_process``. No
    client-side rate limit (the emulator's own, if set, still answers 429), and retries
    a few milliseconds apart (`RETRY_OPTIONS`). Closed after the test, when the
    emulator's webhook deliveries still under way are cancelled too (``emu.aclose()``).
    """
    from cubicl_async import AsyncCubicl, RetryPolicy

    async with AsyncCubicl(
        cubicl_emulator.token(cubicl_user),
        base_url=cubicl_emulator.base_url_in_process,
        transport=cubicl_emulator.transport(),
        rate_limit=None,
        retry=RetryPolicy(**RETRY_OPTIONS),
    ) as client:
        yield client
    await cubicl_emulator.aclose()


@pytest.fixture
def cubicl_server_url(cubicl_emulator: Emulator) -> Iterator[str]:
    """Serve `cubicl_emulator` on loopback during the test; yield its base URL.

    Such as ``http://127.0.0.1:54321/api/v1/``: give it to code under test that makes
    its own HTTP connections (a subprocess, another HTTP library).
    """
    from ._server import serve

    with serve(cubicl_emulator) as base_url:
        yield base_url
