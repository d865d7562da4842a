"""Contract tests of the emulator's Chat area (``/chat``), with raw httpx, in process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from cubicl_async import AsyncCubicl
from cubicl_async.testing import Demo, Emulator, seed_demo

from .conftest import NOW, Connect, FakeNow, error, ok

THREAD_KEYS = ["_id", "type", "users", "activity", "access", "lastMessage", "newActivityCount",
               "createdAt"]  # fmt: skip
MESSAGE_KEYS = ["_id", "thread", "from", "content", "files", "likes", "dislikes", "replyTo",
                "createdAt"]  # fmt: skip


@dataclass(frozen=True)
class Org:
    """The ids of the organization the tests use."""

    #: Organization admin: a member of every project's thread.
    admin: str
    #: Member of `project`.
    member: str
    #: Admin of `project` (not of the organization).
    lead: str
    #: Member of nothing.
    outsider: str
    project: str


@pytest.fixture
def org(emu: Emulator) -> Org:
    admin = emu.add_user("Ada", "Admin", org_admin=True)
    member = emu.add_user("Mia", "Member")
    lead = emu.add_user("Lea", "Lead")
    outsider = emu.add_user("Otto", "Outsider")
    project = emu.add_project("Project", members=[member], admins=[lead])
    return Org(admin, member, lead, outsider, project)


@pytest.fixture
def member(connect: Connect, org: Org) -> httpx.AsyncClient:
    return connect(user=org.member)


async def send(client: httpx.AsyncClient, **body: Any) -> Any:
    """Send a message through ``POST /chat/messages`` and return the answer."""
    return ok(await client.post("chat/messages", json=body))


async def threads(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    """Return ``GET /chat/threads``."""
    found: list[dict[str, Any]] = ok(await client.get("chat/threads"))
    return found


async def listed(client: httpx.AsyncClient, thread: str) -> dict[str, Any]:
    """Return one thread as ``GET /chat/threads`` lists it."""
    (found,) = [t for t in await threads(client) if t["_id"] == thread]
    return found


async def page(client: httpx.AsyncClient, thread: str, **params: Any) -> list[str]:
    """Return the contents of one page of a thread's messages, in the order answered."""
    answer = ok(await client.get(f"chat/threads/{thread}/messages", params=params))
    return [message["content"] for message in answer]


def numbered(emu: Emulator, thread: str, sender: str, count: int) -> list[str]:
    """Seed messages "m1" ... "m<count>", a second apart from NOW; return their ids."""
    return [
        emu.chat.add_message(thread, sender, f"m{n}", created_at=NOW + n)
        for n in range(1, count + 1)
    ]


# Threads


async def test_a_first_message_to_a_user_makes_a_personal_thread(
    member: httpx.AsyncClient, connect: Connect, org: Org
) -> None:
    """``to`` makes the thread (answered), then reuses it (no ``thread`` in the answer)."""
    first = await send(member, to=org.outsider, content="Hello")
    thread = first["thread"]
    assert list(thread) == THREAD_KEYS
    assert list(first["message"]) == MESSAGE_KEYS
    assert first["message"] == {
        "_id": first["message"]["_id"],
        "thread": thread["_id"],
        "from": org.member,
        "content": "Hello",
        "files": [],
        "likes": [],
        "dislikes": [],
        "replyTo": None,
        "createdAt": NOW,
    }
    assert thread == {
        "_id": thread["_id"],
        "type": "personal",
        "users": [org.member, org.outsider],
        "activity": NOW,
        "access": 0,
        "lastMessage": first["message"],
        "newActivityCount": 0,
        "createdAt": NOW,
    }
    second = await send(connect(user=org.outsider), to=org.member, content="Hi")
    assert set(second) == {"message"}
    assert second["message"]["thread"] == thread["_id"]
    mine = await listed(member, thread["_id"])
    assert (mine["lastMessage"], mine["newActivityCount"]) == (second["message"], 1)


async def test_a_project_thread_is_made_when_a_member_lists_threads(
    member: httpx.AsyncClient, connect: Connect, emu: Emulator, org: Org
) -> None:
    """Members, then admins, then organization admins; no name; outsiders never see it."""
    assert await threads(connect(user=org.outsider)) == []
    (thread,) = await threads(member)
    assert thread == {
        "_id": thread["_id"],
        "type": "group",
        "group": org.project,
        "users": [org.member, org.lead, org.admin],
        "activity": NOW,
        "access": 0,
        "lastMessage": None,
        "newActivityCount": 0,
        "createdAt": NOW,
    }
    assert emu.chat.group_thread(org.project) == thread["_id"]
    emu.users.remove(org.lead)
    (again,) = await threads(member)
    assert again["users"] == [org.member, org.admin]
    admin_threads = await threads(connect(user=org.admin))
    assert {t.get("group") for t in admin_threads} == {emu.root_id, org.project}


