"""Contract tests of the emulator's Customers area (``/crm/customers``), with raw httpx."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cubicl_async.testing import Emulator, seed_demo

from .conftest import NOW, Connect, FakeNow, error, ok

FULL_KEYS = ["_id", "name", "contacts", "customFields", "portalCustomerManagerIds", "createdAt"]
EVERY_KEY = [*FULL_KEYS[:2], "fullname", "email", "phone", *FULL_KEYS[2:]]


@pytest.fixture
def emu() -> Emulator:
    return Emulator(now=FakeNow())


@pytest.fixture
def member_id(emu: Emulator) -> str:
    """Return the id of a plain member: no organization admin, no account manager."""
    return emu.add_user("Mia", "Member")


@pytest.fixture
def member(connect: Connect, member_id: str) -> httpx.AsyncClient:
    return connect(user=member_id)


async def create(client: httpx.AsyncClient, name: str = "Globex", **fields: Any) -> Any:
    """Create a client through ``POST /crm/customers`` and return it."""
    return ok(await client.post("crm/customers", json={"name": name, **fields}))


async def names(http: httpx.AsyncClient, **params: Any) -> list[str]:
    """Return the names ``GET /crm/customers`` lists with these parameters."""
    return [found["name"] for found in ok(await http.get("crm/customers", params=params))]


# Create and read


async def test_create_answers_the_full_record_with_defaults(
    member: httpx.AsyncClient, emu: Emulator
) -> None:
    """A name alone: empty lists, null custom fields, no optional strings, a counter id."""
    client = await create(member, "Globex")
    assert list(client) == FULL_KEYS
    assert client == {
        "_id": "000000000000000000000003",
        "name": "Globex",
        "contacts": [],
        "customFields": None,
        "portalCustomerManagerIds": [],
        "createdAt": NOW,
    }
    assert ok(await member.get(f"crm/customers/{client['_id']}")) == client
    assert emu.customers.record(client["_id"]) == client


async def test_create_stores_every_field(member: httpx.AsyncClient, member_id: str) -> None:
    """Every field is stored; contacts keep their four string keys, repeated managers go."""
    client = await create(
        member,
        "Globex",
        fullname="Globex Corporation",
        email="billing@globex.example",
        phone="",
        contacts=[
            {"name": "Hank", "position": "CEO", "phone": "1", "email": "h@g.x", "extra": 1},
            {"name": "Mindy", "email": None},
            {},
        ],
        customFields={"f1": "gold", "f2": None},
        portalCustomerManagerIds=[member_id, member_id],
    )
    assert list(client) == EVERY_KEY
    assert client["phone"] == ""
    assert client["contacts"] == [
        {"name": "Hank", "position": "CEO", "phone": "1", "email": "h@g.x"},
        {"name": "Mindy"},
        {},
    ]
    assert client["customFields"] == {"f1": "gold", "f2": None}
    assert client["portalCustomerManagerIds"] == [member_id]


async def test_create_nulls_count_as_not_sent(member: httpx.AsyncClient) -> None:
    """On create, a null field is as if it were not sent."""
    nulls = dict.fromkeys(["fullname", "email", "phone", "contacts", "customFields"])
    client = await create(member, "Globex", portalCustomerManagerIds=None, **nulls)
    assert list(client) == FULL_KEYS
    assert (client["contacts"], client["customFields"]) == ([], None)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "name must be a non-empty string"),
        ({"name": ""}, "name must be a non-empty string"),
        ({"name": None}, "name must be a non-empty string"),
        ({"name": "G", "contacts": ["x"]}, "contacts[0] must be a Contact"),
        ({"name": "G", "contacts": [{}, {"email": 1}]}, "contacts[1] must be a Contact"),
        ({"name": "G", "customFields": {"f": 1}}, "customFields must be an object of strings"),
        ({"name": "G", "portalCustomerManagerIds": [1]}, "portalCustomerManagerIds must be"),
    ],
)
async def test_create_refuses_bad_fields_with_400(
    member: httpx.AsyncClient, body: dict[str, Any], message: str
) -> None:
    """A missing or empty name, a bad contact or custom value gets 400 naming it."""
    assert error(await member.post("crm/customers", json=body), 400).startswith(message)


async def test_portal_managers_must_be_current_users(
    member: httpx.AsyncClient, emu: Emulator
) -> None:
    """A portal manager who is unknown or removed gets 422, on create and on update."""
    gone = emu.add_user("Gone", "User")
    emu.remove_user(gone)
    for ids in (["nobody"], [gone]):
        body = {"name": "G", "portalCustomerManagerIds": ids}
        assert "not a user" in error(await member.post("crm/customers", json=body), 422)
    client = await create(member)
    body = {"name": "G", "portalCustomerManagerIds": [gone]}
    error(await member.put(f"crm/customers/{client['_id']}", json=body), 422)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_an_unknown_client_gets_404(member: httpx.AsyncClient, method: str) -> None:
    """Reading, updating or deleting an unknown client gets 404."""
    response = await member.request(method, "crm/customers/nope", json={"name": "G"})
    assert error(response, 404) == "Client 'nope' not found"


async def test_a_bad_body_gets_400_before_the_404(member: httpx.AsyncClient) -> None:
    """The body's shape is checked before the client it names."""
    error(await member.put("crm/customers/nope", json={"email": "x"}), 400)


