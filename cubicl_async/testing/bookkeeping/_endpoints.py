"""The Bookkeeping area's endpoints (cubicl-api.md §9): the page, entries and payments.

Every handler checks, in this order: the request's shape (a plain 400), the caller's
rights (403 code 4: organization admins and account managers only), the currency (400
code 1201), the records it names (404: code 303 for a client, 1501 for an entry, none
for a payment), then the amounts (422 code 1504).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .._endpoint import Call, Endpoint
from .._http import ApiError
from . import _fields as bodies
from ._money import CURRENCIES
from ._records import AmountError, Bookkeeping

#: The application codes (cubicl-api.md §1.5) and the statuses they go with.
NO_RIGHTS, UNKNOWN_CLIENT, UNKNOWN_CURRENCY, UNKNOWN_ENTRY, OUT_OF_RANGE = 4, 303, 1201, 1501, 1504


def _allowed(books: Bookkeeping, call: Call) -> None:
    """Answer 403 code 4 unless the caller is an organization admin or account manager."""
    if not books.users.keeps_books(call.user_id):
        message = "Not permitted to use bookkeeping: organization admins and account managers only"
        raise ApiError(403, message, code=NO_RIGHTS)


def _entry(books: Bookkeeping, call: Call, entry_id: str) -> str:
    """Check the caller's rights, then return the entry id (404 code 1501 if unknown)."""
    _allowed(books, call)
    if not books.has_entry(entry_id):
        raise ApiError(404, f"Entry {entry_id!r} not found", code=UNKNOWN_ENTRY)
    return entry_id


def _currency(currency: str) -> None:
    if currency not in CURRENCIES:
        raise ApiError(400, f"Currency {currency!r} is not supported", code=UNKNOWN_CURRENCY)


@contextmanager
def _in_range() -> Iterator[None]:
    """Answer an `AmountError` as 422 code 1504."""
    try:
        yield
    except AmountError as exc:
        raise ApiError(422, str(exc), code=OUT_OF_RANGE) from exc


def _answer(books: Bookkeeping, key: str, value: Any) -> Any:
    """Return ``value``, or ``{key: value}`` when the emulator answers in the wrapped form."""
    return {key: value} if books.wrapped else value


def page(books: Bookkeeping, call: Call) -> dict[str, Any]:
    """``GET /bookkeeping/page``: every entry and activity, and the totals."""
    _allowed(books, call)
    return books.page()


def activities(books: Bookkeeping, call: Call) -> Any:
    """``GET /bookkeeping/activities?entry=``: the entry's activities, oldest first."""
    entry_id = call.query.get("entry")
    if entry_id is None:
        raise ApiError(400, "entry is required")
    return _answer(books, "activities", books.activities(_entry(books, call, entry_id)))


def get_entry(books: Bookkeeping, call: Call) -> Any:
    """``GET /bookkeeping/entries/{entry}``: the entry."""
    entry_id = _entry(books, call, call.params["entry_id"])
    return _answer(books, "entry", books.entry(entry_id))


def create_entry(books: Bookkeeping, call: Call) -> dict[str, Any]:
    """``POST /bookkeeping/entries``: the entry and its activity (and a first payment)."""
    _allowed(books, call)
    fields = call.fields
    _currency(fields["currency"])
    if not books.customers.has(fields["customer"]):
        message = f"Client {fields['customer']!r} not found"
        raise ApiError(404, message, code=UNKNOWN_CLIENT)
    with _in_range():
        return books.create_entry(fields, created_by=call.user_id)


def update_entry(books: Bookkeeping, call: Call) -> Any:
    """``PUT /bookkeeping/entries/{entry}``: the entry, with the fields sent changed."""
    _allowed(books, call)
    _currency(call.fields["currency"])
    entry_id = _entry(books, call, call.params["entry_id"])
    with _in_range():
        books.change_entry(entry_id, call.fields)
    return _answer(books, "entry", books.entry(entry_id))


def delete_entry(books: Bookkeeping, call: Call) -> None:
    """``DELETE /bookkeeping/entries/{entry}``: the entry, its payments and activities."""
    books.delete_entry(_entry(books, call, call.params["entry_id"]))


def add_payment(books: Bookkeeping, call: Call) -> dict[str, Any]:
    """``POST /bookkeeping/payment/{entry}``: ``{"payment", "activity"}``."""
    entry_id = _entry(books, call, call.params["entry_id"])
    fields = call.fields
    with _in_range():
        return books.pay(
            entry_id, fields["amount"], created_by=call.user_id, note=fields.get("note")
        )


def delete_payment(books: Bookkeeping, call: Call) -> Any:
    """``DELETE /bookkeeping/payments/{payment}``: the ``payment-deleted`` activity."""
    _allowed(books, call)
    payment_id = call.params["payment_id"]
    if not books.has_payment(payment_id):
        raise ApiError(404, f"Payment {payment_id!r} not found")
    return _answer(books, "activity", books.delete_payment(payment_id, deleted_by=call.user_id))


ENDPOINTS = [
    Endpoint("GET", "/bookkeeping/page", page),
    Endpoint("GET", "/bookkeeping/activities", activities),
    Endpoint("POST", "/bookkeeping/entries", create_entry, bodies.CREATE),
    Endpoint("GET", "/bookkeeping/entries/{entry_id}", get_entry),
    Endpoint("PUT", "/bookkeeping/entries/{entry_id}", update_entry, bodies.UPDATE),
    Endpoint("DELETE", "/bookkeeping/entries/{entry_id}", delete_entry, status=204),
    Endpoint("POST", "/bookkeeping/payment/{entry_id}", add_payment, bodies.PAYMENT),
    Endpoint("DELETE", "/bookkeeping/payments/{payment_id}", delete_payment),
]
