"""Pure request building, no I/O: path ids, query parameters and header values."""

from __future__ import annotations

import email.utils
import math
from collections.abc import AsyncIterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote

import attrs

from ._convert import Unset

__all__ = [
    "RawBody",
    "check_id",
    "check_ids",
    "encode_params",
    "parse_retry_after",
    "path",
]


@attrs.frozen
class RawBody:
    """A request body that is not JSON: a re-iterable byte stream and its headers."""

    #: The bytes, in chunks; iterated again if the request is resent.
    content: AsyncIterable[bytes]
    #: Headers describing it (`Content-Type`, `Content-Length`).
    headers: Mapping[str, str]


def check_id(name: str, value: object) -> str:
    """Return `value` if it can stand as one opaque path segment or filter value.

    A non-string, an empty string, and a dot segment (`.` or `..`, also percent-encoded,
    as `%2e%2E`) raise a `ValueError` naming the argument: httpx would resolve a dot
    segment away and the request would address another resource.
    """
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty id string, got {value!r}")
    if unquote(value) in (".", ".."):
        raise ValueError(f"{name} must be an id, not the dot segment {value!r}")
    return value


def check_ids(**ids: str | None) -> None:
    """Check each id given (`None`: not given), as `check_id` does, naming its argument."""
    for name, value in ids.items():
        if value is not None:
            check_id(name, value)


def path(template: str, **ids: str) -> str:
    """Fill `{name}` placeholders with percent-encoded ids; an empty id is a `ValueError`."""
    return template.format(**{name: quote(check_id(name, v), safe="") for name, v in ids.items()})


def _param(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"{name}: naive datetime {value!r}; give it a timezone (e.g. UTC)")
        return str(int(value.timestamp()))
    if isinstance(value, Sequence) and all(isinstance(item, str) for item in value):
        return ",".join(value)
    raise TypeError(f"{name}: cannot send {type(value).__name__} as a query parameter")


def encode_params(params: Mapping[str, Any] | None) -> tuple[tuple[str, str], ...]:
    """Encode query parameters as the API reads them.

    `None` and `UNSET` are dropped (httpx would send `key=`), `bool` travels as
    `true`/`false`, aware datetimes as Unix seconds and string sequences comma-separated.
    """
    if not params:
        return ()
    return tuple(
        (name, _param(name, value))
        for name, value in params.items()
        if value is not None and not isinstance(value, Unset)
    )


#: The longest wait a `Retry-After` may ask for (a day); longer values are clamped to it.
MAX_RETRY_AFTER = 86_400.0


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Return the seconds a `Retry-After` header asks for, or `None` if absent or unreadable.

    Both forms are read: delay-seconds (fractions tolerated) and an HTTP date. A date in
    the past means zero; any value is clamped to `MAX_RETRY_AFTER`, so whatever a server
    sends parses to a bounded number or to `None`.
    """
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            seconds = (when - (now or datetime.now(UTC))).total_seconds()
        except (TypeError, ValueError, OverflowError, IndexError):
            return None
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
