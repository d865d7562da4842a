"""Contract tests of the emulator's Bookkeeping area (``/bookkeeping``), with raw httpx."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cubicl_async.testing import Emulator, seed_demo
from cubicl_async.testing.bookkeeping import CURRENCIES, AmountError

from .conftest import DAY, NOW, Connect, FakeNow, error, ok

ORG = "0" * 24
ENTRY_KEYS = [
    "_id", "org", "customer", "type", "amount", "currency", "name", "desc",
    "paidAmount", "isPaid", "dueAt", "createdBy", "createdAt",
]  # fmt: skip
PAYMENT_KEYS = ["_id", "org", "customer", "amount", "entry", "note", "createdBy", "createdAt"]


@dataclass(frozen=True)
class Org:
    """The ids most tests use."""

    #: Organization admin (bookkeeping rights).
    admin: str
    #: Account manager (bookkeeping rights).
    manager: str
    #: Plain member: no rights.
    member: str
    #: Two clients.
    globex: str
    initech: str


@pytest.fixture
def org(emu: Emulator) -> Org:
    admin = emu.add_user("Ada", "Admin", org_admin=True)
    manager = emu.add_user("Max", "Manager", account_manager=True)
    member = emu.add_user("Mia", "Member")
    return Org(admin, manager, member, emu.customers.add("Globex"), emu.customers.add("Initech"))


@pytest.fixture
def books(connect: Connect, org: Org) -> httpx.AsyncClient:
    """Return a raw client of the account manager."""
    return connect(user=org.manager)


def coded(response: httpx.Response, status: int, code: int) -> str:
    """Check an error answer with this status and application code; return its message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert (set(body), body["code"]) == ({"message", "code"}, code)
    message: str = body["message"]
    return message


def entry_body(org: Org, **fields: Any) -> dict[str, Any]:
    """Return a valid create body: a receivable of 100 USD from Globex, changed by ``fields``."""
    body = {"customer": org.globex, "type": "receivable", "name": "Invoice 1", "currency": "USD"}
    return {**body, "amount": 100, **fields}


async def create(client: httpx.AsyncClient, org: Org, **fields: Any) -> Any:
    """Create an entry through ``POST /bookkeeping/entries``; return the answer."""
    return ok(await client.post("bookkeeping/entries", json=entry_body(org, **fields)))


async def pay(client: httpx.AsyncClient, entry: str, amount: Any, **fields: Any) -> Any:
    """Record a payment through ``POST /bookkeeping/payment/{entry}``; return the answer."""
    body = {"amount": amount, **fields}
    return ok(await client.post(f"bookkeeping/payment/{entry}", json=body))


def update_body(**fields: Any) -> dict[str, Any]:
    """Return a valid update body (type, name, currency), changed by ``fields``."""
    return {"type": "receivable", "name": "Invoice 1", "currency": "USD", **fields}


# Rights


def every_endpoint(emu: Emulator, org: Org) -> list[tuple[str, str, Any]]:
    """Return one valid request of each bookkeeping endpoint, in an order that works."""
    entry = emu.bookkeeping.add_entry(
        org.globex, "receivable", "E", "USD", 10, created_by=org.admin
    )
    payment = emu.bookkeeping.add_payment(entry, 1, created_by=org.admin)
    return [
        ("GET", "bookkeeping/page", None),
        ("GET", f"bookkeeping/activities?entry={entry}", None),
        ("GET", f"bookkeeping/entries/{entry}", None),
        ("POST", "bookkeeping/entries", entry_body(org)),
        ("PUT", f"bookkeeping/entries/{entry}", update_body()),
        ("POST", f"bookkeeping/payment/{entry}", {"amount": 1}),
        ("DELETE", f"bookkeeping/payments/{payment}", None),
        ("DELETE", f"bookkeeping/entries/{entry}", None),
    ]


async def test_a_plain_member_gets_403_code_4_everywhere(
    connect: Connect, emu: Emulator, org: Org
) -> None:
    """Without bookkeeping rights every endpoint answers 403 with code 4."""
    member = connect(user=org.member)
    for method, url, body in every_endpoint(emu, org):
        coded(await member.request(method, url, json=body), 403, 4)


