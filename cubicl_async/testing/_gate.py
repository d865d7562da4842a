"""The pipeline in front of the routes: request log, faults, authentication and rate limit."""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING, Literal, NoReturn
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._endpoint import CALLER
from ._faults import Fault
from ._http import PREFIX, ApiError, ConnectionDropped

if TYPE_CHECKING:
    from ._emulator import Emulator

#: How a 429 answer says when to come back: a number of seconds, an HTTP-date, or nothing.
RetryAfter = Literal["seconds", "date"] | None

#: How much of a request body the pipeline reads ahead (up to the chunk that reaches it)
#: and the log keeps (1 MiB): the rest of a larger body (an upload) streams on to the
#: app, never held in memory.
READ_AHEAD = 2**20


@dataclass(frozen=True)
class RequestRecord:
    """One request as the emulator saw it, appended to ``Emulator.requests`` once answered."""

    #: The HTTP method, upper case.
    method: str
    #: The path relative to ``/api/v1`` (``"/groups"``); paths outside it are kept whole.
    path: str
    #: The query parameters (the last value wins for a repeated name).
    query: dict[str, str]
    #: The status answered, 0 for a dropped connection.
    status: int
    #: The authenticated user, None when the request was not authenticated.
    user_id: str | None
    #: The request body, its first `READ_AHEAD` bytes for a larger one (empty when a drop
    #: happened before reading it).
    body: bytes


class RateLimit:
    """A sliding window per token: at most ``requests`` accepted requests in any ``period``."""

    def __init__(
        self,
        requests: int,
        period: float,
        retry_after: RetryAfter,
        clock: Callable[[], float],
        now: Callable[[], float],
    ) -> None:
        if requests < 1 or period <= 0:
            raise ValueError("a rate limit needs requests >= 1 and period > 0")
        if retry_after not in ("seconds", "date", None):
            raise ValueError(f"retry_after must be 'seconds', 'date' or None, not {retry_after!r}")
        self.requests = requests
        self.period = period
        self.retry_after = retry_after
        self._clock = clock
        self._now = now
        self._windows: dict[str, deque[float]] = {}

    def admit(self, key: str) -> ApiError | None:
        """Count a request for ``key``, or return the 429 error if the window is full."""
        now = self._clock()
        window = self._windows.setdefault(key, deque())
        while window and window[0] <= now - self.period:
            window.popleft()
        if len(window) < self.requests:
            window.append(now)
            return None
        wait = window[0] + self.period - now
        headers = {}
        if self.retry_after == "seconds":
            headers["Retry-After"] = str(max(1, math.ceil(wait)))
        elif self.retry_after == "date":
            when = datetime.fromtimestamp(math.ceil(self._now() + wait), UTC)
            headers["Retry-After"] = format_datetime(when, usegmt=True)
        message = f"Rate limit exceeded: at most {self.requests} requests in {self.period:g} s"
        return ApiError(429, message, headers=headers)


class _Exchange:
    """One request in flight: what the log needs, and ``send`` with the common headers."""

    def __init__(
        self, scope: Scope, receive: Receive, send: Send, emulator: Emulator, request_id: str
    ) -> None:
        self.scope = scope
        self.method: str = scope["method"]
        path: str = scope["path"]
        self.path = path[len(PREFIX) :] if path.startswith(PREFIX + "/") else path
        self.query = dict(parse_qsl(scope["query_string"].decode("latin-1"), True))
        self.status = 0
        self.user_id: str | None = None
        self.body = b""
        self._ahead = b""
        self._more_body = False
        self._unsent: int | None = None
        self._receive = receive
        self._send = send
        self._emulator = emulator
        self._request_id = request_id.encode()
        self._replayed = False
        self._logged = False

    async def read_body(self) -> None:
        """Read the request body ahead (up to `READ_AHEAD`), to log it and replay it to the app."""
        chunks: list[bytes] = []
        size, more = 0, True
        while more and size < READ_AHEAD:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                break  # the body stays unfinished: the app's next receive gets the disconnect
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
        self._ahead, self._more_body = b"".join(chunks), more
        self.body = self._ahead[:READ_AHEAD]

    async def receive(self) -> Message:
        """Give the app the body read ahead, then the real messages (the rest, a disconnect)."""
        if self._replayed:
            return await self._receive()
        self._replayed = True
        return {"type": "http.request", "body": self._ahead, "more_body": self._more_body}

    async def send(self, message: Message) -> None:
        """Send a message, after the latency and with ``X-Request-Id`` on the answer."""
        if message["type"] == "http.response.start":
            if self._emulator.faults.latency:
                await asyncio.sleep(self._emulator.faults.latency)
            self.status = message["status"]
            headers = [*message.get("headers", []), (b"x-request-id", self._request_id)]
            message = {**message, "headers": headers}
            length = dict(headers).get(b"content-length", b"")
            self._unsent = int(length) if length.isdigit() else None
        else:
            if self._unsent is not None:
                self._unsent -= len(message.get("body", b""))
            if not message.get("more_body", False) or self._unsent == 0:
                # Before the client can see the end of the answer (with a Content-Length,
                # a client has it all with the last byte announced, before a final message).
                self.log()
        await self._send(message)

    async def reply(self, response: Response) -> None:
        """Send a whole response."""
        await response(self.scope, self.receive, self.send)

    async def drop(self) -> NoReturn:
        """Start an answer, send part of it, and make the server close the connection."""
        start: Message = {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"1000")],
        }
        await self.send(start)
        await self.send({"type": "http.response.body", "body": b'{"message', "more_body": True})
        self.status = 0
        self.log()
        raise ConnectionDropped("injected connection drop")

    def log(self) -> None:
        """Append this request to the emulator's log, once."""
        if not self._logged:
            self._logged = True
            record = RequestRecord(
                self.method, self.path, self.query, self.status, self.user_id, self.body
            )
            self._emulator.requests.append(record)


