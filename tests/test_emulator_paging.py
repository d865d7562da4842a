"""Contract tests of the emulator's paging indexes: pages equal a fresh scan, writes in between.

Each test pages through a listing over raw HTTP while writes (through the API and the
seeding helpers) change what it lists, and compares every page with the answer of the
scan the endpoints made before they had indexes (every record filtered, then sliced),
computed at the same moment. Others count the records a sequential page examines.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from cubicl_async.testing import Emulator
from cubicl_async.testing.customers._records import email_matches, name_matches, render
from cubicl_async.testing.tasks import may_view
from cubicl_async.testing.tasks._query import matches, parse_query, project

from .conftest import NOW, Connect, ok

TAGS = ["bug", "ux", "infra"]
WORDS = ["alpha", "beta", "gamma", "delta"]


def scanned_tasks(emu: Emulator, user_id: str, params: dict[str, str]) -> list[dict[str, Any]]:
    """Return what ``GET /tasks`` answers, by the scan of every task it used to make."""
    query = parse_query(params)
    groups = None
    if query.group is not None:
        groups = {query.group}
        if query.recursive:
            groups.update(emu.projects.descendants(query.group))
    found = [
        task
        for task in emu.tasks.records()
        if (groups is None or task["group"] in groups)
        and matches(task, query)
        and may_view(emu.tasks, user_id, task)
    ]
    return [
        project(emu.task(t["_id"]), query) for t in found[query.skip : query.skip + query.limit]
    ]


def scanned_clients(emu: Emulator, params: dict[str, str]) -> list[dict[str, Any]]:
    """Return what ``GET /crm/customers`` answers, by the scan it used to make."""
    name, email = params.get("name") or None, params.get("email") or None
    found = [
        client
        for client in emu.customers.records()
        if (name is None or name_matches(client["name"], name))
        and (email is None or email_matches(client, email))
    ]
    skip, limit = int(params.get("skip", 0)), int(params.get("limit", 10))
    page = found[skip : skip + limit]
    if params.get("includeAllFields") == "true":
        return [render(client) for client in page]
    return [emu.client(client["_id"]) for client in page]


def counting(emu_area: Any, name: str) -> list[int]:
    """Count the records each call of the area's scan method ``name`` yields (one per call)."""
    counts: list[int] = []
    scan: Callable[..., Iterator[Any]] = getattr(emu_area, name)

    def counted(*args: Any) -> Iterator[Any]:
        counts.append(0)
        for item in scan(*args):
            counts[-1] += 1
            yield item

    setattr(emu_area, name, counted)
    return counts


# Tasks


@pytest.fixture
def people(emu: Emulator) -> dict[str, str]:
    """Users of every kind of sight, and a project tree: main > top > (child, other)."""
    admin = emu.add_user("Ada", "Admin", org_admin=True)
    member = emu.add_user("Mia", "Member")
    viewer = emu.add_user("Vic", "Viewer")
    outsider = emu.add_user("Otto", "Outsider")
    perms = {"users": {viewer: {"tasks": "view"}}}
    top = emu.add_project("Top", members=[member], perms=perms)
    child = emu.add_project("Child", parents=[top], members=[member])
    other = emu.add_project("Other", admins=[member])
    users = {"admin": admin, "member": member, "viewer": viewer, "outsider": outsider}
    return users | {"top": top, "child": child, "other": other}


def seed_task(emu: Emulator, rng: random.Random, ids: dict[str, str], n: int) -> str:
    """Add a task of random project, creator, assignees, privacy, tags and archiving."""
    users = [ids["admin"], ids["member"], ids["viewer"], ids["outsider"]]
    return emu.add_task(
        rng.choice([ids["top"], ids["child"], ids["other"]]),
        f"{rng.choice(WORDS)} task {n}",
        created_by=rng.choice(users[:2]),
        assignees=rng.sample(users, rng.randint(0, 2)),
        private=rng.random() < 0.2,
        tags=rng.sample(TAGS, rng.randint(0, 2)),
        archivedAt=NOW if rng.random() < 0.15 else None,
    )


