"""Bookkeeping through the SDK against the emulator: exact money, codes, both answer forms."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cubicl_async import (
    AsyncCubicl,
    BadRequestError,
    BookkeepingActivityType,
    Currency,
    Entry,
    EntryType,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RetryPolicy,
)
from cubicl_async.testing import Demo, Emulator, seed_demo

from .conftest import ActAs, sent


async def new_entry(client: AsyncCubicl, demo: Demo, amount: Any = Decimal("100.00"),
                    **options: Any) -> Entry:  # fmt: skip
    """Create a receivable of `amount` USD for the demo client; return the entry."""
    created = await client.bookkeeping.create_entry(
        customer=demo.client, type=EntryType.RECEIVABLE, name="Invoice 7", currency="USD",
        amount=amount, **options,
    )  # fmt: skip
    return created.entry


async def test_an_entry_and_its_payments_through_their_life(
    client: AsyncCubicl, emu: Emulator, demo: Demo
) -> None:
    """Create with a first payment, pay the rest, delete a payment, delete the entry."""
    created = await client.bookkeeping.create_entry(
        customer=demo.client, type="receivable", name="Invoice 8", currency=Currency.EUR,
        amount=Decimal("1234.56"), paid_amount=Decimal("234.56"), desc="hosting",
    )  # fmt: skip
    assert sent(emu)["amount"] == 1234.56 and sent(emu)["paidAmount"] == 234.56  # noqa: PT018
    entry = created.entry
    assert entry.id and entry.amount == Decimal("1234.56")  # noqa: PT018
    assert (entry.paid_amount, entry.is_paid, entry.currency) == (
        Decimal("234.56"), False, Currency.EUR
    )  # fmt: skip
    assert created.entry_activity is not None
    assert created.entry_activity.type is BookkeepingActivityType.RECEIVABLE_CREATED
    assert created.payment is not None and created.payment_activity is not None  # noqa: PT018
    assert entry.id is not None
    rest = await client.bookkeeping.add_payment(entry.id, amount=1000, note="wire")
    assert rest.payment.amount == Decimal(1000)
    assert rest.activity is not None
    assert rest.activity.type is BookkeepingActivityType.PAYMENT_RECEIVED
    paid = await client.bookkeeping.entry(entry.id)
    assert (paid.paid_amount, paid.is_paid, paid.outstanding) == (
        Decimal("1234.56"), True, Decimal(0)
    )  # fmt: skip
    assert rest.payment.id is not None
    undone = await client.bookkeeping.delete_payment(rest.payment.id)
    assert undone.type is BookkeepingActivityType.PAYMENT_DELETED
    history = await client.bookkeeping.activities(entry.id)
    assert [a.type for a in history] == [
        BookkeepingActivityType.RECEIVABLE_CREATED, BookkeepingActivityType.PAYMENT_RECEIVED,
        BookkeepingActivityType.PAYMENT_RECEIVED, BookkeepingActivityType.PAYMENT_DELETED,
    ]  # fmt: skip
    assert history[0].data.entry_name == "Invoice 8"
    await client.bookkeeping.delete_entry(entry.id)
    with pytest.raises(NotFoundError) as caught:
        await client.bookkeeping.entry(entry.id)
    assert caught.value.code == 1501


async def test_update_sends_the_required_fields_and_only_the_others_given(
    local: AsyncCubicl, emu: Emulator, demo: Demo
) -> None:
    """type, name and currency always go; desc=None clears; amount when given."""
    entry = await new_entry(local, demo)
    assert entry.id is not None
    updated = await local.bookkeeping.update_entry(
        entry.id, type=EntryType.RECEIVABLE, name="Invoice 7b", currency="USD", desc=None,
        amount=Decimal("150"),
    )  # fmt: skip
    assert sent(emu) == {"type": "receivable", "name": "Invoice 7b", "currency": "USD",
                         "desc": None, "amount": 150}  # fmt: skip
    assert (updated.name, updated.amount, updated.desc) == ("Invoice 7b", Decimal(150), None)


async def test_the_page_holds_entries_activities_and_totals(local: AsyncCubicl) -> None:
    """The demo's bookkeeping page: entries, activities, USD totals as Decimals."""
    page = await local.bookkeeping.page()
    assert page.entries
    assert page.activities
    for totals in (page.payables, page.receivables):
        assert totals is not None
        assert totals.currency == Currency.USD
        assert totals.total >= totals.outstanding >= totals.overdue >= 0
        assert isinstance(totals.total, Decimal)
    usd = [e for e in page.entries if e.currency == "USD" and e.type == "receivable"]
    assert page.receivables is not None
    assert page.receivables.total == sum((e.amount or Decimal(0) for e in usd), Decimal(0))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"amount": 12.5}, TypeError, "amount must be a Decimal or an int"),
        ({"amount": Decimal(0)}, ValueError, "above zero"),
        ({"amount": -3}, ValueError, "above zero"),
        ({"amount": True}, TypeError, "amount must be"),
        ({"amount": Decimal("NaN")}, ValueError, "above zero"),
        ({"paid_amount": 0.5}, TypeError, "paid_amount must be a Decimal"),
        ({"paid_amount": Decimal(100)}, ValueError, "below amount"),
        ({"paid_amount": Decimal(0)}, ValueError, "above zero"),
        ({"customer": ".."}, ValueError, "customer"),
    ],
    ids=["float", "zero", "negative", "bool", "nan", "paid-float", "paid-all", "paid-zero",
         "dot-customer"],
)  # fmt: skip
async def test_bad_money_is_refused_before_sending(
    local: AsyncCubicl, emu: Emulator, demo: Demo, kwargs: dict[str, Any],
    error: type[Exception], message: str,
) -> None:  # fmt: skip
    """Floats are inexact, amounts positive, a first payment below the amount: checked here."""
    options = {"customer": demo.client, "amount": Decimal(100), **kwargs}
    with pytest.raises(error, match=message):
        await local.bookkeeping.create_entry(type="payable", name="n", currency="USD", **options)
    with pytest.raises((TypeError, ValueError)):
        await local.bookkeeping.add_payment("e1", amount=kwargs.get("amount", 0.1))
    assert emu.requests == []


