"""The Bookkeeping area's records: entries, payments, activities, and the page's totals.

Amounts are stored as exact `Decimal` values and rendered by `_money.plain`. The helpers
raise ValueError for unknown ids and bad values, and `AmountError` (a ValueError) for an
amount out of range, which the endpoints answer as code 1504.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .._store import Store, known
from ..customers import Customers
from ..users import Users
from ._fields import ENTRY_FIELDS, ENTRY_TYPES
from ._money import CURRENCIES, Money, plain, plain_record, to_decimal

#: The activity recorded when an entry of each type is created, and when it gets a payment.
CREATED = {"receivable": "receivable-created", "payable": "payable-created"}
PAID = {"receivable": "payment-received", "payable": "payment-sent"}
#: An entry's keys in the order answers follow them.
ENTRY_KEYS = (
    "_id", "org", "customer", "type", "amount", "currency", "name", "desc",
    "paidAmount", "isPaid", "dueAt", "createdBy", "createdAt",
)  # fmt: skip


class AmountError(ValueError):
    """An amount out of range for its entry (the API's application code 1504)."""


class Bookkeeping:
    """The organization's books: entries of clients, their payments and activities.

    ``emu.bookkeeping``. The seeding helpers are `add_entry`, `add_payment`, `entry`,
    `activities`, `delete_entry` and `delete_payment`; `create_entry`, `change_entry`,
    `pay` and `page` are what the endpoints run. `currency` is the organization's
    currency, the one the page's totals add up; with `wrapped` set, the answers that the
    Turkish docs write as named properties come wrapped (see docs/emulator.md).
    """

    def __init__(
        self, store: Store, users: Users, customers: Customers, *, currency: str = "USD"
    ) -> None:
        self.store = store
        self.users = users
        self.customers = customers
        #: The organization's currency (one of the 34): the page's totals add up its entries.
        self.currency = _known_currency(currency)
        #: Whether entry, activities and payment-deletion answers come wrapped.
        self.wrapped = False
        self._entries: dict[str, dict[str, Any]] = {}
        self._payments: dict[str, dict[str, Any]] = {}
        self._activities: list[dict[str, Any]] = []
        #: Per entry id: its activities, oldest first (the same records).
        self._entry_activities: dict[str, list[dict[str, Any]]] = {}
        customers.on_delete(self.forget_customer)

    # Seeding helpers

    def add_entry(
        self,
        customer: str,
        type: str,
        name: str,
        currency: str,
        amount: Money,
        *,
        created_by: str,
        due_at: float | None = None,
        desc: str | None = None,
        paid: Money | None = None,
    ) -> str:
        """Add an entry as ``POST /bookkeeping/entries`` does and return its id.

        Its activity is recorded; ``paid`` (the ``paidAmount``) records a first payment
        and its activity too. Amounts are exact (a float counts as its shortest text).
        """
        fields: dict[str, Any] = {
            "customer": customer,
            "type": type,
            "name": name,
            "currency": currency,
            "amount": amount,
            "desc": desc,
            "dueAt": due_at,
            "paidAmount": paid,
        }
        entry_id: str = self.create_entry(fields, created_by=created_by)["entry"]["_id"]
        return entry_id

    def add_payment(
        self, entry: str, amount: Money, *, created_by: str, note: str | None = None
    ) -> str:
        """Record a payment on an entry as ``POST /bookkeeping/payment/{entry}`` does; its id."""
        result = self.pay(entry, amount, created_by=created_by, note=note)
        payment_id: str = result["payment"]["_id"]
        return payment_id

    def entry(self, entry_id: str) -> dict[str, Any]:
        """Return an entry as the API sends it (``isPaid`` derived)."""
        return _render(self._entry(entry_id))

    def activities(self, entry_id: str) -> list[dict[str, Any]]:
        """Return an entry's activities, oldest first."""
        self._entry(entry_id)
        return [plain_record(a) for a in self._entry_activities.get(entry_id, [])]

    def delete_entry(self, entry_id: str) -> None:
        """Delete an entry with its payments and activities."""
        self._entry(entry_id)
        del self._entries[entry_id]
        self._entry_activities.pop(entry_id, None)
        self._payments = {k: p for k, p in self._payments.items() if p["entry"] != entry_id}
        self._activities = [a for a in self._activities if a["entry"] != entry_id]

    def delete_payment(self, payment_id: str, *, deleted_by: str) -> dict[str, Any]:
        """Delete a payment, take it off its entry's ``paidAmount``; return the activity."""
        self.users.get(deleted_by)
        payment = known(self._payments, payment_id, "payment")
        del self._payments[payment_id]
        entry = self._entries[payment["entry"]]
        entry["paidAmount"] -= payment["amount"]
        return self._record(entry, "payment-deleted", payment["amount"], deleted_by, payment_id)

    # What the endpoints run

    def create_entry(self, fields: Mapping[str, Any], *, created_by: str) -> dict[str, Any]:
        """Add an entry; return ``{"entry", "entryActivity"[, "payment", "paymentActivity"]}``.

        ``fields`` are wire-named: ``customer``, ``type``, ``name``, ``currency``,
        ``amount`` and optionally ``desc``, ``dueAt``, ``paidAmount`` (a payment with it).
        """
        customer, kind, currency = fields["customer"], fields["type"], fields["currency"]
        self.customers.get(customer)
        self.users.get(created_by)
        _check(kind, currency)
        total = _positive("amount", to_decimal(fields["amount"]))
        paid = fields.get("paidAmount")
        first = None if paid is None else to_decimal(paid)
        if first is not None and not 0 < first < total:
            raise AmountError(f"paidAmount must be above 0 and below amount ({total}), not {first}")
        entry_id = self.store.new_id()
        entry: dict[str, Any] = {
            "_id": entry_id,
            "org": self.store.org_id,
            "customer": customer,
            "type": kind,
            "amount": total,
            "currency": currency,
            "name": fields["name"],
            "desc": fields.get("desc"),
            "paidAmount": Decimal(0),
            "dueAt": fields.get("dueAt"),
            "createdBy": created_by,
            "createdAt": self.store.timestamp(),
        }
        self._entries[entry_id] = entry
        activity = self._record(entry, CREATED[kind], total, created_by)
        result = {"entry": self.entry(entry_id), "entryActivity": activity}
        if first is not None:
            payment = self.pay(entry_id, first, created_by=created_by)
            result |= {"entry": self.entry(entry_id), "payment": payment["payment"]}
            result["paymentActivity"] = payment["activity"]
        return result

    def change_entry(self, entry_id: str, fields: Mapping[str, Any]) -> None:
        """Set wire-named fields of an entry (type, name, currency, amount, desc, dueAt).

        An ``amount`` must be above 0 and at least what is paid (else `AmountError`).
        """
        entry = self._entry(entry_id)
        if not set(fields) <= set(ENTRY_FIELDS):
            raise ValueError(f"only {', '.join(ENTRY_FIELDS)} can change")
        _check(fields.get("type", entry["type"]), fields.get("currency", entry["currency"]))
        if "amount" in fields:
            amount = _positive("amount", to_decimal(fields["amount"]))
            if amount < entry["paidAmount"]:
                paid = entry["paidAmount"]
                raise AmountError(f"amount must be at least what is paid ({paid}), not {amount}")
            fields = {**fields, "amount": amount}
        entry.update(fields)

    def pay(
        self, entry_id: str, amount: Money, *, created_by: str, note: str | None = None
    ) -> dict[str, Any]:
        """Record a payment of at most what is outstanding; return ``{"payment", "activity"}``."""
        entry = self._entry(entry_id)
        self.users.get(created_by)
        paid = _positive("amount", to_decimal(amount))
        outstanding = entry["amount"] - entry["paidAmount"]
        if paid > outstanding:
            raise AmountError(f"amount must be at most what is outstanding ({outstanding})")
        payment = {
            "_id": self.store.new_id(),
            "org": self.store.org_id,
            "customer": entry["customer"],
            "amount": paid,
            "entry": entry_id,
            "note": note,
            "createdBy": created_by,
            "createdAt": self.store.timestamp(),
        }
        self._payments[payment["_id"]] = payment
        entry["paidAmount"] += paid
        activity = self._record(entry, PAID[entry["type"]], paid, created_by, payment["_id"])
        return {"payment": plain_record(payment), "activity": activity}

    def page(self) -> dict[str, Any]:
        """Return the bookkeeping page: every entry and activity, and the totals."""
        return {
            "entries": [_render(entry) for entry in self._entries.values()],
            "activities": plain(self._activities),
            "payables": self._totals("payable"),
            "receivables": self._totals("receivable"),
        }

    def forget_customer(self, customer_id: str) -> None:
        """Delete the entries of a (deleted) client, with their payments and activities."""
        for entry_id in [e["_id"] for e in self._entries.values() if e["customer"] == customer_id]:
            self.delete_entry(entry_id)

    # Reading

    def has_entry(self, entry_id: str) -> bool:
        """Tell whether an entry with this id exists."""
        return entry_id in self._entries

    def has_payment(self, payment_id: str) -> bool:
        """Tell whether a payment with this id exists."""
        return payment_id in self._payments

    def _entry(self, entry_id: str) -> dict[str, Any]:
        return known(self._entries, entry_id, "entry")

    def _record(
        self, entry: Mapping[str, Any], kind: str, amount: Decimal, by: str, payment: str = ""
    ) -> dict[str, Any]:
        """Record an activity of an entry (with its payment's id if any); return it rendered."""
        data: dict[str, Any] = {"entryName": entry["name"]}
        if entry["dueAt"] is not None:
            data["entryDueAt"] = entry["dueAt"]
        data |= {"amount": amount, "currency": entry["currency"]}
        activity: dict[str, Any] = {
            "_id": self.store.new_id(),
            "org": self.store.org_id,
            "customer": entry["customer"],
            "entry": entry["_id"],
        }
        if payment:
            activity["payment"] = payment
        activity |= {"type": kind, "data": data, "createdBy": by}
        activity["createdAt"] = self.store.timestamp()
        self._activities.append(activity)
        self._entry_activities.setdefault(entry["_id"], []).append(activity)
        return plain_record(activity)

    def _totals(self, kind: str) -> dict[str, Any]:
        """Sum the entries of one type in the organization's currency (others left out)."""
        now = self.store.now()
        block = [
            e for e in self._entries.values() if (e["type"], e["currency"]) == (kind, self.currency)
        ]
        owed = [(e, e["amount"] - e["paidAmount"]) for e in block]
        late = [rest for e, rest in owed if rest and e["dueAt"] is not None and e["dueAt"] < now]
        return plain_record({
            "total": sum((e["amount"] for e in block), Decimal(0)),
            "outstanding": sum((rest for _, rest in owed), Decimal(0)),
            "overdue": sum(late, Decimal(0)),
            "currency": self.currency,
        })  # fmt: skip


def _check(type: str, currency: str) -> None:
    if type not in ENTRY_TYPES:
        raise ValueError(f"type must be one of {ENTRY_TYPES}, not {type!r}")
    _known_currency(currency)


def _known_currency(currency: str) -> str:
    if currency not in CURRENCIES:
        raise ValueError(f"unknown currency {currency!r}")
    return currency


def _positive(name: str, amount: Decimal) -> Decimal:
    if amount <= 0:
        raise AmountError(f"{name} must be above 0, not {amount}")
    return amount


def _render(entry: Mapping[str, Any]) -> dict[str, Any]:
    """Return an entry as the API sends it: `ENTRY_KEYS` order, ``isPaid`` derived."""
    full = {**entry, "isPaid": entry["paidAmount"] == entry["amount"]}
    return plain_record({key: full[key] for key in ENTRY_KEYS})