@pytest.mark.parametrize("who", ["admin", "manager"])
async def test_admins_and_account_managers_may_use_every_endpoint(
    connect: Connect, emu: Emulator, org: Org, who: str
) -> None:
    """Organization admins and account managers get every endpoint's success."""
    client = connect(user=getattr(org, who))
    statuses = [
        (await client.request(method, url, json=body)).status_code
        for method, url, body in every_endpoint(emu, org)
    ]
    assert statuses == [200, 200, 200, 200, 200, 200, 200, 204]


async def test_account_manager_rights_can_be_given_and_taken(
    connect: Connect, emu: Emulator, org: Org
) -> None:
    """``set_account_manager`` gives and takes the rights; a removed manager gets 401."""
    member = connect(user=org.member)
    emu.users.set_account_manager(org.member)
    assert emu.users.keeps_books(org.member)
    ok(await member.get("bookkeeping/page"))
    emu.users.set_account_manager(org.member, False)
    coded(await member.get("bookkeeping/page"), 403, 4)
    emu.remove_user(org.manager)
    assert not emu.users.keeps_books(org.manager)
    assert (await connect(user=org.manager).get("bookkeeping/page")).status_code == 401


async def test_the_shape_is_checked_before_the_rights(connect: Connect, org: Org) -> None:
    """A bad body gets its plain 400 even from a caller without rights."""
    member = connect(user=org.member)
    error(await member.post("bookkeeping/entries", json={"type": "receivable"}), 400)
    error(await member.get("bookkeeping/activities"), 400)


# Create


async def test_create_answers_the_entry_and_its_activity(
    books: httpx.AsyncClient, emu: Emulator, org: Org
) -> None:
    """The entry (desc and dueAt null, nothing paid) and its ``receivable-created`` activity."""
    created = await create(books, org)
    assert list(created) == ["entry", "entryActivity"]
    entry, activity = created["entry"], created["entryActivity"]
    assert list(entry) == ENTRY_KEYS
    assert entry == {
        "_id": entry["_id"],
        "org": ORG,
        "customer": org.globex,
        "type": "receivable",
        "amount": 100,
        "currency": "USD",
        "name": "Invoice 1",
        "desc": None,
        "paidAmount": 0,
        "isPaid": False,
        "dueAt": None,
        "createdBy": org.manager,
        "createdAt": NOW,
    }
    assert activity == {
        "_id": activity["_id"],
        "org": ORG,
        "customer": org.globex,
        "entry": entry["_id"],
        "type": "receivable-created",
        "data": {"entryName": "Invoice 1", "amount": 100, "currency": "USD"},
        "createdBy": org.manager,
        "createdAt": NOW,
    }
    assert ok(await books.get(f"bookkeeping/entries/{entry['_id']}")) == entry
    assert emu.bookkeeping.entry(entry["_id"]) == entry


async def test_create_with_paid_amount_records_a_payment(
    books: httpx.AsyncClient, org: Org
) -> None:
    """``paidAmount`` creates a payment and its activity with the entry, which shows it paid."""
    created = await create(
        books, org, type="payable", desc="Parts", dueAt=NOW + 1.5, amount=100.5, paidAmount=0.5
    )
    assert list(created) == ["entry", "entryActivity", "payment", "paymentActivity"]
    entry, payment = created["entry"], created["payment"]
    assert (entry["paidAmount"], entry["isPaid"], entry["desc"]) == (0.5, False, "Parts")
    assert list(payment) == PAYMENT_KEYS
    assert payment == {
        "_id": payment["_id"],
        "org": ORG,
        "customer": org.globex,
        "amount": 0.5,
        "entry": entry["_id"],
        "note": None,
        "createdBy": org.manager,
        "createdAt": NOW,
    }
    data = {"entryName": "Invoice 1", "entryDueAt": NOW + 1.5, "currency": "USD"}
    assert created["entryActivity"]["type"] == "payable-created"
    assert created["entryActivity"]["data"] == {**data, "amount": 100.5}
    assert created["paymentActivity"] == {
        "_id": created["paymentActivity"]["_id"],
        "org": ORG,
        "customer": org.globex,
        "entry": entry["_id"],
        "payment": payment["_id"],
        "type": "payment-sent",
        "data": {**data, "amount": 0.5},
        "createdBy": org.manager,
        "createdAt": NOW,
    }


