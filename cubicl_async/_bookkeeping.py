"""Bookkeeping (customers' current accounts): entries, payments, activities, `client.bookkeeping`.

Money is exact: every amount is a `decimal.Decimal`, read from the JSON number as it was
written and sent back as the same number. A `float` argument is refused (`TypeError`);
an `int` is exact and accepted.
"""

from __future__ import annotations

import builtins
import enum
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

import attrs

from ._convert import UNSET, Unset, request_body
from ._display import Record
from ._resource import Resource
from ._wire import check_id, path

__all__ = [
    "ActivityData",
    "Bookkeeping",
    "BookkeepingActivity",
    "BookkeepingActivityType",
    "BookkeepingPage",
    "CreatedEntry",
    "Currency",
    "Entry",
    "EntryType",
    "Payment",
    "RecordedPayment",
    "Totals",
]


class Currency(enum.StrEnum):
    """The 34 documented currency codes; a code outside them is kept as a plain string."""

    TRY = "TRY"
    USD = "USD"
    EUR = "EUR"
    GBP = "GBP"
    AUD = "AUD"
    CAD = "CAD"
    CHF = "CHF"
    CNY = "CNY"
    HKD = "HKD"
    NZD = "NZD"
    SEK = "SEK"
    KRW = "KRW"
    SGD = "SGD"
    NOK = "NOK"
    MXN = "MXN"
    INR = "INR"
    ZAR = "ZAR"
    RUB = "RUB"
    BRL = "BRL"
    JPY = "JPY"
    TWD = "TWD"
    DKK = "DKK"
    PLN = "PLN"
    THB = "THB"
    IDR = "IDR"
    HUF = "HUF"
    CZK = "CZK"
    ILS = "ILS"
    PHP = "PHP"
    AED = "AED"
    COP = "COP"
    SAR = "SAR"
    MYR = "MYR"
    RON = "RON"


class EntryType(enum.StrEnum):
    """Who pays: the customer pays you (receivable), or you pay the customer (payable)."""

    RECEIVABLE = "receivable"
    PAYABLE = "payable"


class BookkeepingActivityType(enum.StrEnum):
    """What a bookkeeping activity records."""

    RECEIVABLE_CREATED = "receivable-created"
    PAYABLE_CREATED = "payable-created"
    PAYMENT_RECEIVED = "payment-received"
    PAYMENT_SENT = "payment-sent"
    PAYMENT_DELETED = "payment-deleted"


@attrs.frozen(kw_only=True)
class Entry(Record):
    """An amount owed to you by a customer (receivable) or by you to a customer (payable).

    The API docs list no `_id` for bookkeeping records; `id` is `None` when none is sent.
    """

    _card: ClassVar[tuple[str, ...]] = (
        "type",
        "amount",
        "currency",
        "paid_amount",
        "is_paid",
        "due_at",
    )

    #: Entry id (`None` if the server sent none).
    id: str | None = None
    #: Organization id.
    org: str | None = None
    #: Customer id.
    customer: str | None = None
    #: Receivable or payable.
    type: EntryType | str | None = None
    #: The total, above zero.
    amount: Decimal | None = None
    #: Currency code.
    currency: Currency | str | None = None
    #: Name.
    name: str | None = None
    #: Description.
    desc: str | None = None
    #: Paid so far.
    paid_amount: Decimal = Decimal(0)
    #: Whether it is fully paid.
    is_paid: bool = False
    #: When payment is due.
    due_at: datetime | None = None
    #: Creator's user id.
    created_by: str | None = None
    #: Creation time.
    created_at: datetime | None = None

    @property
    def outstanding(self) -> Decimal | None:
        """What is left to pay (`amount - paid_amount`), or `None` without an amount."""
        return None if self.amount is None else self.amount - self.paid_amount