async def test_members_of_an_ancestor_are_not_in_a_projects_thread(
    connect: Connect, emu: Emulator, org: Org
) -> None:
    """A project's thread holds its own members and admins, not those of its parents."""
    child = emu.add_project("Child", parents=[org.project], members=[org.outsider])
    thread = emu.chat.thread(emu.chat.group_thread(child), org.outsider)
    assert thread["users"] == [org.outsider, org.admin]
    assert [t["group"] for t in await threads(connect(user=org.lead))] == [org.project]


async def test_a_custom_thread_is_seeded_with_a_name(
    member: httpx.AsyncClient, connect: Connect, emu: Emulator, org: Org
) -> None:
    """``add_thread`` makes a named thread of its users; others do not see it."""
    custom = emu.chat.add_thread("Lunch", [org.member, org.outsider, org.member])
    found = await listed(member, custom)
    assert (found["type"], found["name"], found["users"]) == (
        "custom",
        "Lunch",
        [org.member, org.outsider],
    )
    assert list(found) == [*THREAD_KEYS[:2], "name", *THREAD_KEYS[2:]]
    assert custom not in [t["_id"] for t in await threads(connect(user=org.lead))]


async def test_threads_are_listed_most_recent_activity_first(
    member: httpx.AsyncClient, emu: Emulator, org: Org
) -> None:
    """By the latest message's date, or the thread's creation without messages."""
    old = emu.chat.add_thread("Old", [org.member], created_at=NOW - 100)
    busy = emu.chat.add_thread("Busy", [org.member], created_at=NOW - 200)
    emu.chat.add_message(busy, org.member, "late", created_at=NOW + 5)
    emu.chat.add_message(busy, org.member, "early", created_at=NOW - 50)
    found = await threads(member)
    assert [t.get("name", "project") for t in found] == ["Busy", "project", "Old"]
    assert (found[0]["activity"], found[0]["lastMessage"]["content"]) == (NOW + 5, "late")
    assert (found[2]["activity"], found[2]["_id"]) == (NOW - 100, old)


async def test_reading_a_thread_sets_access_and_clears_new_activity(
    member: httpx.AsyncClient, emu: Emulator, org: Org, clock: FakeNow
) -> None:
    """Unread: messages from others added after the last read, whatever their date."""
    thread = emu.chat.personal_thread(org.member, org.outsider)
    emu.chat.add_message(thread, org.outsider, "one")
    emu.chat.add_message(thread, org.member, "mine")
    seen = await listed(member, thread)
    assert (seen["access"], seen["newActivityCount"]) == (0, 1)
    clock.t = NOW + 60
    await page(member, thread)
    seen = await listed(member, thread)
    assert (seen["access"], seen["newActivityCount"]) == (NOW + 60, 0)
    emu.chat.add_message(thread, org.outsider, "dated before the read", created_at=NOW)
    emu.chat.add_message(thread, org.outsider, "in the second of the read")
    emu.chat.add_message(thread, org.member, "mine again")
    seen = await listed(member, thread)
    assert seen["newActivityCount"] == 2
    assert seen["lastMessage"]["content"] == "mine again"
    assert emu.chat.thread(thread, org.outsider)["newActivityCount"] == 2


# Messages


async def test_messages_of_a_thread_the_caller_is_not_in_get_404(
    member: httpx.AsyncClient, emu: Emulator, org: Org
) -> None:
    """An unknown thread and someone else's get the same 404, on read and on send."""
    theirs = emu.chat.personal_thread(org.lead, org.outsider)
    for thread in (theirs, "nope"):
        assert "not found" in error(await member.get(f"chat/threads/{thread}/messages"), 404)
        body = {"thread": thread, "content": "x"}
        assert "not found" in error(await member.post("chat/messages", json=body), 404)


@pytest.mark.parametrize("limit", ["0", "101", "x", "-1", "1.5", ""])
async def test_limit_is_an_integer_from_1_to_100(
    member: httpx.AsyncClient, emu: Emulator, org: Org, limit: str
) -> None:
    """Another ``limit`` gets 400."""
    thread = emu.chat.personal_thread(org.member, org.outsider)
    message = error(await member.get(f"chat/threads/{thread}/messages?limit={limit}"), 400)
    assert message == f"limit must be an integer from 1 to 100, not {limit!r}"