async def write_task(
    emu: Emulator, admin: httpx.AsyncClient, rng: random.Random, ids: dict[str, str], n: int
) -> None:
    """Change the tasks (or who sees them) one random way: create, update, delete, move..."""
    task_ids = [task["_id"] for task in emu.tasks.records()]
    task_id = rng.choice(task_ids)
    kind = rng.randrange(7)
    if kind == 0:
        body = {"group": rng.choice([ids["top"], ids["other"]]), "name": f"beta new {n}"}
        ok(await admin.post("tasks", json=body))
    elif kind == 1:
        body = {"name": f"{rng.choice(WORDS)} renamed {n}", "private": rng.random() < 0.5}
        ok(await admin.put(f"tasks/{task_id}", json=body))
    elif kind == 2:
        ok(await admin.put(f"tasks/{task_id}", json={"archived": rng.random() < 0.5}))
    elif kind == 3:
        ok(await admin.put(f"tasks/{task_id}", json={"assignees": [ids["outsider"]]}))
    elif kind == 4:
        assert (await admin.delete(f"tasks/{task_id}")).status_code == 204
    elif kind == 5:  # another project under Top: what a recursive listing covers changes
        emu.add_project(f"Leaf {n}", parents=[ids["top"]], members=[ids["member"]])
        seed_task(emu, rng, ids | {"child": emu.projects.ids()[-1]}, n)
    else:  # a permission changes (the stored record, as a test may change it)
        members = emu.projects.stored(ids["other"])["members"]
        if ids["outsider"] in members:
            members.remove(ids["outsider"])
        else:
            members.append(ids["outsider"])


LISTINGS: list[dict[str, str]] = [
    {},
    {"group": "top"},
    {"group": "top", "recursive": "true", "include": "name,private"},
    {"group": "other", "archived": "all"},
    {"archived": "true"},
    {"tag": "bug", "exclude": "tags"},
    {"search": "BETA"},
    {"assignee": "outsider", "archived": "all"},
]


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_task_pages_equal_a_fresh_scan_through_writes(
    emu: Emulator, connect: Connect, people: dict[str, str], seed: int
) -> None:
    rng = random.Random(seed)
    for n in range(150):
        seed_task(emu, rng, people, n)
    admin = connect(user=people["admin"])
    readers = {who: connect(user=people[who]) for who in ("admin", "member", "viewer", "outsider")}
    cursors: list[tuple[str, dict[str, str], int]] = [
        (who, {key: people.get(value, value) for key, value in listing.items()}, 0)
        for who in readers
        for listing in LISTINGS
    ]
    for step in range(400):
        if rng.random() < 0.15:
            await write_task(emu, admin, rng, people, step)
            continue
        at = rng.randrange(len(cursors))
        who, params, skip = cursors[at]
        limit = rng.randint(1, 12)
        if rng.random() < 0.1:
            skip = rng.randint(0, 120)  # a random jump, back or forth
        sent = params | {"skip": str(skip), "limit": str(limit)}
        answer = await readers[who].get("tasks", params=sent)
        if params.get("group") and answer.status_code == 403:
            assert not emu.visible(people[who], params["group"])
            continue
        assert ok(answer) == scanned_tasks(emu, people[who], sent), (step, who, sent)
        cursors[at] = (who, params, skip + limit)


async def test_a_sequential_task_page_examines_only_its_tasks(
    emu: Emulator, connect: Connect, people: dict[str, str]
) -> None:
    for n in range(1000):
        emu.add_task(people["top"], f"task {n}", created_by=people["admin"])
    examined = counting(emu.tasks, "since")
    admin = connect(user=people["admin"])
    for skip in range(0, 300, 20):
        ok(await admin.get("tasks", params={"group": people["top"], "skip": skip, "limit": 20}))
    assert examined == [20] * 15
    ok(await admin.get("tasks", params={"group": people["top"], "skip": 900, "limit": 20}))
    assert examined[-1] == 920 - 300  # a jump scans on from the furthest mark before it
    emu.add_task(people["other"], "elsewhere", created_by=people["admin"])
    ok(await admin.get("tasks", params={"group": people["top"], "skip": 920, "limit": 20}))
    assert examined[-1] == 940  # a write forgets the marks: scanned from the start
    ok(await admin.get("tasks", params={"group": people["top"], "skip": 940, "limit": 20}))
    assert examined[-1] == 20


