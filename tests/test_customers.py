"""Customers through the SDK against the emulator: search, partial records, writes, deletes."""

from __future__ import annotations

from typing import Any

import pytest

from cubicl_async import (
    UNSET,
    AsyncCubicl,
    BadRequestError,
    Contact,
    Customer,
    InvalidRequestError,
    NotFoundError,
)
from cubicl_async.testing import Demo, Emulator

from .conftest import sent


async def test_create_get_update_delete(client: AsyncCubicl, emu: Emulator, demo: Demo) -> None:
    """The whole life of a customer, in wire form and back."""
    made = await client.customers.create(
        name="Initech", fullname="Initech LLC", email="info@initech.test",
        contacts=[Contact(name="Bill", position="VP", email="bill@initech.test")],
        custom_fields={"tier": "gold"}, portal_manager_ids=[demo.member],
    )  # fmt: skip
    assert sent(emu) == {
        "name": "Initech", "fullname": "Initech LLC", "email": "info@initech.test",
        "contacts": [{"name": "Bill", "position": "VP", "email": "bill@initech.test"}],
        "customFields": {"tier": "gold"}, "portalCustomerManagerIds": [demo.member],
    }  # fmt: skip
    assert made.partial is False
    assert made.contacts == (Contact(name="Bill", position="VP", email="bill@initech.test"),)
    assert made.portal_manager_ids == (demo.member,)
    assert made.created_at is not None
    assert await client.customers.get(made.id) == made
    changed = await client.customers.update(made.id, name="Initech", email=None, phone="555")
    assert sent(emu) == {"name": "Initech", "email": None, "phone": "555"}
    assert (changed.email, changed.phone, changed.fullname) == (None, "555", "Initech LLC")
    await client.customers.delete(made.id)
    with pytest.raises(NotFoundError):
        await client.customers.get(made.id)


async def test_update_always_sends_the_name_and_nothing_left_unset(
    local: AsyncCubicl, emu: Emulator, demo: Demo
) -> None:
    """`name` is required by the API on update: always sent; UNSET fields never are."""
    await local.customers.update(demo.client, name="Globex", fullname=UNSET)
    assert sent(emu) == {"name": "Globex"}


async def test_a_listed_customer_is_partial_unless_full(local: AsyncCubicl, emu: Emulator) -> None:
    """Without `full=True` only id and name come, and the record says so."""
    partial = await local.customers.list()
    assert partial
    assert all(c.partial and c.email is None for c in partial)
    assert all(isinstance(c, Customer) for c in partial)
    full = await local.customers.list(full=True)
    assert not any(c.partial for c in full)
    assert [c.id for c in full] == [c.id for c in partial]
    assert emu.requests[0].query["includeAllFields"] == "false"
    assert emu.requests[-1].query["includeAllFields"] == "true"
    assert emu.requests[0].query["limit"] == "100"  # the API's default page is 10


async def test_name_matches_a_word_prefix_and_email_the_contacts(
    local: AsyncCubicl, emu: Emulator
) -> None:
    """`name` is a word prefix, case-insensitive (not a substring); `email` sees contacts."""
    emu.customers.add("Stark Industries")
    emu.customers.add("Wayne Enterprises", contacts=[{"name": "Lucius", "email": "lf@wayne.test"}])
    assert [c.name for c in await local.customers.list(name="ind")] == ["Stark Industries"]
    assert await local.customers.list(name="dustries") == []
    found = await local.customers.list(email="LF@WAYNE", full=True)
    assert [c.name for c in found] == ["Wayne Enterprises"]


async def test_customers_page_through_skip_and_limit(local: AsyncCubicl, emu: Emulator) -> None:
    """25 more customers at page_size=10: every one once, N // 10 + 1 requests."""
    for i in range(25):
        emu.customers.add(f"Bulk {i:02}")
    emu.requests.clear()
    names = [c.name async for c in local.customers.list(name="bulk", page_size=10)]
    assert names == [f"Bulk {i:02}" for i in range(25)]
    assert len(emu.requests) == 3


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda c: c.customers.create(name=""), ValueError),
        (lambda c: c.customers.update("x", name="  "), ValueError),
        (lambda c: c.customers.get(".."), ValueError),
        (lambda c: c.customers.create(name="n", nickname="x"), TypeError),
        (lambda c: c.customers.list(page_size=201).to_list(), ValueError),
    ],
    ids=["empty-name", "blank-name", "dot-id", "unknown-field", "page-size-max"],
)
async def test_bad_arguments_are_refused_before_sending(
    local: AsyncCubicl, emu: Emulator, call: Any, error: type[Exception]
) -> None:
    """Each bad argument raises at once; nothing is sent."""
    with pytest.raises(error):
        await call(local)
    assert emu.requests == []


async def test_the_server_refuses_what_it_must(local: AsyncCubicl, demo: Demo) -> None:
    """An unknown portal manager is 422; an unknown customer 404."""
    with pytest.raises(InvalidRequestError):
        await local.customers.create(name="X", portal_manager_ids=["ffffffffffffffffffffffff"])
    with pytest.raises(NotFoundError):
        await local.customers.update("ffffffffffffffffffffffff", name="X")
    with pytest.raises((BadRequestError, NotFoundError)):
        await local.customers.delete("ffffffffffffffffffffffff")


async def test_deleting_a_customer_unlinks_its_tasks(local: AsyncCubicl, demo: Demo) -> None:
    """The emulator's choice: a deleted customer's tasks stay, with `customer` cleared."""
    linked = [t async for t in local.tasks.list(customer=demo.client)]
    assert linked
    await local.customers.delete(demo.client)
    for task in await local.tasks.get_many([t.id for t in linked]):
        assert task.customer is None


async def test_get_many_customers(local: AsyncCubicl, demo: Demo) -> None:
    """Any area with `get` offers `get_many`: concurrent, in input order."""
    ids = list(demo.customers.values())
    assert [c.id for c in await local.customers.get_many(ids)] == ids