# Search


@pytest.fixture
async def listed(member: httpx.AsyncClient) -> list[Any]:
    """Return four clients, created in this order."""
    return [
        await create(member, "Globex Corporation", email="Billing@Globex.example"),
        await create(member, "Umbrella Corp", contacts=[{"email": "wesker@UMBRELLA.example"}]),
        await create(member, "Initech", email="accounts@initech.example"),
        await create(member, "Global  Dynamics", contacts=[{"name": "No email"}]),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("glo", ["Globex Corporation", "Global  Dynamics"]),
        ("CORP", ["Globex Corporation", "Umbrella Corp"]),
        ("dyn", ["Global  Dynamics"]),
        ("lobex", []),
        ("orporation", []),
        ("globex corp", ["Globex Corporation"]),
        ("global   dyn", ["Global  Dynamics"]),
        ("corporation x", []),
        ("", ["Globex Corporation", "Umbrella Corp", "Initech", "Global  Dynamics"]),
    ],
)
async def test_name_matches_the_start_of_a_word(
    member: httpx.AsyncClient, listed: list[Any], text: str, expected: list[str]
) -> None:
    """``name`` must begin some word of the name (case-insensitive), never mid-word."""
    assert await names(member, name=text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("globex", ["Globex Corporation"]),
        ("BILLING@", ["Globex Corporation"]),
        ("umbrella.example", ["Umbrella Corp"]),
        (".example", ["Globex Corporation", "Umbrella Corp", "Initech"]),
        ("no email", []),
    ],
)
async def test_email_is_a_substring_of_the_email_or_a_contacts(
    member: httpx.AsyncClient, listed: list[Any], text: str, expected: list[str]
) -> None:
    """``email`` is found in the client's email or in a contact's, case-insensitively."""
    assert await names(member, email=text) == expected


async def test_name_and_email_combine(member: httpx.AsyncClient, listed: list[Any]) -> None:
    """Both filters must match."""
    assert await names(member, name="g", email="example") == ["Globex Corporation"]
    assert await names(member, name="init", email="globex") == []


