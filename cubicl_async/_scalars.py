"""The scalar hooks of the converter: strict JSON kinds, timestamps, durations and money."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

__all__ = [
    "JSON_KINDS",
    "Refused",
    "never_if_zero",
    "seconds",
    "strict",
    "structure_datetime",
    "structure_decimal",
    "unstructure_datetime",
    "unstructure_decimal",
    "whole",
]

Hook = Callable[[Any, Any], Any]


JSON_KINDS: Final = {dict: "an object", list: "an array", str: "a string", int: "an integer",
                      float: "a number", bool: "a boolean", type(None): "null"}  # fmt: skip


class Refused(TypeError):
    """A JSON value of the wrong kind; the message names the kind expected and the one sent."""

    def __init__(self, expected: str, value: Any) -> None:
        sent = JSON_KINDS.get(type(value), type(value).__name__)
        super().__init__(f"expected {expected}, got {sent}")


def strict(kind: type) -> Hook:
    """Build a hook accepting exactly `kind` (and int for float); bool is never a number."""
    if kind is float:

        def structure_float(value: Any, _: Any) -> float:
            if type(value) is float:
                return value
            if type(value) is int:
                return float(value)
            raise Refused("a number", value)

        return structure_float

    def structure_exact(value: Any, _: Any) -> Any:
        if type(value) is kind:
            return value
        raise Refused(JSON_KINDS[kind], value)

    return structure_exact


def seconds(value: Any) -> float:
    if type(value) is int or type(value) is float:
        return value
    raise Refused("seconds as a number", value)


def structure_datetime(value: Any, _: Any) -> datetime:
    return datetime.fromtimestamp(seconds(value), UTC)


def unstructure_datetime(value: datetime) -> int | float:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: give it a timezone (e.g. UTC)")
    return whole(value.timestamp())


def structure_decimal(value: Any, _: Any) -> Decimal:
    if type(value) is int:
        return Decimal(value)
    if type(value) is float and math.isfinite(value):
        return Decimal(repr(value))
    raise Refused("a number", value)


def unstructure_decimal(value: Decimal) -> int | float:
    """Return the JSON number that carries `value` exactly, or raise `ValueError`."""
    if not value.is_finite():
        raise ValueError(f"cannot send {value} as a JSON number")
    if value == value.to_integral_value() and abs(value) < 2**53:
        return int(value)
    number = float(value)
    if Decimal(repr(number)) != value:
        raise ValueError(f"{value} has more digits than a JSON number carries exactly")
    return number


def whole(seconds: float) -> int | float:
    return int(seconds) if seconds == int(seconds) else seconds


def never_if_zero(value: Any, _: Any) -> datetime | None:
    """Read a timestamp where `0` (or `null`) means "never" (a field's `structure` hook)."""
    if value is None or (type(value) in (int, float) and value == 0):  # not False: not a time
        return None
    return structure_datetime(value, None)