async def test_create_nulls_count_as_not_sent(books: httpx.AsyncClient, org: Org) -> None:
    """A null ``desc``, ``dueAt`` or ``paidAmount`` is as if it were not sent."""
    created = await create(books, org, desc=None, dueAt=None, paidAmount=None)
    assert list(created) == ["entry", "entryActivity"]
    assert (created["entry"]["desc"], created["entry"]["dueAt"]) == (None, None)


@pytest.mark.parametrize("currency", CURRENCIES)
async def test_every_documented_currency_is_accepted(
    books: httpx.AsyncClient, org: Org, currency: str
) -> None:
    """The 34 codes of §9.4, PLN included, are accepted on create and update."""
    entry = (await create(books, org, currency=currency))["entry"]
    updated = await books.put(
        f"bookkeeping/entries/{entry['_id']}", json=update_body(currency=currency)
    )
    assert (entry["currency"], ok(updated)["currency"]) == (currency, currency)


@pytest.mark.parametrize("currency", ["XXX", "usd", "", "EURO"])
async def test_an_unknown_currency_gets_400_code_1201(
    books: httpx.AsyncClient, org: Org, currency: str
) -> None:
    """A currency outside the 34 codes gets 400 code 1201, on create and update."""
    coded(
        await books.post("bookkeeping/entries", json=entry_body(org, currency=currency)), 400, 1201
    )
    entry = (await create(books, org))["entry"]["_id"]
    put = await books.put(f"bookkeeping/entries/{entry}", json=update_body(currency=currency))
    coded(put, 400, 1201)


async def test_an_unknown_customer_gets_404_code_303(books: httpx.AsyncClient, org: Org) -> None:
    """Creating an entry for an unknown client gets 404 code 303."""
    response = await books.post("bookkeeping/entries", json=entry_body(org, customer="nope"))
    assert coded(response, 404, 303) == "Client 'nope' not found"


@pytest.mark.parametrize(
    "fields",
    [
        {"amount": 0},
        {"amount": -5},
        {"paidAmount": 0},
        {"paidAmount": -1},
        {"paidAmount": 100},
        {"paidAmount": 100.01},
    ],
)
async def test_amounts_out_of_range_get_422_code_1504(
    books: httpx.AsyncClient, org: Org, fields: dict[str, Any]
) -> None:
    """``amount`` must be above 0, ``paidAmount`` above 0 and below ``amount``."""
    coded(await books.post("bookkeeping/entries", json=entry_body(org, **fields)), 422, 1504)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"type": "asset"}, "type must be 'receivable' or 'payable'"),
        ({"type": None}, "type must be 'receivable' or 'payable'"),
        ({"name": ""}, "name must be a non-empty string"),
        ({"customer": None}, "customer must be a non-empty string"),
        ({"amount": None}, "amount must be a number"),
        ({"amount": "10"}, "amount must be a number"),
        ({"currency": None}, "currency must be a currency code (a string)"),
    ],
)
async def test_missing_or_wrong_fields_get_a_plain_400(
    books: httpx.AsyncClient, org: Org, fields: dict[str, Any], message: str
) -> None:
    """A missing required field, a wrong type or a bad ``type`` gets 400 without a code."""
    assert (
        error(await books.post("bookkeeping/entries", json=entry_body(org, **fields)), 400)
        == message
    )


# Entry lookups


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "bookkeeping/entries/nope", None),
        ("PUT", "bookkeeping/entries/nope", update_body()),
        ("DELETE", "bookkeeping/entries/nope", None),
        ("POST", "bookkeeping/payment/nope", {"amount": 1}),
        ("GET", "bookkeeping/activities?entry=nope", None),
        ("GET", "bookkeeping/activities?entry=", None),
    ],
)
async def test_an_unknown_entry_gets_404_code_1501(
    books: httpx.AsyncClient, org: Org, method: str, url: str, body: Any
) -> None:
    """Every entry lookup answers an unknown entry with 404 code 1501."""
    coded(await books.request(method, url, json=body), 404, 1501)