async def test_the_default_page_is_the_50_most_recent_newest_first(
    member: httpx.AsyncClient, emu: Emulator, org: Org
) -> None:
    """No cursor: the ``limit`` (default 50, at most 100) most recent, newest first."""
    thread = emu.chat.personal_thread(org.member, org.outsider)
    numbered(emu, thread, org.outsider, 120)
    default = await page(member, thread)
    assert default == [f"m{n}" for n in range(120, 70, -1)]
    assert len(await page(member, thread, limit=100)) == 100
    assert await page(member, thread, limit=2) == ["m120", "m119"]


async def test_before_and_after_page_backward_and_forward(
    member: httpx.AsyncClient, emu: Emulator, org: Org
) -> None:
    """``before``: the most recent before it; ``after``: the oldest after it."""
    thread = emu.chat.personal_thread(org.member, org.outsider)
    ids = numbered(emu, thread, org.outsider, 7)
    assert await page(member, thread, before=ids[5], limit=3) == ["m5", "m4", "m3"]
    assert await page(member, thread, before=ids[1], limit=3) == ["m1"]
    assert await page(member, thread, before=ids[0]) == []
    assert await page(member, thread, after=ids[1], limit=3) == ["m5", "m4", "m3"]
    assert await page(member, thread, after=ids[5], limit=3) == ["m7"]
    assert await page(member, thread, after=ids[6]) == []


async def test_before_and_after_compare_the_date_then_the_id(
    member: httpx.AsyncClient, emu: Emulator, org: Org
) -> None:
    """Messages seeded out of order sort by createdAt; equal dates by id."""
    thread = emu.chat.personal_thread(org.member, org.outsider)
    late = emu.chat.add_message(thread, org.outsider, "late", created_at=NOW + 9)
    emu.chat.add_message(thread, org.outsider, "tie a", created_at=NOW + 5)
    tie = emu.chat.add_message(thread, org.outsider, "tie b", created_at=NOW + 5)
    emu.chat.add_message(thread, org.outsider, "early", created_at=NOW + 1)
    assert await page(member, thread) == ["late", "tie b", "tie a", "early"]
    assert await page(member, thread, before=late, limit=1) == ["tie b"]
    assert await page(member, thread, before=tie) == ["tie a", "early"]
    assert await page(member, thread, after=tie) == ["late"]


async def test_search_is_a_case_insensitive_substring(
    member: httpx.AsyncClient, emu: Emulator, org: Org
) -> None:
    """``search`` narrows the messages before paging; the cursor need not match it."""
    thread = emu.chat.personal_thread(org.member, org.outsider)
    ids = [emu.chat.add_message(thread, org.outsider, text, created_at=NOW + n)
           for n, text in enumerate(["Deploy now", "lunch?", "DEPLOYED", "redeploy"])]  # fmt: skip
    assert await page(member, thread, search="deploy") == ["redeploy", "DEPLOYED", "Deploy now"]
    assert await page(member, thread, search="deploy", before=ids[1]) == ["Deploy now"]
    assert await page(member, thread, search="") == ["redeploy", "DEPLOYED", "lunch?", "Deploy now"]
    assert await page(member, thread, search="nothing") == []


async def test_cursor_errors_get_400(member: httpx.AsyncClient, emu: Emulator, org: Org) -> None:
    """Both cursors; a cursor that is not a message of this thread (another's, unknown)."""
    thread = emu.chat.personal_thread(org.member, org.outsider)
    other = emu.chat.add_thread("Other", [org.member])
    (mine,) = numbered(emu, thread, org.member, 1)
    elsewhere = emu.chat.add_message(other, org.member, "x")
    path = f"chat/threads/{thread}/messages"
    both = error(await member.get(path, params={"before": mine, "after": mine}), 400)
    assert both == "give before or after, not both"
    for name in ("before", "after"):
        for cursor in (elsewhere, "nope", ""):
            message = error(await member.get(path, params={name: cursor}), 400)
            assert message == f"{name} must be a message of thread {thread!r}"


