"""Pure request arithmetic, no I/O: paths, query parameters, retry rules and delays."""

from __future__ import annotations

import email.utils
import math
import random
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import quote

import attrs

from ._convert import Unset

__all__ = [
    "IDEMPOTENT_METHODS",
    "RETRYABLE_STATUSES",
    "Requester",
    "RetryPolicy",
    "check_id",
    "encode_params",
    "parse_retry_after",
    "path",
]

#: Methods that may be sent twice without doing anything twice.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
#: Statuses worth retrying for an idempotent request (429 is handled by the cooldown).
RETRYABLE_STATUSES = frozenset({502, 503, 504})


class Requester(Protocol):
    """What an API area needs from the client: one call through the request pipeline."""

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        into: Any = None,
    ) -> Any: ...


def _positive(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not value > 0:
        raise ValueError(f"{attribute.name} must be positive, got {value!r}")


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How failed requests are retried.

    Transport errors, timeouts and 502/503/504 are retried for GET, PUT and DELETE; a POST
    is retried only when it certainly never reached the server (a connect failure, or a
    429). Delays grow as `initial_delay * 2**n`, capped at `max_delay`, minus up to 25%
    of jitter. A 429 pauses the whole client (every request not sent yet) for the
    server's `Retry-After` (seconds or an HTTP date) or, without one, for
    `rate_limit_delay * 2**n` with the same jitter, capped at `max_retry_after`; a
    `Retry-After` above `max_retry_after` raises `RateLimitError` at once instead of
    sleeping for minutes. Use `client.with_options(retry=...)` for a policy per call.
    """

    #: Retries after the first attempt; 0 turns retrying off.
    max_retries: int = attrs.field(default=2, validator=attrs.validators.ge(0))
    #: Delay before the first retry of a transport error or 5xx, in seconds.
    initial_delay: float = attrs.field(default=0.5, validator=_positive)
    #: Ceiling of that delay, in seconds.
    max_delay: float = attrs.field(default=8.0, validator=_positive)
    #: Cooldown after a first 429 that carries no `Retry-After`, in seconds; it doubles on
    #: each further 429. `None`: an eighth of the rate limit's period (7.5 s for a minute).
    rate_limit_delay: float | None = attrs.field(
        default=None, validator=attrs.validators.optional(_positive)
    )
    #: The longest 429 cooldown accepted, in seconds; a longer `Retry-After` raises at once.
    max_retry_after: float = attrs.field(default=60.0, validator=_positive)

    def backoff(self, retry: int, *, rand: float | None = None) -> float:
        """Return the delay before retry number `retry` (0-based) of a failed attempt."""
        return _jitter(min(self.initial_delay * 2**retry, self.max_delay), rand)

    def rate_limit_backoff(
        self, retry: int, *, period: float = 60.0, rand: float | None = None
    ) -> float:
        """Return the cooldown after a 429 that named no `Retry-After` (window: `period`)."""
        base = self.rate_limit_delay or period / 8
        return _jitter(min(base * 2**retry, self.max_retry_after), rand)


def _jitter(delay: float, rand: float | None) -> float:
    if rand is None:
        rand = random.random()  # noqa: S311 - jitter, not cryptography
    return delay * (1 - 0.25 * rand)


def check_id(name: str, value: object) -> str:
    """Return `value` if it is a usable id; else raise a `ValueError` naming the argument."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty id string, got {value!r}")
    return value


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


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Return the seconds a `Retry-After` header asks for, or `None` if absent or unreadable.

    Both forms are read: delay-seconds (fractions tolerated) and an HTTP date. A date in
    the past means zero.
    """
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)