async def test_activities_need_the_entry_parameter(books: httpx.AsyncClient, org: Org) -> None:
    """``GET /bookkeeping/activities`` without ``entry`` gets a plain 400."""
    assert error(await books.get("bookkeeping/activities"), 400) == "entry is required"


async def test_activities_of_an_entry_oldest_first(
    books: httpx.AsyncClient, emu: Emulator, org: Org
) -> None:
    """An entry's activities only, oldest first: created, payments, a deletion."""
    entry = (await create(books, org, paidAmount=10))["entry"]["_id"]
    await create(books, org, name="Other")
    second = await pay(books, entry, 5)
    ok(await books.delete(f"bookkeeping/payments/{second['payment']['_id']}"))
    activities = ok(await books.get("bookkeeping/activities", params={"entry": entry}))
    assert [a["type"] for a in activities] == [
        "receivable-created",
        "payment-received",
        "payment-received",
        "payment-deleted",
    ]
    assert {a["entry"] for a in activities} == {entry}
    assert activities == emu.bookkeeping.activities(entry)


# Update


async def test_update_is_partial_and_null_clears(books: httpx.AsyncClient, org: Org) -> None:
    """Fields not sent stay; ``desc`` and ``dueAt`` may be set and cleared; type may change."""
    entry = (await create(books, org, desc="D", dueAt=NOW, paidAmount=40))["entry"]
    path = f"bookkeeping/entries/{entry['_id']}"
    same = ok(await books.put(path, json=update_body()))
    assert same == entry
    changes = {"type": "payable", "name": "N", "currency": "EUR", "amount": 50}
    changed = ok(await books.put(path, json={**changes, "desc": None, "dueAt": None}))
    assert changed == {
        **entry,
        "type": "payable",
        "name": "N",
        "currency": "EUR",
        "desc": None,
        "dueAt": None,
        "amount": 50,
    }
    paid = ok(await books.put(path, json=update_body(amount=40, desc="x", dueAt=NOW + 9)))
    assert (paid["amount"], paid["isPaid"], paid["desc"], paid["dueAt"]) == (40, True, "x", NOW + 9)
    activities = ok(await books.get("bookkeeping/activities", params={"entry": entry["_id"]}))
    assert len(activities) == 2


@pytest.mark.parametrize("missing", ["type", "name", "currency"])
async def test_update_needs_type_name_and_currency(
    books: httpx.AsyncClient, org: Org, missing: str
) -> None:
    """Each of type, name and currency is required on update (a plain 400)."""
    entry = (await create(books, org))["entry"]["_id"]
    body = update_body()
    del body[missing]
    error(await books.put(f"bookkeeping/entries/{entry}", json=body), 400)
    error(await books.put(f"bookkeeping/entries/{entry}", json={**body, missing: None}), 400)


async def test_update_cannot_move_an_entry(books: httpx.AsyncClient, org: Org) -> None:
    """``customer`` in an update gets 400, even the same client; ``paidAmount`` is ignored."""
    entry = (await create(books, org))["entry"]
    path = f"bookkeeping/entries/{entry['_id']}"
    for customer in (org.initech, org.globex):
        message = error(await books.put(path, json=update_body(customer=customer)), 400)
        assert "entries cannot move between customers" in message
    assert ok(await books.put(path, json=update_body(paidAmount=50))) == entry


@pytest.mark.parametrize("amount", [0, -1, 29.99])
async def test_update_amount_out_of_range_gets_1504(
    books: httpx.AsyncClient, org: Org, amount: float
) -> None:
    """An amount of 0 or less, or below what is paid, gets 422 code 1504."""
    entry = (await create(books, org, paidAmount=30))["entry"]["_id"]
    response = await books.put(f"bookkeeping/entries/{entry}", json=update_body(amount=amount))
    coded(response, 422, 1504)


# Delete


async def test_delete_entry_deletes_its_payments_and_activities(
    books: httpx.AsyncClient, org: Org
) -> None:
    """DELETE answers 204; the entry, its payments and activities are gone, others stay."""
    created = await create(books, org, paidAmount=10)
    entry = created["entry"]["_id"]
    other = (await create(books, org, name="Other"))["entry"]["_id"]
    response = await books.delete(f"bookkeeping/entries/{entry}")
    assert (response.status_code, response.content) == (204, b"")
    coded(await books.get(f"bookkeeping/entries/{entry}"), 404, 1501)
    coded(await books.get("bookkeeping/activities", params={"entry": entry}), 404, 1501)
    error(await books.delete(f"bookkeeping/payments/{created['payment']['_id']}"), 404)
    page = ok(await books.get("bookkeeping/page"))
    assert [e["_id"] for e in page["entries"]] == [other]
    assert {a["entry"] for a in page["activities"]} == {other}