@pytest.mark.parametrize(
    ("order", "expected"),
    [("newest", ["m4", "m3", "m2", "m1"]), ("oldest", ["m1", "m2", "m3", "m4"])],
)
async def test_the_page_order_is_configurable(
    member: httpx.AsyncClient, emu: Emulator, org: Org, order: str, expected: list[str]
) -> None:
    """``page_order`` changes the order inside a page, not which messages it holds."""
    thread = emu.chat.personal_thread(org.member, org.outsider)
    ids = numbered(emu, thread, org.outsider, 5)
    emu.chat.page_order = order
    assert await page(member, thread, before=ids[4]) == expected


async def test_a_shuffled_page_order_is_seeded(connect: Connect, emu: Emulator, org: Org) -> None:
    """``shuffled`` mixes a page up, the same way for the same seed; a bad order is refused."""
    orders = []
    for seed in (7, 7):
        emu.chat.random.seed(seed)
        emu.chat.page_order = "shuffled"
        thread = emu.chat.add_thread(f"T{seed}", [org.member])
        numbered(emu, thread, org.member, 20)
        orders.append(await page(connect(user=org.member), thread))
    assert orders[0] == orders[1]
    assert sorted(orders[0]) == sorted(f"m{n}" for n in range(1, 21))
    assert orders[0] != [f"m{n}" for n in range(20, 0, -1)]
    with pytest.raises(ValueError, match="page_order must be one of"):
        emu.chat.page_order = "random"


@pytest.mark.parametrize("order", ["newest", "oldest", "shuffled"])
async def test_the_sdk_pages_whatever_the_order(
    local: AsyncCubicl, demo: Demo, emu: Emulator, order: str
) -> None:
    """The SDK's pager yields Backend's 60 demo messages newest first, then forward."""
    emu.chat.page_order = order
    backend = demo.threads["Backend"]
    backward = [m.content async for m in local.chat.messages(backend, page_size=7)]
    assert backward == [f"Backend note {n}" for n in range(60, 0, -1)]
    first = emu.chat.messages(backend)[0]["_id"]
    forward = [m.content async for m in local.chat.messages(backend, after=first, page_size=9)]
    assert forward == [f"Backend note {n}" for n in range(2, 61)]


# Sending


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"content": "x"}, "give exactly one of thread and to"),
        ({"thread": "t", "to": "u", "content": "x"}, "give exactly one of thread and to"),
        ({"thread": None, "to": None, "content": "x"}, "give exactly one of thread and to"),
        ({"to": "u"}, "a message needs content or files"),
        ({"to": "u", "content": "", "files": []}, "a message needs content or files"),
        ({"to": "", "content": "x"}, "to must be a user id (a non-empty string)"),
        ({"to": "u", "files": [""]}, "files must be an array of file ids (non-empty strings)"),
    ],
)
async def test_a_malformed_send_gets_400(
    member: httpx.AsyncClient, body: dict[str, Any], message: str
) -> None:
    """One of thread/to, and content or files; checked before anything is looked up."""
    assert error(await member.post("chat/messages", json=body), 400) == message


async def test_a_recipient_must_be_another_current_user(
    member: httpx.AsyncClient, emu: Emulator, org: Org
) -> None:
    """``to`` the caller, an unknown or a removed user gets 422."""
    emu.users.remove(org.lead)
    for to in (org.member, "nope", org.lead):
        message = error(await member.post("chat/messages", json={"to": to, "content": "x"}), 422)
        assert message == f"Recipient {to!r} is not another user of the organization"


async def test_reply_to_must_be_a_message_of_the_thread(
    member: httpx.AsyncClient, emu: Emulator, org: Org
) -> None:
    """Another thread's message, or any with a thread not made yet, gets 422 (no thread)."""
    other = emu.chat.add_thread("Other", [org.member])
    foreign = emu.chat.add_message(other, org.member, "x")
    for body in ({"thread": other, "replyTo": "nope"}, {"to": org.outsider, "replyTo": foreign}):
        refused = await member.post("chat/messages", json={**body, "content": "re"})
        assert "is not a message of the thread" in error(refused, 422)
    assert emu.chat.find_personal(org.member, org.outsider) is None
    answer = await send(member, thread=other, content="re", replyTo=foreign)
    assert answer["message"]["replyTo"] == foreign
    assert "thread" not in answer


