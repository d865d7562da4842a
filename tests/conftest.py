"""Shared fixtures: the plugin's emulator and clients under the suite's names, raw httpx clients.

The emulator's pytest plugin (`cubicl_async.testing.pytest_plugin`, loaded here) gives
`cubicl_emulator`, `cubicl_demo`, `cubicl_client` and `cubicl_server_url`. Here the
plugin's emulator is `emu`, so a module that overrides `emu` (to inject a clock)
changes what every fixture below and the plugin's work on.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any, Protocol

import httpx
import pytest

from cubicl_async import AsyncCubicl, RetryPolicy
from cubicl_async.testing import Demo, Emulator
from cubicl_async.testing.pytest_plugin import RETRY_OPTIONS

#: The emulator's fixtures (the suite blocks the plugin's entry point: see pyproject.toml).
pytest_plugins = ["cubicl_async.testing.pytest_plugin"]

# pytest-asyncio asks `asyncio.get_event_loop()` for the current loop, and on Python 3.11 that
# call creates a loop nobody closes (a ResourceWarning, an error under filterwarnings=error).
# Marking the loop as explicitly unset makes it answer RuntimeError, which the plugin handles.
asyncio.set_event_loop(None)

#: Retries that do not slow the suite down (real delays of a few milliseconds at most).
FAST_RETRY = RetryPolicy(**RETRY_OPTIONS)


#: The fake wall clock's start: 2023-11-14 22:13:20 UTC, in Unix seconds.
NOW = 1_700_000_000
DAY = 86_400


class FakeNow:
    """A wall clock (Unix seconds) that moves only when a test sets it."""

    def __init__(self) -> None:
        self.t: float = NOW

    def __call__(self) -> float:
        """Return the current fake time."""
        return self.t


@pytest.fixture
def clock() -> FakeNow:
    """Return the wall clock of `emu`, stopped at `NOW` until a test moves it."""
    return FakeNow()


@pytest.fixture
def emu(clock: FakeNow) -> Iterator[Emulator]:
    """Yield a fresh emulator on the fake `clock`, closed after the test.

    Override it in a module to configure the emulator otherwise.
    """
    with Emulator(now=clock) as emulator:
        yield emulator


def ok(response: httpx.Response, status: int = 200) -> Any:
    """Check the status of an answer and return its JSON body."""
    assert response.status_code == status, response.text
    return response.json()


def error(response: httpx.Response, status: int) -> str:
    """Check that an answer is an error with this status and return its message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"message"}
    message: str = body["message"]
    return message


@pytest.fixture
def cubicl_emulator(emu: Emulator) -> Emulator:
    """Make the plugin's fixtures work on `emu`."""
    return emu


@pytest.fixture
def demo(cubicl_demo: Demo) -> Demo:
    """Seed the demo organization into `emu` (the plugin's `cubicl_demo`)."""
    return cubicl_demo


@pytest.fixture(params=["in_process", "loopback"])
def wire(request: pytest.FixtureRequest, emu: Emulator) -> dict[str, object]:
    """Return client options that reach `emu` in process (ASGI) or over loopback HTTP."""
    if request.param == "in_process":
        return {"transport": emu.transport(), "base_url": emu.base_url_in_process}
    return {"base_url": request.getfixturevalue("cubicl_server_url")}


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
def local(cubicl_client: AsyncCubicl) -> AsyncCubicl:
    """Return an in-process client of the demo admin (the plugin's `cubicl_client`)."""
    return cubicl_client


# Raw HTTP, for the emulator's contract tests (they speak JSON, not the SDK)


class Connect(Protocol):
    """Makes a raw httpx client to `emu`, closed after the test."""

    def __call__(
        self,
        token: str | None = None,
        *,
        user: str | None = None,
        authorization: str | None = None,
    ) -> httpx.AsyncClient:
        """Return a client sending ``token``, or `user`'s token, or a raw Authorization."""


@pytest.fixture
def raw_base_url() -> str | None:
    """Return the loopback base URL `connect` uses, or None to stay in process (the default)."""
    return None


@pytest.fixture
async def connect(emu: Emulator, raw_base_url: str | None) -> AsyncIterator[Connect]:
    """Make raw httpx clients to `emu`, in process unless `raw_base_url` names a server."""
    clients: list[httpx.AsyncClient] = []

    def make(
        token: str | None = None, *, user: str | None = None, authorization: str | None = None
    ) -> httpx.AsyncClient:
        if raw_base_url is not None:
            client = httpx.AsyncClient(base_url=raw_base_url, verify=False)  # noqa: S501 (plain HTTP; skips loading CAs, 40 ms)
        else:
            client = httpx.AsyncClient(transport=emu.transport(), base_url=emu.base_url_in_process)
        if user is not None:
            token = emu.token(user)
        if token is not None:
            client.headers["Authorization"] = f"Bearer {token}"
        if authorization is not None:
            client.headers["Authorization"] = authorization
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


class ActAs(Protocol):
    """Makes an SDK client acting as a user, on the same wire as `client`, closed after."""

    def __call__(self, user: str) -> AsyncCubicl:
        """Return a client of `user` (an id of the emulator's users)."""


@pytest.fixture
async def act_as(emu: Emulator, wire: dict[str, object]) -> AsyncIterator[ActAs]:
    """Make SDK clients acting as other users than the demo admin."""
    clients: list[AsyncCubicl] = []

    def make(user: str) -> AsyncCubicl:
        client = AsyncCubicl(emu.token(user), rate_limit=None, retry=FAST_RETRY, **wire)  # type: ignore[arg-type]
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


def sent(emu: Emulator) -> dict[str, Any]:
    """Return the JSON body of the last request the emulator saw."""
    body: dict[str, Any] = json.loads(emu.requests[-1].body)
    return body
