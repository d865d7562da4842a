"""Pure request arithmetic: paths, query parameters, Retry-After and backoff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cubicl_async import UNSET
from cubicl_async._wire import MAX_RETRY_AFTER, encode_params, parse_retry_after, path


def test_path_percent_encodes_every_id() -> None:
    """Ids are quoted with no safe characters, so a slash or '?' cannot change the route."""
    assert path("tasks/{id}/activities", id="a/b?c d") == "tasks/a%2Fb%3Fc%20d/activities"


@pytest.mark.parametrize("bad", ["", None, 3], ids=["empty", "none", "int"])
def test_path_rejects_an_unusable_id_naming_it(bad: object) -> None:
    """An empty or non-string id raises ValueError naming the argument."""
    with pytest.raises(ValueError, match="task_id must be a non-empty id string"):
        path("tasks/{task_id}", task_id=bad)  # type: ignore[arg-type]


def test_encode_params_drops_none_and_unset() -> None:
    """None and UNSET are not sent at all (httpx would send `key=`)."""
    assert encode_params({"a": None, "b": UNSET, "c": "x"}) == (("c", "x"),)


def test_encode_params_sends_lowercase_booleans() -> None:
    """Python booleans travel as `true`/`false`, never `True` or `1`."""
    assert encode_params({"yes": True, "no": False}) == (("yes", "true"), ("no", "false"))


def test_encode_params_sends_numbers_dates_and_lists() -> None:
    """Numbers as text, aware datetimes as Unix seconds, string lists comma-separated."""
    when = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    assert encode_params({"n": 10, "t": when, "f": ["name", "state"]}) == (
        ("n", "10"),
        ("t", str(int(when.timestamp()))),
        ("f", "name,state"),
    )


def test_encode_params_rejects_naive_datetimes() -> None:
    """A naive datetime is ambiguous, so it raises ValueError naming the parameter."""
    with pytest.raises(ValueError, match="start: naive datetime"):
        encode_params({"start": datetime(2024, 1, 1)})


def test_encode_params_rejects_unknown_types() -> None:
    """A value with no query encoding raises TypeError naming the parameter."""
    with pytest.raises(TypeError, match="weird: cannot send dict"):
        encode_params({"weird": {"a": 1}})


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("12", 12.0), ("0.25", 0.25), (" 3 ", 3.0), ("-5", 0.0), (None, None), ("soon", None),
     ("nan", None)],
    ids=["int", "fraction", "spaces", "negative", "absent", "garbage", "nan"],
)  # fmt: skip
def test_parse_retry_after_seconds(header: str | None, seconds: float | None) -> None:
    """Delay-seconds are read (fractions tolerated); absent or unreadable gives None."""
    assert parse_retry_after(header) == seconds


def test_parse_retry_after_http_date() -> None:
    """An HTTP date is turned into the seconds left until it; a past date means zero."""
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30", now=now) == 30.0


@given(
    value=st.text(max_size=60)
    | st.from_regex(r"\w{3}, \d{1,2} \w{3} \d{1,6} \d\d:\d\d:\d\d( GMT)?")
)
def test_parse_retry_after_is_bounded_or_none_for_any_text(value: str) -> None:
    """Any header text (absurd dates, inf, nan, garbage) parses to 0..MAX_RETRY_AFTER or None."""
    seconds = parse_retry_after(value)
    assert seconds is None or 0.0 <= seconds <= MAX_RETRY_AFTER


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("Fri, 31 Dec 9999 23:59:59 GMT", MAX_RETRY_AFTER), ("Mon, 01 Jan 0001 00:00:00 GMT", 0.0),
     ("inf", MAX_RETRY_AFTER), ("-inf", 0.0), ("nan", None), ("1e400", MAX_RETRY_AFTER)],
    ids=["year-9999", "year-1", "inf", "minus-inf", "nan", "huge"],
)  # fmt: skip
def test_parse_retry_after_clamps_absurd_values(header: str, seconds: float | None) -> None:
    """An absurd year or an infinite number never overflows: it is clamped (or ignored)."""
    assert parse_retry_after(header) == seconds


@pytest.mark.parametrize("dots", [".", "..", "%2e", "%2E%2e", ".%2e"])
def test_path_rejects_dot_segments(dots: str) -> None:
    """A dot segment, raw or percent-encoded, would be resolved away by httpx: refused."""
    with pytest.raises(ValueError, match="task_id must be an id, not the dot segment"):
        path("tasks/{task_id}", task_id=dots)