@attrs.frozen(kw_only=True)
class Payment(Record):
    """A payment that settles an entry, wholly or partly."""

    _card: ClassVar[tuple[str, ...]] = ("amount", "entry", "created_at")

    #: Payment id (`None` if the server sent none).
    id: str | None = None
    #: Organization id.
    org: str | None = None
    #: Customer id.
    customer: str | None = None
    #: Amount paid, above zero.
    amount: Decimal | None = None
    #: The entry paid.
    entry: str | None = None
    #: Free-text note.
    note: str | None = None
    #: Who recorded it.
    created_by: str | None = None
    #: When.
    created_at: datetime | None = None


@attrs.frozen(kw_only=True)
class ActivityData:
    """The details of a bookkeeping activity; keys the docs do not capture are in `extra`."""

    #: The entry's name.
    entry_name: str | None = None
    #: The entry's due date, when it has one.
    entry_due_at: datetime | None = None
    #: The amount concerned.
    amount: Decimal | None = None
    #: Its currency.
    currency: Currency | str | None = None
    #: Other keys, as raw JSON.
    extra: dict[str, Any] = attrs.field(factory=dict, metadata={"extra": True})


@attrs.frozen(kw_only=True)
class BookkeepingActivity(Record):
    """A change to a customer's account: an entry created, a payment received, sent, deleted."""

    _card: ClassVar[tuple[str, ...]] = ("type", "entry", "created_at")

    #: Activity id (`None` if the server sent none).
    id: str | None = None
    #: Organization id.
    org: str | None = None
    #: Customer id.
    customer: str | None = None
    #: The entry concerned.
    entry: str | None = None
    #: The payment concerned, for the three `payment-*` types.
    payment: str | None = None
    #: What happened.
    type: BookkeepingActivityType | str | None = None
    #: Details.
    data: ActivityData = ActivityData()
    #: Who did it.
    created_by: str | None = None
    #: When.
    created_at: datetime | None = None


@attrs.frozen(kw_only=True)
class Totals:
    """The sums of one kind of entry (receivables or payables), in one currency."""

    #: Sum of the amounts.
    total: Decimal = Decimal(0)
    #: Sum of what is left to pay.
    outstanding: Decimal = Decimal(0)
    #: Sum of what is left to pay on entries past their due date.
    overdue: Decimal = Decimal(0)
    #: The currency of these sums.
    currency: Currency | str | None = None


@attrs.frozen(kw_only=True)
class BookkeepingPage:
    """The bookkeeping page: every entry, the activity, and the totals."""

    #: Entries.
    entries: tuple[Entry, ...] = ()
    #: Activities.
    activities: tuple[BookkeepingActivity, ...] = ()
    #: Totals of the payables.
    payables: Totals | None = None
    #: Totals of the receivables.
    receivables: Totals | None = None


@attrs.frozen(kw_only=True)
class CreatedEntry:
    """What creating an entry returns; `payment` parts only when `paid_amount` was given."""

    #: The new entry.
    entry: Entry
    #: Its `*-created` activity.
    entry_activity: BookkeepingActivity | None = None
    #: The payment made with it.
    payment: Payment | None = None
    #: That payment's activity.
    payment_activity: BookkeepingActivity | None = None


@attrs.frozen(kw_only=True)
class RecordedPayment:
    """What recording a payment returns."""

    #: The payment.
    payment: Payment
    #: Its activity.
    activity: BookkeepingActivity | None = None


