"""The retry rules as a table: `RetryPolicy.decide`, backoff arithmetic, policy validation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cubicl_async import RetryPolicy
from cubicl_async._retry import Action, Decision

POLICY = RetryPolicy(max_retries=2, initial_delay=0.5, max_delay=8.0, max_retry_after=60.0)
RETRY = Action.RETRY
COOL = Action.COOL_DOWN
RAISE = Action.RAISE


# Each row: method, status (None: transport failure), request_sent, retries so far,
# Retry-After, the throttle's window estimate, then the expected action and delay (rand=0:
# no jitter; the backoff of retry n is 0.5 * 2**n, a 429 without hints waits 60 / 8 * 2**n).
TABLE = [
    ("GET", 503, True, 0, None, None, RETRY, 0.5),
    ("GET", 502, True, 1, None, None, RETRY, 1.0),
    ("PUT", 504, True, 0, None, None, RETRY, 0.5),
    ("DELETE", 503, True, 0, None, None, RETRY, 0.5),
    ("POST", 503, True, 0, None, None, RAISE, 0.0),
    ("GET", 500, True, 0, None, None, RAISE, 0.0),
    ("GET", 404, True, 0, None, None, RAISE, 0.0),
    ("POST", 400, True, 0, None, None, RAISE, 0.0),
    ("GET", None, True, 0, None, None, RETRY, 0.5),
    ("POST", None, True, 0, None, None, RAISE, 0.0),
    ("POST", None, False, 0, None, None, RETRY, 0.5),
    ("POST", None, False, 1, None, None, RETRY, 1.0),
    ("GET", 429, True, 0, 3.0, None, COOL, 3.0),
    ("POST", 429, True, 0, 3.0, 9.0, COOL, 3.0),
    ("GET", 429, True, 0, None, 9.0, COOL, 9.0),
    ("GET", 429, True, 0, None, 600.0, COOL, 60.0),
    ("GET", 429, True, 0, None, None, COOL, 7.5),
    ("GET", 429, True, 1, None, 0.0, COOL, 15.0),
    ("GET", 429, True, 0, 61.0, None, RAISE, 0.0),
    ("GET", 429, True, 2, 1.0, None, RAISE, 0.0),
    ("GET", 503, True, 2, None, None, RAISE, 0.0),
    ("POST", None, False, 2, None, None, RAISE, 0.0),
]


@pytest.mark.parametrize(
    ("method", "status", "sent", "retries", "retry_after", "frees_in", "action", "delay"),
    TABLE,
    ids=[f"{m}-{s or 'transport'}-{'sent' if sent else 'unsent'}-r{r}-{a.name}"
         for m, s, sent, r, _, _, a, _ in TABLE],
)  # fmt: skip
def test_decide_follows_the_table(
    method: str, status: int | None, sent: bool, retries: int, retry_after: float | None,
    frees_in: float | None, action: Action, delay: float,
) -> None:  # fmt: skip
    """Each row of the module's retry table, with no jitter."""
    decision = POLICY.decide(
        method=method, retries=retries, status=status, request_sent=sent,
        retry_after=retry_after, window_frees_in=frees_in, period=60.0, rand=0.0,
    )  # fmt: skip
    assert decision == Decision(action, delay)


def test_no_retries_means_every_failure_raises() -> None:
    """With max_retries=0 even a transport failure of an unsent GET raises at once."""
    policy = RetryPolicy(max_retries=0)
    for status in (None, 429, 503):
        assert policy.decide(method="GET", retries=0, status=status).action is RAISE


@given(retry=st.integers(0, 20), rand=st.floats(0, 1))
def test_backoff_grows_to_its_ceiling_with_bounded_jitter(retry: int, rand: float) -> None:
    """Backoff is initial*2**n capped at max_delay, less at most 25% of jitter."""
    policy = RetryPolicy(initial_delay=0.5, max_delay=8.0)
    nominal = min(0.5 * 2**retry, 8.0)
    assert 0.75 * nominal <= policy.backoff(retry, rand=rand) <= nominal


@given(retry=st.integers(0, 20))
def test_rate_limit_backoff_is_capped_by_max_retry_after(retry: int) -> None:
    """The cooldown after a 429 without Retry-After never exceeds max_retry_after."""
    policy = RetryPolicy(rate_limit_delay=7.5, max_retry_after=60.0)
    assert policy.rate_limit_backoff(retry, rand=0.0) == min(7.5 * 2**retry, 60.0)


@pytest.mark.parametrize(
    "kwargs",
    [{"max_retries": -1}, {"initial_delay": 0}, {"max_delay": -1.0}, {"max_retry_after": 0}],
    ids=["negative-retries", "zero-delay", "negative-max", "zero-ceiling"],
)
def test_retry_policy_rejects_bad_numbers(kwargs: dict[str, float]) -> None:
    """A RetryPolicy with a negative or zero setting raises ValueError naming it."""
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]