async def test_lists_are_partial_unless_all_fields_are_asked(
    member: httpx.AsyncClient, listed: list[Any]
) -> None:
    """Without ``includeAllFields=true`` a client is ``{"_id", "name"}``."""
    for params in ({}, {"includeAllFields": "false"}):
        partial = ok(await member.get("crm/customers", params=params))
        assert partial == [{"_id": c["_id"], "name": c["name"]} for c in listed]
    assert ok(await member.get("crm/customers", params={"includeAllFields": "true"})) == listed


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("includeAllFields", "yes"),
        ("includeAllFields", "True"),
        ("skip", "-1"),
        ("skip", "x"),
        ("limit", "0"),
        ("limit", "201"),
        ("limit", "1.5"),
    ],
)
async def test_bad_list_parameters_get_400(
    member: httpx.AsyncClient, name: str, value: str
) -> None:
    """``includeAllFields`` is true or false, ``skip`` from 0, ``limit`` from 1 to 200."""
    assert error(await member.get("crm/customers", params={name: value}), 400).startswith(name)


async def test_pages_default_to_ten_in_creation_order(
    member: httpx.AsyncClient, emu: Emulator
) -> None:
    """The default page is 10 from the start; skip and limit page on; past the end is []."""
    for number in range(12):
        emu.customers.add(f"Client {number:02}")
    every = [f"Client {number:02}" for number in range(12)]
    assert await names(member) == every[:10]
    assert await names(member, skip=10) == every[10:]
    assert await names(member, skip=3, limit=2) == every[3:5]
    assert await names(member, limit=200) == every
    assert await names(member, skip=12) == []


# Update and delete


async def test_update_is_partial_and_null_clears(member: httpx.AsyncClient, member_id: str) -> None:
    """Fields not sent stay; null clears strings (absent), lists ([]), custom fields (null)."""
    full = {
        "fullname": "Globex Corporation",
        "email": "a@g.x",
        "phone": "1",
        "contacts": [{"name": "Hank"}],
        "customFields": {"f": "v"},
        "portalCustomerManagerIds": [member_id],
    }
    client = await create(member, "Globex", **full)
    path = f"crm/customers/{client['_id']}"
    renamed = ok(await member.put(path, json={"name": "Globex 2"}))
    assert renamed == {**client, "name": "Globex 2"}
    cleared = ok(await member.put(path, json={"name": "G", **dict.fromkeys(full)}))
    assert cleared == {
        "_id": client["_id"],
        "name": "G",
        "contacts": [],
        "customFields": None,
        "portalCustomerManagerIds": [],
        "createdAt": NOW,
    }
    assert ok(await member.get(path)) == cleared


async def test_update_replaces_contacts_and_custom_fields_whole(member: httpx.AsyncClient) -> None:
    """Contacts and custom fields sent replace the stored ones, never merged."""
    client = await create(
        member, contacts=[{"name": "A"}, {"name": "B"}], customFields={"f1": "x", "f2": "y"}
    )
    body = {"name": "Globex", "contacts": [{"name": "C"}], "customFields": {"f3": None}}
    updated = ok(await member.put(f"crm/customers/{client['_id']}", json=body))
    assert (updated["contacts"], updated["customFields"]) == ([{"name": "C"}], {"f3": None})


@pytest.mark.parametrize("body", [{}, {"name": None}, {"name": ""}, {"email": "x"}])
async def test_update_needs_the_name_again(member: httpx.AsyncClient, body: dict[str, Any]) -> None:
    """``name`` is required on update too, and cannot be cleared."""
    client = await create(member)
    response = await member.put(f"crm/customers/{client['_id']}", json=body)
    assert error(response, 400) == "name must be a non-empty string"


async def test_delete_clears_the_client_from_tasks(
    member: httpx.AsyncClient, emu: Emulator, member_id: str
) -> None:
    """DELETE answers 204; tasks that embedded the client stay, with ``customer`` null."""
    project = emu.add_project("P", members=[member_id])
    gone, kept = await create(member, "Gone"), await create(member, "Kept")
    task = emu.add_task(project, "T", created_by=member_id, customer=emu.client(gone["_id"]))
    other = emu.add_task(project, "U", created_by=member_id, customer=emu.client(kept["_id"]))
    bare = emu.add_task(project, "V", created_by=member_id, sparse=True, customer=gone["_id"])
    response = await member.delete(f"crm/customers/{gone['_id']}")
    assert (response.status_code, response.content) == (204, b"")
    error(await member.get(f"crm/customers/{gone['_id']}"), 404)
    assert [emu.task(t)["customer"] for t in (task, other, bare)] == [
        None,
        emu.client(kept["_id"]),
        None,
    ]
    assert [a["type"] for a in emu.activities(task)] == ["create"]
    assert await names(member) == ["Kept"]


