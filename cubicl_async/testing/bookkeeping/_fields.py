"""The Bookkeeping area's request bodies: entry create and update, and a payment.

Amounts are read as exact `Decimal` values (`_money`). Whether a currency is one of the
34 codes (400 code 1201) and whether an amount fits its entry (422 code 1504) are
checked by the handlers, which answer with the application codes; the tables refuse
only wrong JSON types and missing fields (a plain 400).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._fields import (
    DATE,
    INTEGER,
    NAME,
    NUMBER,
    OPTIONAL_TEXT,
    STRING,
    Body,
    is_number,
    kind,
    one_of,
)
from .._http import ApiError
from ._money import to_decimal

#: The types of an entry.
ENTRY_TYPES = ("receivable", "payable")

#: An amount: a JSON number, read as an exact `Decimal`.
MONEY = kind(
    "a number", INTEGER, NUMBER, valid=is_number, convert=lambda key, value: to_decimal(value)
)
#: ``receivable`` or ``payable``.
ENTRY_TYPE = one_of(*ENTRY_TYPES)
#: A currency code (whether it is one of the 34 is the handler's check: code 1201).
CURRENCY = kind("a currency code (a string)", STRING)


def _no_move(body: Mapping[str, Any]) -> None:
    """Refuse a ``customer`` in an update: entries stay with their client."""
    if "customer" in body:
        raise ApiError(400, "customer cannot be changed: entries cannot move between customers")


#: The fields of an entry that create and update share, in the order they are checked.
ENTRY_FIELDS = {
    "type": ENTRY_TYPE,
    "name": NAME,
    "currency": CURRENCY,
    "amount": MONEY,
    "desc": OPTIONAL_TEXT,
    "dueAt": DATE,
}
#: ``POST /bookkeeping/entries``: nulls count as not sent.
CREATE = Body(
    {"customer": NAME, **ENTRY_FIELDS, "paidAmount": MONEY},
    required=frozenset({"customer", "type", "name", "currency", "amount"}),
    null_is_absent=True,
)
#: ``PUT /bookkeeping/entries/{entry}``: type, name and currency again; a null clears.
UPDATE = Body(ENTRY_FIELDS, required=frozenset({"type", "name", "currency"}), check=_no_move)
#: ``POST /bookkeeping/payment/{entry}``.
PAYMENT = Body(
    {"amount": MONEY, "note": OPTIONAL_TEXT}, required=frozenset({"amount"}), null_is_absent=True
)
