"""The Emulator: a store and the registered areas, behind faults, rate limit and request log."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Router

from . import bookkeeping, chat, customers, files, projects, tasks, users, webhooks
from ._endpoint import Area, Endpoint, routes, tokenless
from ._faults import Faults
from ._gate import Gate, RateLimit, RequestRecord, RetryAfter
from ._http import PREFIX, ApiError, ConnectionDropped
from ._store import Store
from .bookkeeping import Bookkeeping
from .chat import Chat
from .customers import Customers
from .files import Files
from .projects import Projects
from .tasks import Tasks
from .users import Users
from .webhooks import DeliveryRecord, Webhooks

A = TypeVar("A")
P = ParamSpec("P")
R = TypeVar("R")


def _helper(area: str, method: Callable[Concatenate[A, P], R]) -> Callable[Concatenate[Any, P], R]:
    """Make an `Emulator` method that calls ``method`` of its ``area`` attribute.

    The method keeps the helper's signature (for type checkers too) and docstring, so the
    old flat names (``emu.add_task``) stay exactly what the area's helper (``emu.tasks.add``) is.
    """

    def call(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return method(getattr(self, area), *args, **kwargs)

    return functools.update_wrapper(call, method)


class Emulator:
    """An in-memory Cubicl organization served as an ASGI app (see ``docs/emulator.md``).

    It holds a `Store` (the organization's name, the id counter, the wall clock) and one
    object per API area, each with its records, rules and seeding helpers: `users`,
    `projects`, `customers`, `tasks`, `bookkeeping`, `files`, `chat`, `webhooks`. The
    first areas' helpers are also methods of the emulator under their first names
    (``emu.add_task`` is ``emu.tasks.add``). In front of the areas' endpoints: `faults`,
    a rate limit (`set_rate_limit`) and the log of `requests`.

    Webhook deliveries run in background tasks (`deliveries` records them): `aclose` the
    emulator (or use it as ``async with``) to cancel those still under way.

    ``clock`` (monotonic seconds) drives the rate-limit window, ``now`` (Unix seconds)
    the wall-clock values such as HTTP-dates, task dates and link expiries; inject fakes
    to test without sleeping. The main project (named ``org_name``) exists from the
    start as `root_id`. ``bookkeeping_currency`` is the organization's currency, the one
    the bookkeeping page's totals add up. ``file_size_limit`` and ``storage_capacity``
    (bytes, None for unlimited) bound uploads (also ``emu.files.size_limit`` and
    ``emu.files.storage_capacity``).

    Uploaded contents over 1 MiB live in a temporary directory: `close` the emulator (or
    use it as a context manager) to remove it; it goes at the latest when the emulator
    is garbage-collected or the interpreter exits.
    """

    #: The base URL to use with `transport()`.
    base_url_in_process = "http://cubicl.test/api/v1/"

    def __init__(
        self,
        org_name: str = "Acme",
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], float] = time.time,
        rate_limit: int | None = None,
        rate_period: float = 60.0,
        retry_after: RetryAfter = "seconds",
        bookkeeping_currency: str = "USD",
        file_size_limit: int = 4 * 2**30,
        storage_capacity: int | None = None,
    ) -> None:
        #: What the areas share: the organization's name, the id counter, the wall clock.
        self.store = Store(org_name, now=now)
        #: The registered areas, in the order their endpoints are routed.
        self.areas: list[Area[Any]] = []
        # The areas, each after those it reads: adding an area is one line here.
        self.users = self._register(Users(self.store), users.ENDPOINTS)
        self.projects = self._register(Projects(self.store, self.users), projects.ENDPOINTS)
        self.customers = self._register(Customers(self.store, self.users), customers.ENDPOINTS)
        self.tasks = self._register(
            Tasks(self.store, self.users, self.projects, self.customers), tasks.ENDPOINTS
        )
        self.bookkeeping = self._register(
            Bookkeeping(self.store, self.users, self.customers, currency=bookkeeping_currency),
            bookkeeping.ENDPOINTS,
        )
        self.files = self._register(
            Files(
                self.store,
                self.projects,
                self.customers,
                size_limit=file_size_limit,
                storage_capacity=storage_capacity,
            ),
            files.ENDPOINTS,
        )
        self.chat = self._register(
            Chat(self.store, self.users, self.projects, files=self.files), chat.ENDPOINTS
        )
        self.webhooks = self._register(
            Webhooks(self.store, self.users, self.projects, self.tasks, self.customers),
            webhooks.ENDPOINTS,
        )
        self._tokenless = tokenless(self.areas)
        #: The faults to inject into the next requests.
        self.faults = Faults()
        #: Every request received, oldest first (``clear()`` it at will).
        self.requests: list[RequestRecord] = []
        #: The active rate limit, or None; change it with `set_rate_limit`.
        self.rate_limiter: RateLimit | None = None
        self._clock = clock
        self.set_rate_limit(rate_limit, rate_period, retry_after=retry_after)
        api = Router(routes(self.areas), redirect_slashes=False)
        #: The ASGI application: the API mounted under ``/api/v1``.
        self.app = Starlette(
            routes=[Mount(PREFIX, app=api)],
            middleware=[Middleware(Gate, emulator=self)],
            exception_handlers={HTTPException: _not_routed},
        )
        self.app.router.redirect_slashes = False

    def _register(self, records: A, endpoints: Sequence[Endpoint[A]]) -> A:
        self.areas.append(Area(records, endpoints))
        return records

    @property
    def org_name(self) -> str:
        """The organization's name, also the name of its main project."""
        return self.store.org_name

    @property
    def root_id(self) -> str:
        """The id of the main project."""
        return self.projects.root_id

    @property
    def deliveries(self) -> list[DeliveryRecord]:
        """Every webhook delivery attempt, in the order they ended (``emu.webhooks``)."""
        return self.webhooks.deliveries

    async def aclose(self) -> None:
        """Cancel the webhook deliveries under way, wait until they are over, and `close`."""
        await self.webhooks.aclose()
        self.close()

    async def __aenter__(self) -> Emulator:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def set_rate_limit(
        self,
        requests: int | None,
        period: float = 60.0,
        *,
        retry_after: RetryAfter = "seconds",
    ) -> None:
        """Allow ``requests`` per token in any ``period`` seconds (None: no limit).

        The windows start empty. A refused request gets 429 and a ``Retry-After`` header
        as chosen by ``retry_after``: ``"seconds"``, ``"date"`` (an HTTP-date) or None.
        """
        self.rate_limiter = (
            None
            if requests is None
            else RateLimit(requests, period, retry_after, self._clock, self.store.now)
        )

    def needs_token(self, method: str, path: str) -> bool:
        """Tell whether the pipeline asks a request (method, whole path) for a bearer token.

        Every request does but those to a row declared ``token=False`` (a signed link).
        """
        return not self._tokenless(method, path)

    def close(self) -> None:
        """Remove the temporary directory of large uploaded contents (a no-op without one)."""
        self.files.close()

    def __enter__(self) -> Emulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def transport(self) -> httpx.AsyncBaseTransport:
        """Return an httpx transport that serves requests in process (no network)."""
        return _InProcessTransport(app=self.app)

    # The areas' seeding helpers under their first names.
    add_user = _helper("users", Users.add)
    token = _helper("users", Users.token)
    remove_user = _helper("users", Users.remove)
    add_project = _helper("projects", Projects.add)
    add_parent = _helper("projects", Projects.add_parent)
    project = _helper("projects", Projects.get)
    level = _helper("projects", Projects.level)
    visible = _helper("projects", Projects.visible)
    add_client = _helper("customers", Customers.add)
    client = _helper("customers", Customers.get)
    add_task = _helper("tasks", Tasks.add)
    task = _helper("tasks", Tasks.get)
    activities = _helper("tasks", Tasks.activities)
    delete_task = _helper("tasks", Tasks.delete)


class _InProcessTransport(httpx.ASGITransport):
    """``httpx.ASGITransport`` where an injected drop fails the way a real one does."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except ConnectionDropped as exc:
            message = "Server disconnected without sending a complete response"
            raise httpx.RemoteProtocolError(message, request=request) from exc


async def _not_routed(request: Request, exc: Exception) -> Response:
    """Render Starlette's 404 (no route for the path) as the API's JSON error."""
    http = cast(HTTPException, exc)
    message = f"{http.detail}: {request.method} {request.url.path}"
    return ApiError(http.status_code, message, headers=dict(http.headers or {})).response()
