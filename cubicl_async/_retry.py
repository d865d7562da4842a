"""The retry rules, as pure arithmetic: `RetryPolicy` and `decide()`, the one retry decision.

`decide()` sees what one attempt ended in (a status, or a transport failure and whether
any byte of the request can have left) and answers what the pipeline does next:

| attempt ended in                          | GET, PUT, DELETE       | POST                   |
|-------------------------------------------|------------------------|------------------------|
| 429, wait <= `max_retry_after`            | cool down, retry       | cool down, retry       |
| 429, wait > `max_retry_after`             | raise                  | raise                  |
| 502, 503, 504                             | back off, retry        | raise                  |
| transport failure, request never left     | back off, retry        | back off, retry        |
| transport failure, request may have left  | back off, retry        | raise                  |
| any other status                          | raise                  | raise                  |

Every row raises once `max_retries` retries were spent. A 429's wait is the server's
`Retry-After`, else the moment our oldest accepted request leaves the server's window
(the throttle's estimate), else `rate_limit_backoff`.
"""

from __future__ import annotations

import enum
import random

import attrs

__all__ = ["IDEMPOTENT_METHODS", "RAISE", "RETRYABLE_STATUSES", "Action", "Decision", "RetryPolicy"]

#: Methods that may be sent twice without doing anything twice.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
#: Statuses worth retrying for an idempotent request (429 is handled by the cooldown).
RETRYABLE_STATUSES = frozenset({502, 503, 504})


def _positive(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not value > 0:
        raise ValueError(f"{attribute.name} must be positive, got {value!r}")


class Action(enum.Enum):
    """What the pipeline does after a failed attempt."""

    #: Sleep `Decision.delay` (this request only), then send again.
    RETRY = "retry"
    #: Hold every request of the throttle for `Decision.delay`, then send again.
    COOL_DOWN = "cool down"
    #: Raise the attempt's error.
    RAISE = "raise"


@attrs.frozen
class Decision:
    """The answer of `RetryPolicy.decide`."""

    #: What to do.
    action: Action
    #: Seconds to wait before the next attempt (0 for `RAISE`).
    delay: float = 0.0


#: The decision that ends a call with its error.
RAISE = Decision(Action.RAISE)


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How failed requests are retried (the table is in this module's docstring).

    Transport errors, timeouts and 502/503/504 are retried for GET, PUT and DELETE; a POST
    is retried only when it certainly never reached the server (a connect failure, or a
    429). Delays grow as `initial_delay * 2**n`, capped at `max_delay`, minus up to 25%
    of jitter. A 429 pauses the whole client (every request not sent yet) for the
    server's `Retry-After` (seconds or an HTTP date) or, without one, until the
    throttle expects the server's window to free a slot, or else for
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

    def decide(
        self,
        *,
        method: str,
        retries: int,
        status: int | None = None,
        request_sent: bool = True,
        retry_after: float | None = None,
        window_frees_in: float | None = None,
        period: float = 60.0,
        rand: float | None = None,
    ) -> Decision:
        """Decide what follows a failed attempt, the `retries`-th retry of its call.

        `status` is the answer's HTTP status, `None` for a transport failure, where
        `request_sent` tells whether any byte of the request can have left.
        `retry_after` and `window_frees_in` only matter for a 429.
        """
        if retries >= self.max_retries:
            return RAISE
        idempotent = method in IDEMPOTENT_METHODS
        if status == 429:
            if retry_after is not None:
                wait = retry_after
            elif window_frees_in:
                wait = min(window_frees_in, self.max_retry_after)
            else:
                wait = self.rate_limit_backoff(retries, period=period, rand=rand)
            return Decision(Action.COOL_DOWN, wait) if wait <= self.max_retry_after else RAISE
        if status is None:
            retryable = idempotent or not request_sent
        else:
            retryable = idempotent and status in RETRYABLE_STATUSES
        return Decision(Action.RETRY, self.backoff(retries, rand=rand)) if retryable else RAISE


def _jitter(delay: float, rand: float | None) -> float:
    if rand is None:
        rand = random.random()  # noqa: S311 - jitter, not cryptography
    return delay * (1 - 0.25 * rand)