# Payments


async def test_a_payment_grows_the_paid_amount(books: httpx.AsyncClient, org: Org) -> None:
    """``POST /bookkeeping/payment/{entry}`` answers the payment and its activity."""
    entry = (await create(books, org, dueAt=NOW))["entry"]["_id"]
    result = await pay(books, entry, 60, note="First half")
    assert list(result) == ["payment", "activity"]
    payment, activity = result["payment"], result["activity"]
    assert (payment["amount"], payment["note"], payment["entry"]) == (60, "First half", entry)
    assert (activity["type"], activity["payment"]) == ("payment-received", payment["_id"])
    assert activity["data"] == {
        "entryName": "Invoice 1",
        "entryDueAt": NOW,
        "amount": 60,
        "currency": "USD",
    }
    assert (await pay(books, entry, 40, note=None))["payment"]["note"] is None
    got = ok(await books.get(f"bookkeeping/entries/{entry}"))
    assert (got["paidAmount"], got["isPaid"]) == (100, True)


@pytest.mark.parametrize(("paid", "amount"), [(None, 100.01), (60, 41), (None, 0), (None, -1)])
async def test_a_payment_out_of_range_gets_1504(
    books: httpx.AsyncClient, org: Org, paid: int | None, amount: float
) -> None:
    """A payment above what is outstanding, or of 0 or less, gets 422 code 1504."""
    entry = (await create(books, org, paidAmount=paid))["entry"]["_id"]
    coded(await books.post(f"bookkeeping/payment/{entry}", json={"amount": amount}), 422, 1504)


async def test_a_paid_entry_takes_no_payment(books: httpx.AsyncClient, org: Org) -> None:
    """Once paid, any further payment gets 422 code 1504."""
    entry = (await create(books, org, paidAmount=99))["entry"]["_id"]
    await pay(books, entry, 1)
    coded(await books.post(f"bookkeeping/payment/{entry}", json={"amount": 0.01}), 422, 1504)


@pytest.mark.parametrize("body", [{}, {"amount": None}, {"amount": "1"}, {"amount": 1, "note": 2}])
async def test_a_bad_payment_body_gets_a_plain_400(
    books: httpx.AsyncClient, org: Org, body: dict[str, Any]
) -> None:
    """``amount`` is a required number and ``note`` a string."""
    entry = (await create(books, org))["entry"]["_id"]
    error(await books.post(f"bookkeeping/payment/{entry}", json=body), 400)


async def test_deleting_a_payment_answers_its_activity(books: httpx.AsyncClient, org: Org) -> None:
    """DELETE answers 200 with the bare ``payment-deleted`` activity; paidAmount shrinks."""
    entry = (await create(books, org, type="payable"))["entry"]["_id"]
    first, second = await pay(books, entry, 70), await pay(books, entry, 30)
    payment = second["payment"]["_id"]
    activity = ok(await books.delete(f"bookkeeping/payments/{payment}"))
    assert activity == {
        "_id": activity["_id"],
        "org": ORG,
        "customer": org.globex,
        "entry": entry,
        "payment": payment,
        "type": "payment-deleted",
        "data": {"entryName": "Invoice 1", "amount": 30, "currency": "USD"},
        "createdBy": org.manager,
        "createdAt": NOW,
    }
    assert first["activity"]["type"] == "payment-sent"
    got = ok(await books.get(f"bookkeeping/entries/{entry}"))
    assert (got["paidAmount"], got["isPaid"]) == (70, False)
    response = await books.delete(f"bookkeeping/payments/{payment}")
    assert error(response, 404) == f"Payment {payment!r} not found"


# The page and its totals