@pytest.mark.parametrize(
    ("options", "error", "code"),
    [
        ({"customer": "ffffffffffffffffffffffff"}, NotFoundError, 303),
        ({"currency": "XYZ"}, BadRequestError, 1201),
    ],
    ids=["unknown-customer", "unknown-currency"],
)
async def test_creation_codes_arrive_as_their_classes(
    local: AsyncCubicl, demo: Demo, options: dict[str, Any], error: type[Exception], code: int
) -> None:
    """Codes 303 and 1201 from the server: the documented class, with `code` set."""
    arguments = {"customer": demo.client, "type": "receivable", "name": "n",
                 "currency": "USD", "amount": 10, **options}  # fmt: skip
    with pytest.raises(error) as caught:
        await local.bookkeeping.create_entry(**arguments)
    assert caught.value.code == code  # type: ignore[attr-defined]


async def test_a_payment_over_what_is_owed_is_code_1504(local: AsyncCubicl, demo: Demo) -> None:
    """The server checks what the SDK cannot know: the outstanding amount."""
    entry = await new_entry(local, demo, amount=10)
    assert entry.id is not None
    with pytest.raises(InvalidRequestError) as caught:
        await local.bookkeeping.add_payment(entry.id, amount=11)
    assert caught.value.code == 1504


async def test_bookkeeping_needs_rights_code_4(demo: Demo, act_as: ActAs, emu: Emulator) -> None:
    """A plain member (Alan) gets PermissionDeniedError with code 4; an account manager may."""
    alan = act_as(demo.outsider)
    with pytest.raises(PermissionDeniedError) as caught:
        await alan.bookkeeping.page()
    assert caught.value.code == 4
    manager = emu.add_user("Mia", "Money", account_manager=True)
    assert (await act_as(manager).bookkeeping.page()).entries


async def test_both_answer_forms_read_the_same(local: AsyncCubicl, emu: Emulator,
                                               demo: Demo) -> None:  # fmt: skip
    """Bare records or the Turkish pages' wrappers ({entry}, {activities}): the same records."""
    entry_id = next(iter(demo.entries.values()))
    bare = (await local.bookkeeping.entry(entry_id), await local.bookkeeping.activities(entry_id))
    emu.bookkeeping.wrapped = True
    wrapped = (await local.bookkeeping.entry(entry_id),
               await local.bookkeeping.activities(entry_id))  # fmt: skip
    assert wrapped == bare  # the emulator's contract tests show that it did wrap them


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cents=st.integers(100, 10**9),
    shares=st.lists(st.integers(1, 1000), min_size=1, max_size=8),
)
def test_payments_add_up_exactly(cents: int, shares: list[int]) -> None:
    """Random amounts split into random payments: paid_amount is their exact sum, is_paid exact."""
    amount = Decimal(cents) / 100
    weights = sum(shares)
    parts = [(amount * share / weights).quantize(Decimal("0.01")) for share in shares]
    parts = [p for p in parts if p > 0]
    parts[-1] += amount - sum(parts)  # the last payment settles the rest exactly
    if parts[-1] <= 0:
        return

    async def run() -> None:
        emu = Emulator()
        demo = seed_demo(emu)
        async with AsyncCubicl(emu.token(demo.admin), base_url=emu.base_url_in_process,
                               transport=emu.transport(), rate_limit=None,
                               retry=RetryPolicy(max_retries=0)) as client:  # fmt: skip
            entry = await new_entry(client, demo, amount=amount)
            assert entry.id is not None
            for part in parts:
                await client.bookkeeping.add_payment(entry.id, amount=part)
            final = await client.bookkeeping.entry(entry.id)
        assert final.paid_amount == sum(parts) == amount
        assert final.is_paid is True

    asyncio.run(run())


async def test_ten_payments_of_a_tenth_pay_one(local: AsyncCubicl, demo: Demo) -> None:
    """The classic float trap: 0.1 ten times is exactly 1 here."""
    entry = await new_entry(local, demo, amount=1)
    assert entry.id is not None
    for _ in range(10):
        await local.bookkeeping.add_payment(entry.id, amount=Decimal("0.1"))
    final = await local.bookkeeping.entry(entry.id)
    assert (final.paid_amount, final.is_paid) == (Decimal(1), True)
