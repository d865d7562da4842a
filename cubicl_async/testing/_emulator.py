"""The Emulator: the store plus faults, rate limit, request log, the ASGI app and its transport."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import cast

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Router

from . import _projects, _tasks, _users
from ._faults import Faults
from ._gate import Gate, RateLimit, RequestRecord, RetryAfter
from ._http import PREFIX, ApiError, ConnectionDropped
from ._task_store import TaskStore


class Emulator(TaskStore):
    """An in-memory Cubicl organization served as an ASGI app (see the package docstring).

    ``clock`` (monotonic seconds) drives the rate-limit window, ``now`` (Unix seconds)
    the wall-clock values such as HTTP-dates and task dates; inject fakes to test
    without sleeping.
    The main project (named ``org_name``) exists from the start as ``root_id``.
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
    ) -> None:
        super().__init__(org_name, now=now)
        self.clock = clock
        #: The faults to inject into the next requests.
        self.faults = Faults()
        #: Every request received, oldest first (``clear()`` it at will).
        self.requests: list[RequestRecord] = []
        #: The active rate limit, or None; change it with `set_rate_limit`.
        self.rate_limiter: RateLimit | None = None
        self.set_rate_limit(rate_limit, rate_period, retry_after=retry_after)
        self._request_count = 0
        routes = [*_users.routes(self), *_projects.routes(self), *_tasks.routes(self)]
        api = Router(routes, redirect_slashes=False)
        #: The ASGI application: the API mounted under ``/api/v1``.
        self.app = Starlette(
            routes=[Mount(PREFIX, app=api)],
            middleware=[Middleware(Gate, emulator=self)],
            exception_handlers={HTTPException: _error_response, ApiError: _error_response},
        )
        self.app.router.redirect_slashes = False

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
            else RateLimit(requests, period, retry_after, self.clock, self.now)
        )

    def next_request_id(self) -> str:
        """Return the next ``X-Request-Id`` value: ``req-000001``, ``req-000002``, ..."""
        self._request_count += 1
        return f"req-{self._request_count:06d}"

    def transport(self) -> httpx.AsyncBaseTransport:
        """Return an httpx transport that serves requests in process (no network)."""
        return _InProcessTransport(app=self.app)


class _InProcessTransport(httpx.ASGITransport):
    """``httpx.ASGITransport`` where an injected drop fails the way a real one does."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except ConnectionDropped as exc:
            message = "Server disconnected without sending a complete response"
            raise httpx.RemoteProtocolError(message, request=request) from exc


async def _error_response(request: Request, exc: Exception) -> Response:
    """Render an `ApiError`, or Starlette's 404/405, as the API's JSON error."""
    if not isinstance(exc, ApiError):
        http = cast(HTTPException, exc)
        message = f"{http.detail}: {request.method} {request.url.path}"
        headers = dict(http.headers or {})
        if "Allow" in headers:  # Starlette joins a set: make the order stable
            headers["Allow"] = ", ".join(sorted(headers["Allow"].split(", ")))
        exc = ApiError(http.status_code, message, headers=headers)
    return exc.response()
