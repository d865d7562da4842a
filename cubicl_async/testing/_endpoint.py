"""Endpoints as a table: how an area declares them, and the one adapter that answers them.

An area lists its endpoints as `Endpoint` rows: method, path, handler, `Body` (the body
fields and their parsers, see `_fields`), success status and whether the pipeline asks
for a token. `routes` groups the rows of every area by path; for each request the adapter

1. picks the row of the method (HEAD runs the GET row; another method gets 405 with an
   ``Allow`` header listing the path's methods in alphabetical order),
2. parses the body, if the row declares one: a JSON object (else 400), then its fields
   (a row without one may read the raw request itself: `Call.request`),
3. calls ``handler(area, call)`` with the authenticated caller (see `Call`), awaiting it
   if it is a coroutine function,
4. renders the result as JSON with the row's status (204: an empty body), sends a
   Starlette `Response` as it is (a download), or renders an `ApiError` as the API's
   JSON error.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, NoReturn, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, compile_path
from starlette.types import Receive, Scope, Send

from ._fields import Body
from ._http import PREFIX, ApiError

#: The area object an endpoint's handler works on (its records, rules and helpers).
A = TypeVar("A")

#: Where the pipeline puts the authenticated caller's id in the ASGI scope.
CALLER = "cubicl.user_id"

_DIGITS = re.compile(r"[0-9]+")


class Call:
    """A request as its handler sees it, once the adapter has read it."""

    __slots__ = ("_request", "fields", "params", "user_id")

    def __init__(self, request: Request, fields: dict[str, Any]) -> None:
        #: The authenticated caller's user id ("" on a row served without a token).
        self.user_id: str = request.scope.get(CALLER, "")
        #: The path parameters, such as ``{"task_id": "..."}``.
        self.params: Mapping[str, str] = request.path_params
        #: The body's fields parsed by the endpoint's `Body`, keyed as sent ({} without one).
        self.fields = fields
        self._request = request

    @property
    def query(self) -> Mapping[str, str]:
        """The query parameters (the last value of a repeated name counts)."""
        return self._request.query_params

    @property
    def request(self) -> Request:
        """The Starlette request: for a row without `Body` that reads its own body (an upload)."""
        return self._request


@dataclass(frozen=True)
class Endpoint(Generic[A]):
    """One row of an area's endpoint table."""

    #: The HTTP method, upper case (never HEAD: it runs the GET row).
    method: str
    #: The path relative to ``/api/v1``, with Starlette parameters: ``/tasks/{task_id}``.
    path: str
    #: Answers the request: returns the JSON body (or a `Response` to send as it is), or
    #: raises `ApiError`; a coroutine function is awaited.
    handler: Callable[[A, Call], object]
    #: The JSON object body and its fields, or None: the body is not read.
    body: Body | None = None
    #: The status of a success; 204 sends an empty body (what the handler returns is dropped).
    status: int = 200
    #: Whether the pipeline requires a bearer token (401 without one). False: the request
    #: carries its own credentials (a signed link), which the handler checks.
    token: bool = True


@dataclass(frozen=True)
class Area(Generic[A]):
    """A registered area: its object (records, rules, seeding helpers) and its endpoint table."""

    #: The area object the handlers work on, such as `Tasks`.
    records: A
    #: The endpoint table, such as ``tasks.ENDPOINTS``.
    endpoints: Sequence[Endpoint[A]]


def routes(areas: Iterable[Area[Any]]) -> list[BaseRoute]:
    """Group the endpoints of the areas by path into routes answered by the adapter."""
    paths: dict[str, dict[str, tuple[Any, Endpoint[Any]]]] = {}
    for area in areas:
        for endpoint in area.endpoints:
            methods = paths.setdefault(endpoint.path, {})
            if endpoint.method in methods or endpoint.method == "HEAD":
                raise ValueError(f"cannot route {endpoint.method} {endpoint.path} again")
            methods[endpoint.method] = (area.records, endpoint)
    return [Route(path, _Path(methods)) for path, methods in paths.items()]


def tokenless(areas: Iterable[Area[Any]]) -> Callable[[str, str], bool]:
    """Return a test of whether a request (method, path) goes to a row served without a token.

    The path is the request's whole path (``/api/v1/...``); HEAD counts as GET.
    """
    rows = [
        (endpoint.method, compile_path(PREFIX + endpoint.path)[0])
        for area in areas
        for endpoint in area.endpoints
        if not endpoint.token
    ]

    def matches(method: str, path: str) -> bool:
        method = "GET" if method == "HEAD" else method
        return any(method == wanted and regex.match(path) for wanted, regex in rows)

    return matches


class _Path:
    """The ASGI app of one path: the adapter over that path's endpoints."""

    def __init__(self, methods: dict[str, tuple[Any, Endpoint[Any]]]) -> None:
        self._methods = dict(methods)
        if "GET" in methods:
            self._methods["HEAD"] = methods["GET"]
        self._allow = ", ".join(sorted(self._methods))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await self._answer(request)
        except ApiError as exc:
            response = exc.response()
        await response(scope, receive, send)

    async def _answer(self, request: Request) -> Response:
        found = self._methods.get(request.method)
        if found is None:
            message = f"Method Not Allowed: {request.method} {request.url.path}"
            raise ApiError(405, message, headers={"Allow": self._allow})
        records, endpoint = found
        body = endpoint.body
        fields = {} if body is None else body.parse(await _json_object(request))
        result = endpoint.handler(records, Call(request, fields))
        if inspect.isawaitable(result):
            result = await result
        if isinstance(result, Response):
            return result
        if endpoint.status == 204:
            return Response(status_code=204)
        return JSONResponse(result, endpoint.status)


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


async def _json_object(request: Request) -> dict[str, Any]:
    """Return the request body as a JSON object (400 if it is anything else)."""
    try:
        body = json.loads(await request.body(), parse_constant=_reject_constant)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object")
    return body


def bool_param(query: Mapping[str, str], name: str, default: bool = False) -> bool:
    """Parse a boolean query parameter, which must be ``true`` or ``false`` (else 400)."""
    value = query.get(name)
    if value is None:
        return default
    if value not in ("true", "false"):
        raise ApiError(400, f"{name} must be 'true' or 'false', not {value!r}")
    return value == "true"


def int_param(
    query: Mapping[str, str], name: str, default: int, low: int, high: int | None = None
) -> int:
    """Parse an integer query parameter from ``low`` (to ``high``), such as ``skip`` (else 400)."""
    value = query.get(name)
    if value is None:
        return default
    number = int(value) if _DIGITS.fullmatch(value) else low - 1
    if number < low or (high is not None and number > high):
        expected = (
            f"an integer of at least {low}" if high is None else f"an integer from {low} to {high}"
        )
        raise ApiError(400, f"{name} must be {expected}, not {value!r}")
    return number