async def test_delete_removes_the_clients_books(
    connect: Connect, member: httpx.AsyncClient, emu: Emulator
) -> None:
    """Deleting a client deletes its entries, with their payments and activities."""
    admin = emu.add_user("Ada", "Admin", org_admin=True)
    gone, kept = emu.customers.add("Gone"), emu.customers.add("Kept")
    entry = emu.bookkeeping.add_entry(gone, "receivable", "E", "USD", 10, created_by=admin, paid=4)
    payment = emu.bookkeeping.add_payment(entry, 1, created_by=admin)
    other = emu.bookkeeping.add_entry(kept, "payable", "F", "USD", 5, created_by=admin)
    assert (await member.delete(f"crm/customers/{gone}")).status_code == 204
    books = connect(user=admin)
    page = ok(await books.get("bookkeeping/page"))
    assert [e["_id"] for e in page["entries"]] == [other]
    assert {a["entry"] for a in page["activities"]} == {other}
    assert page["receivables"]["total"] == 0
    assert ok(await books.get(f"bookkeeping/entries/{entry}"), 404)["code"] == 1501
    error(await books.delete(f"bookkeeping/payments/{payment}"), 404)


# Helpers and demo


def test_helpers_store_wire_fields_and_copy(emu: Emulator) -> None:
    """``add`` stores wire fields as given; the readers return copies; add_client is add."""
    contacts = [{"name": "Hank"}]
    client = emu.customers.add("Globex", email="a@g.x", contacts=contacts, id="c-1")
    contacts.append({"name": "Other"})
    emu.customers.record(client)["contacts"].append({})
    assert emu.customers.record(client) == {
        "_id": "c-1",
        "name": "Globex",
        "email": "a@g.x",
        "contacts": [{"name": "Hank"}],
        "customFields": None,
        "portalCustomerManagerIds": [],
        "createdAt": NOW,
    }
    assert emu.client(client) == emu.customers.get(client) == {"_id": "c-1", "name": "Globex"}
    assert emu.add_client.__doc__ == emu.customers.add.__doc__
    assert emu.add_client("Initech") == "000000000000000000000002"


def test_delete_helper_tells_the_subscribers(emu: Emulator) -> None:
    """``delete`` removes the client and calls every ``on_delete`` callback with its id."""
    seen: list[str] = []
    emu.customers.on_delete(seen.append)
    client = emu.customers.add("Globex")
    emu.customers.delete(client)
    assert (seen, emu.customers.has(client)) == ([client], False)
    for action in (emu.customers.record, emu.customers.delete):
        with pytest.raises(ValueError, match="unknown client"):
            action(client)
    with pytest.raises(ValueError, match="id="):
        emu.customers.add("X", _id="x")


async def test_demo_clients_have_emails_and_contacts(connect: Connect, emu: Emulator) -> None:
    """The demo's four clients, Globex first with its old id, searchable by contact email."""
    demo = seed_demo(emu)
    assert list(demo.customers) == [
        "Globex",
        "Initech",
        "Umbrella Corporation",
        "Wayne Enterprises",
    ]
    assert demo.customers["Globex"] == demo.client
    outsider = connect(user=demo.outsider)
    assert await names(outsider, email="wesker") == ["Umbrella Corporation"]
    assert await names(outsider, email="example") == list(demo.customers)
    assert await names(outsider, name="corp") == ["Umbrella Corporation"]
    globex = ok(await outsider.get(f"crm/customers/{demo.client}"))
    assert globex["contacts"] == [
        {"name": "Hank Scorpio", "position": "CEO", "email": "hank@globex.example"}
    ]