async def test_an_empty_page(books: httpx.AsyncClient) -> None:
    """Without entries the page has empty lists and zero totals in USD."""
    zero = {"total": 0, "outstanding": 0, "overdue": 0, "currency": "USD"}
    assert ok(await books.get("bookkeeping/page")) == {
        "entries": [],
        "activities": [],
        "payables": zero,
        "receivables": zero,
    }


async def test_totals_add_up_one_currency(
    books: httpx.AsyncClient, emu: Emulator, org: Org, clock: FakeNow
) -> None:
    """Totals per type in the organization's currency; overdue: due before now, not paid."""
    add = emu.bookkeeping.add_entry
    by = {"created_by": org.admin}
    ids = [
        add(org.globex, "receivable", "Late", "USD", "100.10", due_at=NOW - 1, paid="0.10", **by),
        add(org.globex, "receivable", "Due now", "USD", 50, due_at=NOW, **by),
        add(org.globex, "receivable", "Paid late", "USD", 20, due_at=NOW - DAY, paid=10, **by),
        add(org.initech, "receivable", "In euros", "EUR", 999, due_at=NOW - 1, **by),
        add(org.initech, "payable", "Supplies", "USD", "0.30", due_at=NOW - 1, paid="0.10", **by),
        add(org.initech, "payable", "No date", "USD", 5, **by),
    ]
    emu.bookkeeping.add_payment(ids[2], 10, created_by=org.admin)
    page = ok(await books.get("bookkeeping/page"))
    assert [e["_id"] for e in page["entries"]] == ids
    assert page["receivables"] == {
        "total": 170.1,
        "outstanding": 150,
        "overdue": 100,
        "currency": "USD",
    }
    assert page["payables"] == {"total": 5.3, "outstanding": 5.2, "overdue": 0.2, "currency": "USD"}
    clock.t = NOW + 1
    page = ok(await books.get("bookkeeping/page"))
    assert page["receivables"]["overdue"] == 150
    emu.bookkeeping.currency = "EUR"
    page = ok(await books.get("bookkeeping/page"))
    assert page["receivables"] == {
        "total": 999,
        "outstanding": 999,
        "overdue": 999,
        "currency": "EUR",
    }
    assert page["payables"] == {"total": 0, "outstanding": 0, "overdue": 0, "currency": "EUR"}


async def test_the_page_lists_every_activity_oldest_first(
    books: httpx.AsyncClient, org: Org
) -> None:
    """Activities of all entries, in the order they happened."""
    first = (await create(books, org))["entry"]["_id"]
    second = (await create(books, org, name="Two", paidAmount=1))["entry"]["_id"]
    await pay(books, first, 1)
    page = ok(await books.get("bookkeeping/page"))
    assert [(a["entry"], a["type"]) for a in page["activities"]] == [
        (first, "receivable-created"),
        (second, "receivable-created"),
        (second, "payment-received"),
        (first, "payment-received"),
    ]


def test_the_organization_currency_is_a_setting() -> None:
    """``Emulator(bookkeeping_currency=...)`` sets it; an unknown code raises ValueError."""
    assert Emulator(bookkeeping_currency="PLN").bookkeeping.currency == "PLN"
    with pytest.raises(ValueError, match="unknown currency"):
        Emulator(bookkeeping_currency="XXX")


# Both response forms


async def test_wrapped_answers(books: httpx.AsyncClient, emu: Emulator, org: Org) -> None:
    """With ``wrapped`` the entry, activities and payment-deletion answers are wrapped."""
    created = await create(books, org, paidAmount=1)
    entry = created["entry"]
    path = f"bookkeeping/entries/{entry['_id']}"
    emu.bookkeeping.wrapped = True
    assert ok(await books.get(path)) == {"entry": entry}
    assert ok(await books.put(path, json=update_body())) == {"entry": entry}
    activities = ok(await books.get("bookkeeping/activities", params={"entry": entry["_id"]}))
    assert activities == {"activities": [created["entryActivity"], created["paymentActivity"]]}
    payment = await pay(books, entry["_id"], 2)
    assert list(payment) == ["payment", "activity"]
    deleted = ok(await books.delete(f"bookkeeping/payments/{payment['payment']['_id']}"))
    assert (list(deleted), deleted["activity"]["type"]) == (["activity"], "payment-deleted")
    assert set(ok(await books.get("bookkeeping/page"))) == {
        "entries",
        "activities",
        "payables",
        "receivables",
    }
    assert list(await create(books, org)) == ["entry", "entryActivity"]
    emu.bookkeeping.wrapped = False
    assert ok(await books.get(path)) == entry