async def test_marks_are_bounded_and_a_forgotten_listing_scans_again(
    emu: Emulator, connect: Connect, people: dict[str, str]
) -> None:
    for n in range(100):
        emu.add_task(people["top"], f"{WORDS[n % 4]} {n}", created_by=people["admin"])
    emu.tasks.resume.size, emu.tasks.resume.marks = 2, 3
    examined = counting(emu.tasks, "since")
    admin = connect(user=people["admin"])
    for skip in range(0, 50, 10):  # marks at 10, 20 and 30, none further
        ok(await admin.get("tasks", params={"skip": skip, "limit": 10}))
    assert examined == [10, 10, 10, 10, 20]
    for word in ("beta", "gamma"):  # two other listings push the first one out
        ok(await admin.get("tasks", params={"search": word, "limit": 5}))
    sent = {"skip": "30", "limit": "10"}
    assert ok(await admin.get("tasks", params=sent)) == scanned_tasks(emu, people["admin"], sent)
    assert examined[-1] == 40


async def test_task_marks_are_per_caller_and_sight(
    emu: Emulator, connect: Connect, people: dict[str, str]
) -> None:
    for n in range(30):
        private = n % 2 == 0
        emu.add_task(people["other"], f"t{n}", created_by=people["admin"], private=private)
    params = {"group": people["other"], "limit": "5"}
    member, outsider = connect(user=people["member"]), connect(user=people["outsider"])
    other = emu.projects.stored(people["other"])
    other["members"] += [people["outsider"], people["member"]]
    for skip in ("0", "5"):
        ok(await member.get("tasks", params=params | {"skip": skip}))
        ok(await outsider.get("tasks", params=params | {"skip": skip}))
    for who, client in (("member", member), ("outsider", outsider)):
        sent = params | {"skip": "10"}
        assert ok(await client.get("tasks", params=sent)) == scanned_tasks(emu, people[who], sent)
    other["admins"].remove(people["member"])  # no write to the tasks: the sight differs
    sent = params | {"skip": "5"}
    assert ok(await member.get("tasks", params=sent)) == scanned_tasks(emu, people["member"], sent)


async def test_a_task_moved_by_the_helper_is_listed_in_its_new_project_in_creation_order(
    emu: Emulator, connect: Connect, people: dict[str, str]
) -> None:
    made = [emu.add_task(people["top"], f"t{n}", created_by=people["admin"]) for n in range(6)]
    emu.add_task(people["other"], "o", created_by=people["admin"])
    admin = connect(user=people["admin"])
    for group in ("top", "other"):
        sent = {"group": people[group], "limit": "3"}
        assert ok(await admin.get("tasks", params=sent)) == scanned_tasks(
            emu, people["admin"], sent
        )
    emu.tasks.change(made[1], {"group": people["other"]})  # the API cannot move a task
    for group, skip in (("top", "0"), ("top", "3"), ("other", "0")):
        sent = {"group": people[group], "limit": "3", "skip": skip}
        assert ok(await admin.get("tasks", params=sent)) == scanned_tasks(
            emu, people["admin"], sent
        )
    listed = ok(await admin.get("tasks", params={"group": people["other"], "include": "name"}))
    assert [task["name"] for task in listed] == ["t1", "o"]


# Customers