async def test_files_are_rendered_as_file_records(
    member: httpx.AsyncClient, emu: Emulator, org: Org
) -> None:
    """Any id goes (named after itself); a files area's record is used when it has it."""

    class Files:
        def has(self, file_id: str) -> bool:
            return file_id == "known"

        def get(self, file_id: str) -> dict[str, Any]:
            return {"_id": file_id, "name": "report.pdf", "thumbnail": "https://t"}

    thread = emu.chat.add_thread("Files", [org.member])
    sent = await send(member, thread=thread, files=["known", "f2", "known"])
    assert (sent["message"]["content"], sent["message"]["files"]) == (
        "",
        [{"_id": "known", "name": "known"}, {"_id": "f2", "name": "f2"}],
    )
    emu.chat.files = Files()
    (read,) = ok(await member.get(f"chat/threads/{thread}/messages"))
    assert read["files"][0] == {"_id": "known", "name": "report.pdf", "thumbnail": "https://t"}


async def test_the_older_send_answer_holds_the_message_id(
    member: httpx.AsyncClient, emu: Emulator, org: Org
) -> None:
    """``legacy_send_answer``: ``{"message": "<id>", "thread"?}``."""
    emu.chat.legacy_send_answer = True
    first = await send(member, to=org.outsider, content="one")
    assert first["message"] == first["thread"]["lastMessage"]["_id"]
    second = await send(member, thread=first["thread"]["_id"], content="two")
    assert second == {"message": emu.chat.messages(first["thread"]["_id"])[-1]["_id"]}


async def test_a_project_member_posts_to_the_projects_thread(
    member: httpx.AsyncClient, connect: Connect, org: Org
) -> None:
    """The thread from the list takes messages from members; the others see them unread."""
    (thread,) = await threads(member)
    sent = await send(member, thread=thread["_id"], content="Standup?")
    lead = await listed(connect(user=org.lead), thread["_id"])
    assert (lead["lastMessage"], lead["newActivityCount"]) == (sent["message"], 1)


# Seeding


def test_seeding_helpers_check_their_ids(emu: Emulator, org: Org) -> None:
    """Unknown users, threads or projects, non-members and foreign replies: ValueError."""
    thread = emu.chat.add_thread("T", [org.member])
    message = emu.chat.add_message(
        thread, org.member, "x", likes=[org.admin], dislikes=[org.lead], created_at=NOW - 5
    )
    assert emu.chat.message(message) | {"_id": "", "thread": ""} == {
        "_id": "", "thread": "", "from": org.member, "content": "x", "files": [],
        "likes": [org.admin], "dislikes": [org.lead], "replyTo": None, "createdAt": NOW - 5,
    }  # fmt: skip
    other = emu.chat.add_thread("U", [org.member])
    for call, match in [
        (lambda: emu.chat.add_thread("X", ["nope"]), "unknown user"),
        (lambda: emu.chat.add_message("nope", org.member, "x"), "unknown thread"),
        (lambda: emu.chat.add_message(thread, org.lead, "x"), "is not a member"),
        (lambda: emu.chat.add_message(other, org.member, "x", reply_to=message), "has no message"),
        (lambda: emu.chat.add_message(thread, org.member, "x", likes=["nope"]), "unknown user"),
        (lambda: emu.chat.personal_thread(org.member, org.member), "two different users"),
        (lambda: emu.chat.group_thread("nope"), "unknown project"),
        (lambda: emu.chat.message("nope"), "unknown message"),
    ]:
        with pytest.raises(ValueError, match=match):
            call()
    assert emu.chat.personal_thread(org.member, org.lead) == emu.chat.personal_thread(
        org.lead, org.member
    )


async def test_seed_demo_chat(connect: Connect, emu: Emulator) -> None:
    """Three threads after every other record; Backend's 60 messages page in order."""
    demo = seed_demo(emu)
    backend, personal, coffee = demo.threads.values()
    assert list(demo.threads) == ["Backend", "Ada-Grace", "Coffee break"]
    assert int(backend, 16) > max(int(i, 16) for i in demo.entries.values())
    ada, grace = connect("demo-token"), connect(user=demo.member)
    messages = ok(await ada.get(f"chat/threads/{backend}/messages", params={"limit": 100}))
    assert len(messages) == 60
    assert messages[0]["content"] == "Backend note 60"
    assert (messages[0]["createdAt"], messages[-1]["createdAt"]) == (NOW - 60, NOW - 3600)
    assert {m["from"] for m in messages} == {demo.admin, demo.member}
    assert messages[0]["likes"] == [demo.admin]
    found = {t["_id"]: t for t in await threads(grace)}
    assert found[personal]["newActivityCount"] == 2
    assert found[coffee]["name"] == "Coffee break"
    assert found[coffee]["users"] == [demo.admin, demo.member, demo.outsider]
    assert [t["_id"] for t in await threads(connect(user=demo.outsider))] == [coffee]