# Exact money


async def test_ten_payments_of_a_tenth_pay_one(books: httpx.AsyncClient, org: Org) -> None:
    """0.1 ten times is exactly 1: the entry is paid, its paidAmount the JSON integer 1."""
    entry = (await create(books, org, amount=1))["entry"]["_id"]
    for _ in range(10):
        await pay(books, entry, 0.1)
    response = await books.get(f"bookkeeping/entries/{entry}")
    assert '"paidAmount":1,"isPaid":true' in response.text
    coded(await books.post(f"bookkeeping/payment/{entry}", json={"amount": 1e-9}), 422, 1504)


async def test_sums_are_written_as_their_decimal(books: httpx.AsyncClient, org: Org) -> None:
    """0.1 + 0.2 goes out as 0.3, not 0.30000000000000004."""
    entry = (await create(books, org, amount=0.3, paidAmount=0.1))["entry"]["_id"]
    paid = (await pay(books, entry, 0.2))["activity"]
    response = await books.get(f"bookkeeping/entries/{entry}")
    assert '"paidAmount":0.3,"isPaid":true' in response.text
    assert paid["data"]["amount"] == 0.2


cents = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000"), places=2)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(amount=cents, payments=st.lists(cents, max_size=12), settle=st.booleans())
def test_paid_amount_is_the_exact_sum_of_the_payments(
    amount: Decimal, payments: list[Decimal], settle: bool
) -> None:
    """Random payments: paidAmount is their exact sum, isPaid whether it equals the amount."""
    emu = Emulator()
    admin = emu.add_user("Ada", "Admin", org_admin=True)
    customer = emu.customers.add("Globex")

    async def run() -> tuple[Any, Decimal]:
        async with httpx.AsyncClient(
            transport=emu.transport(),
            base_url=emu.base_url_in_process,
            headers={"Authorization": f"Bearer {emu.token(admin)}"},
        ) as http:
            body = {"customer": customer, "type": "payable", "name": "E", "currency": "EUR"}
            created = await http.post("bookkeeping/entries", json={**body, "amount": float(amount)})
            entry = created.json()["entry"]["_id"]
            path = f"bookkeeping/payment/{entry}"
            paid = Decimal(0)
            for payment in payments:
                fits = paid + payment <= amount
                answer = await http.post(path, json={"amount": float(payment)})
                assert answer.status_code == (200 if fits else 422), answer.text
                paid += payment if fits else 0
            if settle and paid < amount:
                answer = await http.post(path, json={"amount": float(amount - paid)})
                assert answer.status_code == 200, answer.text
                paid = amount
            got = await http.get(f"bookkeeping/entries/{entry}")
            return json.loads(got.text, parse_float=Decimal), paid

    entry, paid = asyncio.run(run())
    assert Decimal(entry["paidAmount"]) == paid
    assert entry["isPaid"] is (paid == amount)
    assert Decimal(entry["amount"]) == amount


# Helpers and demo


def test_seeding_helpers_record_what_the_endpoints_would(emu: Emulator, org: Org) -> None:
    """``add_entry`` and ``add_payment`` record the same records and activities."""
    entry = emu.bookkeeping.add_entry(
        org.globex, "payable", "E", "EUR", Decimal("12.5"), created_by=org.admin, paid=2.5
    )
    payment = emu.bookkeeping.add_payment(entry, "10", created_by=org.manager, note="rest")
    got = emu.bookkeeping.entry(entry)
    assert (got["amount"], got["paidAmount"], got["isPaid"]) == (12.5, 12.5, True)
    activities = emu.bookkeeping.activities(entry)
    assert [a["type"] for a in activities] == ["payable-created", "payment-sent", "payment-sent"]
    assert (activities[2]["payment"], activities[2]["createdBy"]) == (payment, org.manager)
    activity = emu.bookkeeping.delete_payment(payment, deleted_by=org.admin)
    assert (activity["type"], emu.bookkeeping.entry(entry)["paidAmount"]) == (
        "payment-deleted",
        2.5,
    )
    emu.bookkeeping.delete_entry(entry)
    assert not emu.bookkeeping.has_entry(entry)