async def test_client_pages_equal_a_fresh_scan_through_writes(
    emu: Emulator, connect: Connect
) -> None:
    rng = random.Random(7)
    user = emu.add_user("Ada", "Admin")
    for n in range(120):
        emu.add_client(f"{rng.choice(WORDS)} Corp {n}", email=f"{rng.choice(WORDS)}@x.test")
    client = connect(user=user)
    listings = [{}, {"name": "gamma"}, {"email": "ALPHA", "includeAllFields": "true"}]
    cursors = [(listing, 0) for listing in listings]
    for step in range(300):
        if rng.random() < 0.2:
            ids = [c["_id"] for c in emu.customers.records()]
            kind = rng.randrange(3)
            if kind == 0:
                ok(await client.post("crm/customers", json={"name": f"gamma new {step}"}))
            elif kind == 1:
                body = {"name": f"{rng.choice(WORDS)} renamed", "email": "delta@x.test"}
                ok(await client.put(f"crm/customers/{rng.choice(ids)}", json=body))
            else:
                assert (await client.delete(f"crm/customers/{rng.choice(ids)}")).status_code == 204
            continue
        at = rng.randrange(len(cursors))
        params, skip = cursors[at]
        limit = rng.randint(1, 9)
        skip = rng.randint(0, 100) if rng.random() < 0.1 else skip
        sent = params | {"skip": str(skip), "limit": str(limit)}
        answer = ok(await client.get("crm/customers", params=sent))
        assert answer == scanned_clients(emu, sent), (step, sent)
        cursors[at] = (params, skip + limit)


async def test_a_sequential_client_page_examines_only_its_clients(
    emu: Emulator, connect: Connect
) -> None:
    user = emu.add_user("Ada", "Admin")
    for n in range(500):
        emu.add_client(f"Client {n}")
    examined = counting(emu.customers, "since")
    client = connect(user=user)
    for skip in range(0, 100, 10):
        ok(await client.get("crm/customers", params={"skip": skip, "limit": 10}))
    assert examined == [10] * 10


# Chat


def scanned_messages(emu: Emulator, thread: str, params: dict[str, str]) -> list[dict[str, Any]]:
    """Return a page of ``GET .../messages`` (newest first), by the scan it used to make."""
    search = params.get("search", "").casefold()
    found = [m for m in emu.chat.messages(thread) if search in m["content"].casefold()]
    limit = int(params.get("limit", 50))

    def key(message: dict[str, Any]) -> tuple[Any, str]:
        return message["createdAt"], message["_id"]

    if "before" in params:
        mark = key(emu.chat.message(params["before"]))
        page = [m for m in found if key(m) < mark][-limit:]
    elif "after" in params:
        mark = key(emu.chat.message(params["after"]))
        page = [m for m in found if key(m) > mark][:limit]
    else:
        page = found[-limit:]
    return page[::-1]


async def test_message_pages_equal_a_fresh_scan_through_sends(
    emu: Emulator, connect: Connect
) -> None:
    rng = random.Random(5)
    ada, bob = emu.add_user("Ada", "A"), emu.add_user("Bob", "B")
    thread = emu.chat.add_thread("Team", [ada, bob])
    unread = {ada: 0, bob: 0}  # from the other one, since the last read
    for n in range(200):
        when = NOW - rng.randint(0, 50)  # seeded out of order, some in the same second
        sender = rng.choice([ada, bob])
        emu.chat.add_message(thread, sender, f"{rng.choice(WORDS)} {n}", created_at=when)
        unread[bob if sender == ada else ada] += 1
    clients = {ada: connect(user=ada), bob: connect(user=bob)}
    for step in range(300):
        sender = rng.choice([ada, bob])
        if rng.random() < 0.2:
            body = {"thread": thread, "content": f"beta {step}"}
            ok(await clients[sender].post("chat/messages", json=body))
            unread[bob if sender == ada else ada] += 1
            continue
        ids = [m["_id"] for m in emu.chat.messages(thread)]
        params: dict[str, str] = {"limit": str(rng.randint(1, 20))}
        if rng.random() < 0.7:
            params[rng.choice(["before", "after"])] = rng.choice(ids)
        if rng.random() < 0.4:
            params["search"] = rng.choice(WORDS).upper()
        listed = {t["_id"]: t for t in ok(await clients[sender].get("chat/threads"))}
        assert listed[thread]["newActivityCount"] == unread[sender]
        assert listed[thread]["lastMessage"] == emu.chat.messages(thread)[-1]
        answer = ok(await clients[sender].get(f"chat/threads/{thread}/messages", params=params))
        assert answer == scanned_messages(emu, thread, params), (step, params)
        unread[sender] = 0
