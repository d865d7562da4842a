"""HTTP pieces shared by the pipeline and the endpoints: the mount point and the error answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse

#: Where the API is mounted; request paths in the log and in fault filters are relative to it.
PREFIX = "/api/v1"


class ApiError(Exception):
    """An API error answer: raise it from a handler to reply ``{"message": ..., ["code": ...]}``.

    ``details`` are further keys of the body, after ``code`` (such as ``totalCapacity``).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: int | None = None,
        headers: dict[str, str] | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}
        self.details = dict(details or {})

    def response(self) -> JSONResponse:
        """Render the error as the JSON response the API would send."""
        body: dict[str, Any] = {"message": self.message}
        if self.code is not None:
            body["code"] = self.code
        body |= self.details
        return JSONResponse(body, status_code=self.status, headers=self.headers)


class ConnectionDropped(Exception):
    """Raised by the pipeline after a partial answer, so the server closes the connection."""
