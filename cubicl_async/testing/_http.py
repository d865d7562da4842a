"""HTTP helpers shared by the emulator's pipeline and route modules: errors, caller, inputs."""

from __future__ import annotations

import json
from typing import Any, NoReturn

from starlette.requests import Request
from starlette.responses import JSONResponse

from ._store import User

#: Where the API is mounted; request paths in the log and in fault filters are relative to it.
PREFIX = "/api/v1"


class ApiError(Exception):
    """An API error answer: raise it from a handler to reply ``{"message": ..., ["code": ...]}``."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        """Render the error as the JSON response the API would send."""
        body: dict[str, Any] = {"message": self.message}
        if self.code is not None:
            body["code"] = self.code
        return JSONResponse(body, status_code=self.status, headers=self.headers)


class ConnectionDropped(Exception):
    """Raised by the pipeline after a partial answer, so the server closes the connection."""


def caller(request: Request) -> User:
    """Return the authenticated user making the request (set by the pipeline)."""
    user: User = request.scope["cubicl.user"]
    return user


def bool_param(request: Request, name: str, default: bool = False) -> bool:
    """Parse a boolean query parameter, which must be ``true`` or ``false`` (else 400)."""
    value = request.query_params.get(name)
    if value is None:
        return default
    if value not in ("true", "false"):
        raise ApiError(400, f"{name} must be 'true' or 'false', not {value!r}")
    return value == "true"


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


async def json_object(request: Request) -> dict[str, Any]:
    """Return the request body as a JSON object (400 if it is anything else)."""
    try:
        body = json.loads(await request.body(), parse_constant=_reject_constant)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object")
    return body
