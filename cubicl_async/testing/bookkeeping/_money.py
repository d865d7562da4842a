"""Exact money: amounts as `Decimal`, read from JSON numbers and written back as JSON numbers.

A JSON number arrives as an int or a float; a float is read as the decimal of its
shortest text (``Decimal(repr(0.1)) == Decimal("0.1")``), so ``0.1`` is one tenth. Sums
and comparisons are then exact. An answer writes an integral amount as an int and any
other as the float nearest to it, whose text is the decimal itself for every amount a
double carries exactly (up to 15 significant digits).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

#: The 34 currency codes of cubicl-api.md §9.4 (PLN included), in the documented order.
CURRENCIES = (
    "TRY", "USD", "EUR", "GBP", "AUD", "CAD", "CHF", "CNY", "HKD", "NZD", "SEK", "KRW",
    "SGD", "NOK", "MXN", "INR", "ZAR", "RUB", "BRL", "JPY", "TWD", "DKK", "PLN", "THB",
    "IDR", "HUF", "CZK", "ILS", "PHP", "AED", "COP", "SAR", "MYR", "RON",
)  # fmt: skip

#: What the seeding helpers take as an amount (a float as its shortest text).
Money = Decimal | int | float | str


def to_decimal(value: Money) -> Decimal:
    """Return an amount as an exact, finite `Decimal` (TypeError, ValueError otherwise)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float | str):
        raise TypeError(f"an amount is a Decimal, an int, a float or a str, not {value!r}")
    try:
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount") from None
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not a finite amount")
    return amount


def to_json(amount: Decimal) -> int | float:
    """Return the JSON number of an amount: an int when integral, else the nearest float."""
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def plain(value: Any) -> Any:
    """Return a copy of JSON data (dicts, lists, scalars) with each `Decimal` as `to_json`."""
    if isinstance(value, Decimal):
        return to_json(value)
    if isinstance(value, Mapping):
        return plain_record(value)
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def plain_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of a JSON object with each `Decimal` as `to_json` (see `plain`)."""
    return {key: plain(item) for key, item in record.items()}
