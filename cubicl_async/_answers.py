"""Answers classified, no I/O: a 2xx body into its records or `DecodeError`, others into `APIError`.

Every answer ends here as a result or a typed error, whatever its body: an empty body
where the endpoint returns something, a JSON text nested too deep for the interpreter,
bytes that are not UTF-8, a shape that does not fit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ._convert import StructureFailure, structure
from ._errors import APIError, DecodeError, RateLimitError, error_class
from ._wire import parse_retry_after

__all__ = ["api_error", "decode"]


def _loads(content: bytes) -> Any:
    """Parse JSON; an empty body or one nested deeper than the recursion limit is a `ValueError`."""
    if not content:
        raise ValueError("the answer is empty, but the endpoint returns a value")
    try:
        return json.loads(content)
    except RecursionError:
        raise ValueError("the JSON text is nested too deeply") from None


def decode(
    content: bytes,
    into: Any,
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    unwrap: str | None = None,
) -> Any:
    """Return the records a 2xx body holds; `into=None` (the endpoint answers nothing) ignores it.

    With `unwrap`, an object holding just that key (`{"entry": {...}}`, as some versions
    of the docs show) reads as its value. An empty body, a body that is not JSON and one
    that does not fit `into` raise `DecodeError` with the raw body.
    """
    if into is None:
        return None
    try:
        data = _loads(content)
        if unwrap is not None and isinstance(data, dict) and data.keys() == {unwrap}:
            data = data[unwrap]
        if data is None:  # inside a record a null reads as empty; a whole answer is never null
            raise ValueError("the answer is null, but the endpoint returns a value")  # noqa: TRY301
        return structure(data, into)
    except (ValueError, StructureFailure) as exc:
        raise DecodeError(
            f"{method} {url}: {exc}",
            body=content,
            method=method,
            url=url,
            request_id=headers.get("x-request-id"),
        ) from exc


def _json_or_text(content: bytes) -> Any:
    try:
        return _loads(content)
    except ValueError:
        return content.decode("utf-8", "replace")


def api_error(
    status: int, reason: str, content: bytes, *, method: str, url: str, headers: Mapping[str, str]
) -> APIError:
    """Return the typed error of a non-2xx answer, with its body (JSON, else text)."""
    body = _json_or_text(content)
    message = body.get("message") if isinstance(body, dict) else None
    code = body.get("code") if isinstance(body, dict) else None
    error = error_class(status, code if type(code) is int else None)(
        message if isinstance(message, str) else reason,
        status_code=status,
        body=body,
        method=method,
        url=url,
        request_id=headers.get("x-request-id"),
    )
    if isinstance(error, RateLimitError):
        error.retry_after = parse_retry_after(headers.get("retry-after"))
    return error