@pytest.mark.parametrize(
    ("changes", "error_type", "match"),
    [
        ({"customer": "nope"}, ValueError, "unknown client"),
        ({"type": "asset"}, ValueError, "type must be"),
        ({"currency": "XXX"}, ValueError, "unknown currency"),
        ({"created_by": "nope"}, ValueError, "unknown user"),
        ({"amount": 0}, AmountError, "above 0"),
        ({"paid": 1}, AmountError, "below amount"),
        ({"amount": "x"}, ValueError, "not an amount"),
        ({"amount": "NaN"}, ValueError, "not a finite amount"),
        ({"amount": True}, TypeError, "an amount is"),
    ],
)
def test_add_entry_raises(
    emu: Emulator, org: Org, changes: dict[str, Any], error_type: type[Exception], match: str
) -> None:
    """``add_entry`` refuses unknown ids and bad values (AmountError: out of range)."""
    base = {"customer": org.globex, "type": "payable", "name": "E", "currency": "USD"}
    with pytest.raises(error_type, match=match):
        emu.bookkeeping.add_entry(**{**base, "amount": 1, "created_by": org.admin, **changes})


def test_the_other_helpers_raise_for_unknown_ids(emu: Emulator, org: Org) -> None:
    """Payments, lookups and deletions of unknown ids raise ValueError."""
    books = emu.bookkeeping
    entry = books.add_entry(org.globex, "payable", "E", "USD", 1, created_by=org.admin)
    for call, match in [
        (lambda: books.add_payment("nope", 1, created_by=org.admin), "unknown entry"),
        (lambda: books.add_payment(entry, 2, created_by=org.admin), "outstanding"),
        (lambda: books.delete_payment("nope", deleted_by=org.admin), "unknown payment"),
        (lambda: books.entry("nope"), "unknown entry"),
        (lambda: books.activities("nope"), "unknown entry"),
        (lambda: books.delete_entry("nope"), "unknown entry"),
    ]:
        with pytest.raises(ValueError, match=match):
            call()


async def test_demo_books(connect: Connect, emu: Emulator) -> None:
    """The demo's entries and totals are as documented; Grace keeps books, Alan may not."""
    demo = seed_demo(emu)
    assert list(demo.entries) == [
        "Website redesign",
        "Hosting 2024",
        "Consulting retainer",
        "Office supplies",
        "Lab equipment",
        "Security audit",
    ]
    page = ok(await connect(user=demo.member).get("bookkeeping/page"))
    assert ok(await connect(user=demo.admin).get("bookkeeping/page")) == page
    assert page["receivables"] == {
        "total": 13200.5,
        "outstanding": 9200.5,
        "overdue": 1200.5,
        "currency": "USD",
    }
    assert page["payables"] == {
        "total": 2849.99,
        "outstanding": 2000,
        "overdue": 2000,
        "currency": "USD",
    }
    entries = {e["name"]: e for e in page["entries"]}
    assert {e["currency"] for e in entries.values()} == {"USD", "EUR"}
    assert [name for name, e in entries.items() if e["isPaid"]] == [
        "Consulting retainer",
        "Office supplies",
    ]
    assert entries["Consulting retainer"]["createdBy"] == demo.member
    coded(await connect(user=demo.outsider).get("bookkeeping/page"), 403, 4)


def test_change_entry_sets_only_entry_fields(emu: Emulator, org: Org) -> None:
    """``change_entry`` changes the six writable fields and refuses any other key."""
    books = emu.bookkeeping
    entry = books.add_entry(org.globex, "payable", "E", "USD", 10, created_by=org.admin, paid=4)
    books.change_entry(entry, {"name": "F", "amount": Decimal(4), "dueAt": NOW})
    assert (books.entry(entry)["name"], books.entry(entry)["isPaid"]) == ("F", True)
    for fields in ({"paidAmount": 0}, {"customer": org.initech}):
        with pytest.raises(ValueError, match="can change"):
            books.change_entry(entry, fields)
    with pytest.raises(AmountError, match="at least what is paid"):
        books.change_entry(entry, {"amount": 3})