def _amount(name: str, value: object) -> Decimal:
    """Return `value` as a `Decimal` if it is exact money above zero.

    A float (inexact) or any other type is a `TypeError`, zero or less a `ValueError`.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        hint = ": write it as Decimal('12.34')" if isinstance(value, float) else ""
        raise TypeError(f"{name} must be a Decimal or an int (exact money), got {value!r}{hint}")
    amount = Decimal(value)
    if not amount.is_finite() or amount <= 0:
        raise ValueError(f"{name} must be an amount above zero, got {value!r}")
    return amount


class Bookkeeping(Resource):
    """`client.bookkeeping`: customers' current accounts (needs bookkeeping rights: else 403)."""

    async def page(self) -> BookkeepingPage:
        """Return every entry, the activity and the payable and receivable totals."""
        return await self._get("bookkeeping/page", into=BookkeepingPage)

    async def entry(self, entry_id: str) -> Entry:
        """Return one entry (`NotFoundError` with code 1501 if there is none)."""
        return await self._get(path("bookkeeping/entries/{entry_id}", entry_id=entry_id),
                               into=Entry, unwrap="entry")  # fmt: skip

    async def activities(self, entry_id: str) -> builtins.list[BookkeepingActivity]:
        """Return the activity of one entry."""
        return await self._get(
            "bookkeeping/activities", params={"entry": check_id("entry_id", entry_id)},
            into=builtins.list[BookkeepingActivity], unwrap="activities",
        )  # fmt: skip

    async def create_entry(
        self,
        *,
        customer: str,
        type: EntryType | str,
        name: str,
        currency: Currency | str,
        amount: Decimal | int,
        desc: str | Unset = UNSET,
        due_at: datetime | Unset = UNSET,
        paid_amount: Decimal | int | Unset = UNSET,
    ) -> CreatedEntry:
        """Create an entry; with `paid_amount`, a first payment is recorded with it.

        `amount > 0` and `0 < paid_amount < amount` are checked before anything is sent.
        """
        total = _amount("amount", amount)
        paid = UNSET if isinstance(paid_amount, Unset) else _amount("paid_amount", paid_amount)
        if isinstance(paid, Decimal) and paid >= total:
            raise ValueError(f"paid_amount must be below amount ({total}), got {paid}")
        body = request_body({
            "customer": check_id("customer", customer), "type": type, "name": name,
            "currency": currency, "amount": total, "desc": desc, "dueAt": due_at,
            "paidAmount": paid,
        })  # fmt: skip
        return await self._post("bookkeeping/entries", body=body, into=CreatedEntry)

    async def update_entry(
        self,
        entry_id: str,
        *,
        type: EntryType | str,
        name: str,
        currency: Currency | str,
        amount: Decimal | int | Unset = UNSET,
        desc: str | Unset | None = UNSET,
        due_at: datetime | Unset | None = UNSET,
    ) -> Entry:
        """Change an entry; `type`, `name` and `currency` are always sent, as the API requires.

        The others are sent only when given; `None` clears `desc` or `due_at`.
        """
        if not isinstance(amount, Unset):
            amount = _amount("amount", amount)
        body = request_body({"type": type, "name": name, "currency": currency,
                             "amount": amount, "desc": desc, "dueAt": due_at})  # fmt: skip
        return await self._put(path("bookkeeping/entries/{entry_id}", entry_id=entry_id),
                               body=body, into=Entry, unwrap="entry")  # fmt: skip

    async def delete_entry(self, entry_id: str) -> None:
        """Delete an entry, and with it its payments and activities."""
        await self._delete(path("bookkeeping/entries/{entry_id}", entry_id=entry_id))

    async def add_payment(
        self, entry_id: str, *, amount: Decimal | int, note: str | Unset = UNSET
    ) -> RecordedPayment:
        """Record a payment of `amount` (above zero) on an entry (`POST /bookkeeping/payment/…`)."""
        body = request_body({"amount": _amount("amount", amount), "note": note})
        return await self._post(path("bookkeeping/payment/{entry_id}", entry_id=entry_id),
                                body=body, into=RecordedPayment)  # fmt: skip

    async def delete_payment(self, payment_id: str) -> BookkeepingActivity:
        """Delete a payment (`DELETE /bookkeeping/payments/…`); return its activity."""
        return await self._send(
            "DELETE", path("bookkeeping/payments/{payment_id}", payment_id=payment_id),
            into=BookkeepingActivity, unwrap="activity",
        )  # fmt: skip