async def _discard(message: Message) -> None:
    """Swallow an answer (the connection is dropped instead)."""


class Gate:
    """ASGI middleware running the emulator's checks in order before routing.

    Log the request, apply an injected fault, authenticate (401), apply the rate limit
    (429), and only then let Starlette route it (404, 405) to a handler; a row served
    without a token (the download link) skips authentication and the rate limit. Each
    request gets the next ``X-Request-Id``: ``req-000001``, ``req-000002``, ...
    """

    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator
        self._request_count = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self._request_count += 1
        request_id = f"req-{self._request_count:06d}"
        exchange = _Exchange(scope, receive, send, self.emulator, request_id)
        try:
            await self._pipeline(exchange)
        finally:
            exchange.log()  # also when the app failed without answering

    async def _pipeline(self, exchange: _Exchange) -> None:
        fault = self.emulator.faults.take(exchange.method, exchange.path)
        if fault is not None and fault.kind == "drop" and not fault.after_body:
            await exchange.drop()
        await exchange.read_body()
        if fault is not None and fault.kind == "unpaged":
            exchange.scope["query_string"] = _without_cursors(exchange.scope["query_string"])
            fault = None
        if fault is None:
            await self._process(exchange, exchange.send)
        elif fault.kind == "drop":
            await self._process(exchange, _discard)
            await exchange.drop()
        else:
            await exchange.reply(_injected(fault))

    async def _process(self, exchange: _Exchange, send: Send) -> None:
        """Authenticate, rate-limit, then route; answers go to ``send``.

        A row served without a token (a signed link) is routed at once, never refused
        nor counted; the log still names the user of a known token sent with it.
        """
        user = self.emulator.users.for_token(_bearer_token(exchange.scope))
        if not self.emulator.needs_token(exchange.method, exchange.scope["path"]):
            exchange.user_id = None if user is None else user.id
            await self.app(exchange.scope, exchange.receive, send)
            return
        if user is None:
            error = ApiError(401, "Missing or invalid bearer token", headers=_CHALLENGE)
            await error.response()(exchange.scope, exchange.receive, send)
            return
        exchange.user_id = user.id
        limit = self.emulator.rate_limiter
        error_429 = None if limit is None else limit.admit(user.token)
        if error_429 is not None:
            await error_429.response()(exchange.scope, exchange.receive, send)
            return
        exchange.scope[CALLER] = user.id
        await self.app(exchange.scope, exchange.receive, send)


_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def _bearer_token(scope: Scope) -> str:
    """Return the token of an ``Authorization: Bearer <token>`` header, or "" if none."""
    scheme, _, token = Headers(scope=scope).get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _without_cursors(query: bytes) -> bytes:
    """Return a query string without its paging cursors (``skip``, ``before``, ``after``)."""
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    return urlencode([(k, v) for k, v in pairs if k not in ("skip", "before", "after")]).encode()


def _injected(fault: Fault) -> Response:
    """Build the answer of a ``fail`` or ``malformed`` fault."""
    if fault.kind == "malformed":
        return Response(b'{"_id": "', media_type="application/json")
    headers = {} if fault.retry_after is None else {"Retry-After": fault.retry_after}
    headers |= fault.headers or {}
    if isinstance(fault.body, bytes):
        media = None if "content-type" in {k.lower() for k in headers} else "text/plain"
        return Response(fault.body, fault.status, headers, media_type=media)
    body = fault.body
    if body is None:
        body = {"message": f"Injected fault: HTTP {fault.status}"}
    return JSONResponse(body, fault.status, headers)
