"""Contract tests of the emulator's Webhooks area (``/users/self/webhook``) and deliveries."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cubicl_async import webhooks as sdk_webhooks
from cubicl_async.testing import DeliveryRecord, Emulator, serve
from cubicl_async.testing._server import serve_app
from cubicl_async.testing.webhooks._delivery import is_loopback

from .conftest import NOW, Connect, FakeNow, error, ok

RECEIVER = "http://receiver.test"
HOOK_KEYS = ["_id", "type", "url", "group", "user", "createdAt"]
USER_KEYS = ["_id", "firstname", "lastname", "email", "profile"]


class Receiver:
    """A webhook receiver (an ASGI app): keeps each delivery, answers the statuses queued."""

    def __init__(self) -> None:
        #: Each request received: its path, headers and body.
        self.got: list[tuple[str, httpx.Headers, bytes]] = []
        #: The statuses of the next answers (then 200).
        self.statuses: list[int] = []
        #: When set, requests wait for it before they are answered.
        self.gate: asyncio.Event | None = None
        self.app = Starlette(routes=[Route("/{path:path}", self._receive, methods=["POST"])])

    async def _receive(self, request: Request) -> Response:
        if self.gate is not None:
            await self.gate.wait()
        headers = httpx.Headers(request.headers.raw)
        self.got.append((request.url.path, headers, await request.body()))
        return Response(status_code=self.statuses.pop(0) if self.statuses else 200)

    def bodies(self) -> list[dict[str, Any]]:
        """Return the JSON bodies received, in order."""
        return [json.loads(body) for _, _, body in self.got]


@dataclass(frozen=True)
class Org:
    """The ids of the organization the tests use."""

    #: Organization admin.
    admin: str
    #: Member of `project` (manages its tasks) and of `child`.
    member: str
    #: Member of nothing: sees no project.
    outsider: str
    project: str
    #: A project under `project`.
    child: str


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(now=FakeNow()) as emulator:
        emulator.webhooks.retry_delays = (0, 0)
        yield emulator


@pytest.fixture
def org(emu: Emulator) -> Org:
    admin = emu.add_user("Ada", "Admin", org_admin=True)
    member = emu.add_user("Mia", "Member")
    outsider = emu.add_user("Otto", "Outsider")
    project = emu.add_project("Project", members=[member])
    child = emu.add_project("Child", parents=[project], members=[member])
    return Org(admin, member, outsider, project, child)


@pytest.fixture
def receiver(emu: Emulator) -> Receiver:
    found = Receiver()
    emu.webhooks.mount(RECEIVER, found.app)
    return found


@pytest.fixture
def member(connect: Connect, org: Org) -> httpx.AsyncClient:
    return connect(user=org.member)


async def register(client: httpx.AsyncClient, type: str, group: str | None = None) -> Any:
    """Register a webhook of this type to the receiver, at ``/<type>``; return it."""
    body = {"type": type, "url": f"{RECEIVER}/{type}", "group": group}
    return ok(await client.post("users/self/webhook", json=body))


async def delivered(emu: Emulator, receiver: Receiver) -> list[dict[str, Any]]:
    """Wait for the deliveries under way; return the bodies received, by delivery id.

    (Deliveries run side by side: they may arrive in any order.)
    """
    await emu.webhooks.drain()
    receiver.got.sort(key=lambda got: got[1]["X-Cubicl-Delivery"])
    emu.deliveries.sort(key=lambda record: (record.delivery_id, record.attempt))
    return receiver.bodies()


def coded(response: httpx.Response, code: int, message: str) -> None:
    """Check that an answer is a 400 with this application code and message."""
    assert response.status_code == 400, response.text
    assert response.json() == {"message": message, "code": code}


def user(emu: Emulator, user_id: str) -> dict[str, Any]:
    """Return a User record as a delivery's task holds it."""
    found = emu.users.get(user_id)
    profile = f"https://cubicl.test/profiles/{user_id}.png"
    return {"_id": user_id, "firstname": found.firstname, "lastname": found.lastname,
            "email": found.email, "profile": profile}  # fmt: skip


def expanded(emu: Emulator, task: dict[str, Any]) -> dict[str, Any]:
    """Return the webhook variant of a REST task: its users expanded."""
    return task | {
        "assignees": [user(emu, u) for u in task["assignees"]],
        "assignedBy": user(emu, task["assignedBy"]),
        "followers": [user(emu, u) for u in task["followers"]],
    }


# Managing webhooks


async def test_create_list_update_and_delete(
    member: httpx.AsyncClient, connect: Connect, org: Org
) -> None:
    """The caller's webhooks in creation order; PUT is partial; DELETE answers 204."""
    assert ok(await member.get("users/self/webhook")) == []
    task_hook = await register(member, "task-created", org.project)
    assert list(task_hook) == HOOK_KEYS
    assert task_hook == {
        "_id": task_hook["_id"],
        "type": "task-created",
        "url": f"{RECEIVER}/task-created",
        "group": org.project,
        "user": org.member,
        "createdAt": NOW,
    }
    client_hook = await register(member, "client-created")
    assert "group" not in client_hook
    await register(connect(user=org.admin), "client-deleted")
    assert ok(await member.get("users/self/webhook")) == [task_hook, client_hook]
    path = f"users/self/webhook/{task_hook['_id']}"
    moved = ok(await member.put(path, json={"url": "https://127.0.0.1:8443/x"}))
    assert moved == task_hook | {"url": "https://127.0.0.1:8443/x"}
    retyped = ok(await member.put(path, json={"type": "task-deleted", "group": org.child}))
    assert retyped == moved | {"type": "task-deleted", "group": org.child}
    unbound = ok(await member.put(path, json={"type": "client-created", "group": None}))
    assert list(unbound) == ["_id", "type", "url", "user", "createdAt"]
    response = await member.delete(path)
    assert (response.status_code, response.content) == (204, b"")
    assert ok(await member.get("users/self/webhook")) == [client_hook]
    assert "not found" in error(await member.delete(path), 404)


async def test_someone_elses_webhook_gets_404(
    member: httpx.AsyncClient, connect: Connect, emu: Emulator, org: Org
) -> None:
    """Another user's webhook is unknown to the caller, on PUT and DELETE."""
    theirs = await register(connect(user=org.admin), "client-created")
    for hook_id in (theirs["_id"], "nope"):
        path = f"users/self/webhook/{hook_id}"
        assert error(await member.put(path, json={"url": "http://localhost/"}), 404)
        assert error(await member.delete(path), 404)
    assert emu.webhooks.get(theirs["_id"]) == theirs


@pytest.mark.parametrize("type", ["task-moved", "TASK-CREATED", "", "clientCreated"])
async def test_an_unknown_type_gets_code_118(
    member: httpx.AsyncClient, org: Org, type: str
) -> None:
    """On create, and on update (before the webhook is looked up)."""
    body = {"type": type, "url": "http://localhost/x", "group": org.project}
    for response in (
        await member.post("users/self/webhook", json=body),
        await member.put("users/self/webhook/nope", json={"type": type}),
    ):
        coded(response, 118, f"Webhook type {type!r} is not supported")


@pytest.mark.parametrize(
    "type",
    ["task-created", "task-updated", "task-deleted", "task-state-changed", "task-archived",
     "task-restored", "comment-created"],
)  # fmt: skip
async def test_a_task_type_without_group_gets_code_2(
    member: httpx.AsyncClient, org: Org, type: str
) -> None:
    """On create, and on an update that would leave it without one."""
    client_hook = await register(member, "client-created")
    for response in (
        await member.post("users/self/webhook", json={"type": type, "url": "http://localhost/"}),
        await member.put(f"users/self/webhook/{client_hook['_id']}", json={"type": type}),
    ):
        coded(response, 2, f"A {type} webhook needs group (the project it watches)")


@pytest.mark.parametrize(
    "url",
    ["ftp://localhost/x", "/hooks", "localhost:80", "http://", "http://host:port/", "mailto:a@b"],
)
async def test_a_url_must_be_absolute_http(member: httpx.AsyncClient, url: str) -> None:
    """Anything but an absolute http(s) URL with a host gets 400."""
    body = {"type": "client-created", "url": url}
    message = error(await member.post("users/self/webhook", json=body), 400)
    assert message == "url must be an absolute http or https URL"


async def test_the_group_must_exist_and_be_visible(
    connect: Connect, member: httpx.AsyncClient, org: Org
) -> None:
    """An unknown group gets 404, a project the caller cannot see 403, on create and update."""
    body = {"type": "task-created", "url": "http://localhost/", "group": "nope"}
    assert "not found" in error(await member.post("users/self/webhook", json=body), 404)
    outsider = connect(user=org.outsider)
    hidden = body | {"group": org.project}
    assert "Not permitted" in error(await outsider.post("users/self/webhook", json=hidden), 403)
    hook = await register(outsider, "client-created")
    update = await outsider.put(f"users/self/webhook/{hook['_id']}", json={"group": org.project})
    assert error(update, 403)
    refused = await member.put("users/self/webhook/x", json={})
    assert error(refused, 400) == "nothing to update: send type, url or group"


def test_the_seeding_helper_checks_what_it_stores(emu: Emulator, org: Org) -> None:
    """Unknown users, types and projects, or a task type without one: ValueError."""
    hook = emu.webhooks.add(org.member, "task-created", "anything", group=org.project)
    assert emu.webhooks.get(hook)["url"] == "anything"
    for call, match in [
        (lambda: emu.webhooks.add("nope", "client-created", "u"), "unknown user"),
        (lambda: emu.webhooks.add(org.member, "nope", "u"), "unknown webhook type"),
        (lambda: emu.webhooks.add(org.member, "task-created", "u"), "needs a group"),
        (lambda: emu.webhooks.add(org.member, "client-created", "u", group="x"), "unknown project"),
        (lambda: emu.webhooks.delete("nope"), "unknown webhook"),
    ]:
        with pytest.raises(ValueError, match=match):
            call()
    assert [h["_id"] for h in emu.webhooks.records()] == [hook]
    with pytest.raises(ValueError, match="takes an origin"):
        emu.webhooks.mount("http://receiver.test/hooks", Starlette())


# Deliveries: the events and their payloads


async def test_task_created_delivers_the_webhook_task(
    member: httpx.AsyncClient, emu: Emulator, org: Org, receiver: Receiver
) -> None:
    """Tasks and subtasks; the POST with the headers; users expanded; every attempt recorded."""
    hook = await register(member, "task-created", org.project)
    body = {"group": org.project, "name": "T", "assignees": [org.admin]}
    task = ok(await member.post("tasks", json=body))
    sub = ok(await member.post(f"tasks/{task['_id']}/subtasks", json={"name": "S"}))
    emu.add_task(org.project, "Seeded", created_by=org.member)  # seeding makes no event
    assert await delivered(emu, receiver) == [
        {"event": "task-created", "deliveryId": "dlv-000001", "createdAt": NOW,
         "task": expanded(emu, task)},
        {"event": "task-created", "deliveryId": "dlv-000002", "createdAt": NOW,
         "task": expanded(emu, sub)},
    ]  # fmt: skip
    path, headers, sent = receiver.got[0]
    assert path == "/task-created"
    assert list(expanded(emu, task)["assignees"][0]) == USER_KEYS
    expected = {
        "Content-Type": "application/json",
        "User-Agent": "cubicl-emulator",
        "X-Cubicl-Event": "task-created",
        "X-Cubicl-Delivery": "dlv-000001",
    }
    assert {name: headers[name] for name in expected} == expected
    assert "X-Cubicl-Signature" not in headers
    record = DeliveryRecord("dlv-000001", hook["_id"], "task-created", hook["url"], 1, 200, None,
                            sent, expected)  # fmt: skip
    assert emu.deliveries == [record, emu.deliveries[1]]
    assert emu.deliveries[1].delivery_id == "dlv-000002"
    event = sdk_webhooks.parse(sent, headers)
    assert isinstance(event, sdk_webhooks.TaskCreated)
    assert (event.delivery_id, event.task.assignees[0].firstname) == ("dlv-000001", "Ada")


async def test_task_updated_delivers_the_task_before_and_after(
    member: httpx.AsyncClient, emu: Emulator, org: Org, receiver: Receiver
) -> None:
    """Every update, even one that changes nothing: ``oldTask`` and ``updatedTask``."""
    await register(member, "task-updated", org.project)
    task_id = emu.add_task(org.project, "Old", created_by=org.member)
    before = emu.task(task_id)
    after = ok(await member.put(f"tasks/{task_id}", json={"name": "New"}))["task"]
    ok(await member.put(f"tasks/{task_id}", json={"name": "New"}))
    first, second = await delivered(emu, receiver)
    assert first == {"event": "task-updated", "deliveryId": "dlv-000001", "createdAt": NOW,
                     "oldTask": expanded(emu, before),
                     "updatedTask": expanded(emu, after)}  # fmt: skip
    assert second["oldTask"] == second["updatedTask"] == expanded(emu, after)
    event = sdk_webhooks.parse(receiver.got[0][2])
    assert isinstance(event, sdk_webhooks.TaskUpdated)
    assert (event.old_task.name, event.updated_task.name) == ("Old", "New")


async def test_task_state_changed_when_the_state_is_another(
    member: httpx.AsyncClient, emu: Emulator, org: Org, receiver: Receiver
) -> None:
    """Through either endpoint; the same state again, or another field, makes none."""
    await register(member, "task-state-changed", org.project)
    task_id = emu.add_task(org.project, "T", created_by=org.member)
    moved = ok(await member.put(f"tasks/{task_id}/state", json={"state": "cb_active"}))["task"]
    ok(await member.put(f"tasks/{task_id}/state", json={"state": "cb_active"}))
    ok(await member.put(f"tasks/{task_id}", json={"name": "Renamed"}))
    done = ok(await member.put(f"tasks/{task_id}", json={"state": "cb_completed"}))["task"]
    assert await delivered(emu, receiver) == [
        {"event": "task-state-changed", "deliveryId": "dlv-000001", "createdAt": NOW,
         "task": expanded(emu, moved), "oldState": "cb_waiting", "newState": "cb_active"},
        {"event": "task-state-changed", "deliveryId": "dlv-000002", "createdAt": NOW,
         "task": expanded(emu, done), "oldState": "cb_active", "newState": "cb_completed"},
    ]  # fmt: skip
    assert isinstance(sdk_webhooks.parse(receiver.got[0][2]), sdk_webhooks.TaskStateChanged)


async def test_task_archived_and_restored_when_the_task_changes_so(
    member: httpx.AsyncClient, emu: Emulator, org: Org, receiver: Receiver
) -> None:
    """``archived`` or ``archivedAt``; archiving an archived task again is only an update."""
    for kind in ("task-archived", "task-restored"):
        await register(member, kind, org.project)
    path = f"tasks/{emu.add_task(org.project, 'T', created_by=org.member)}"
    answers = [ok(await member.put(path, json=body))["task"] for body in (
        {"archived": True}, {"archived": True}, {"archived": False}, {"archived": False},
        {"archivedAt": NOW - 5}, {"archivedAt": None},
    )]  # fmt: skip
    found = [(b["event"], b["task"]) for b in await delivered(emu, receiver)]
    assert found == [
        ("task-archived", expanded(emu, answers[0])),
        ("task-restored", expanded(emu, answers[2])),
        ("task-archived", expanded(emu, answers[4])),
        ("task-restored", expanded(emu, answers[5])),
    ]
    kinds = [type(sdk_webhooks.parse(body)) for _, _, body in receiver.got]
    assert kinds[:2] == [sdk_webhooks.TaskArchived, sdk_webhooks.TaskRestored]


async def test_one_update_delivers_its_events_in_order(
    member: httpx.AsyncClient, emu: Emulator, org: Org, receiver: Receiver
) -> None:
    """Updated, then state changed, then archived."""
    for kind in ("task-archived", "task-state-changed", "task-updated"):
        await register(member, kind, org.project)
    path = f"tasks/{emu.add_task(org.project, 'T', created_by=org.member)}"
    ok(await member.put(path, json={"state": "cb_active", "archived": True}))
    bodies = await delivered(emu, receiver)
    assert [b["event"] for b in bodies] == ["task-updated", "task-state-changed", "task-archived"]


async def test_task_deleted_for_the_task_and_each_subtask(
    member: httpx.AsyncClient, emu: Emulator, org: Org, receiver: Receiver
) -> None:
    """One delivery per task deleted, the task first, each as it was."""
    await register(member, "task-deleted", org.project)
    parent = emu.add_task(org.project, "Parent", created_by=org.member)
    child = emu.add_task(org.project, "Sub", created_by=org.member, parent=parent)
    as_they_were = [emu.task(parent), emu.task(child)]
    assert (await member.delete(f"tasks/{parent}")).status_code == 204
    bodies = await delivered(emu, receiver)
    assert [b["task"] for b in bodies] == [expanded(emu, task) for task in as_they_were]
    assert isinstance(sdk_webhooks.parse(receiver.got[0][2]), sdk_webhooks.TaskDeleted)


async def test_comment_created_delivers_the_task_and_the_comment(
    member: httpx.AsyncClient, emu: Emulator, org: Org, receiver: Receiver
) -> None:
    """``comment`` is the activity as the REST API answers it."""
    await register(member, "comment-created", org.project)
    task_id = emu.add_task(org.project, "T", created_by=org.member)
    comment = ok(await member.post(f"tasks/{task_id}/activities", json={"content": "Hi"}))
    (body,) = await delivered(emu, receiver)
    assert body == {"event": "comment-created", "deliveryId": "dlv-000001", "createdAt": NOW,
                    "task": expanded(emu, emu.task(task_id)), "comment": comment}  # fmt: skip
    event = sdk_webhooks.parse(receiver.got[0][2])
    assert isinstance(event, sdk_webhooks.CommentCreated)
    assert event.comment.content == "Hi"


async def test_client_events_deliver_the_whole_record(
    connect: Connect, emu: Emulator, org: Org, receiver: Receiver
) -> None:
    """Organization-wide, to any current user's webhook; the deleted client as it was."""
    outsider = connect(user=org.outsider)
    for kind in ("client-created", "client-deleted"):
        await register(outsider, kind)
    admin = connect(user=org.admin)
    client = ok(await admin.post("crm/customers", json={"name": "Globex", "email": "a@b.c"}))
    assert (await admin.delete(f"crm/customers/{client['_id']}")).status_code == 204
    emu.customers.add("Seeded")
    bodies = await delivered(emu, receiver)
    assert bodies == [
        {"event": "client-created", "deliveryId": "dlv-000001", "createdAt": NOW, "client": client},
        {"event": "client-deleted", "deliveryId": "dlv-000002", "createdAt": NOW, "client": client},
    ]
    events = [sdk_webhooks.parse(body) for _, _, body in receiver.got]
    assert [type(e) for e in events] == [sdk_webhooks.ClientCreated, sdk_webhooks.ClientDeleted]


async def test_portal_followers_are_id_records(
    member: httpx.AsyncClient, emu: Emulator, org: Org, receiver: Receiver
) -> None:
    """``portalFollowers`` (when present) become ``[{"_id"}]``; unknown user ids ``{"_id"}``."""
    await register(member, "task-updated", org.project)
    task_id = emu.add_task(org.project, "T", created_by=org.member, portalFollowers=["p1"],
                           followers=[org.member, "ghost"])  # fmt: skip
    ok(await member.put(f"tasks/{task_id}", json={"desc": "x"}))
    (body,) = await delivered(emu, receiver)
    assert body["updatedTask"]["portalFollowers"] == [{"_id": "p1"}]
    assert body["updatedTask"]["followers"] == [user(emu, org.member), {"_id": "ghost"}]


# Deliveries: who gets them


async def test_a_webhook_hears_of_its_project_only(
    member: httpx.AsyncClient, emu: Emulator, org: Org, receiver: Receiver
) -> None:
    """Exactly the project of the webhook: not its children, not another."""
    await register(member, "task-created", org.project)
    ok(await member.post("tasks", json={"group": org.child, "name": "In the child"}))
    ok(await member.post("tasks", json={"group": org.project, "name": "Here"}))
    assert [b["task"]["name"] for b in await delivered(emu, receiver)] == ["Here"]


async def test_only_owners_who_may_see_the_task_get_it(
    connect: Connect, member: httpx.AsyncClient, emu: Emulator, org: Org, receiver: Receiver
) -> None:
    """A private task reaches its admins, not a member; a removed owner gets nothing."""
    await register(member, "task-created", org.project)
    admin = connect(user=org.admin)
    admins = await register(admin, "task-created", org.project)
    ok(await admin.post("tasks", json={"group": org.project, "name": "Secret", "private": True}))
    assert len(await delivered(emu, receiver)) == 1
    assert [record.webhook_id for record in emu.deliveries] == [admins["_id"]]
    emu.users.remove(org.member)
    ok(await admin.post("tasks", json={"group": org.project, "name": "Open"}))
    assert [b["task"]["name"] for b in await delivered(emu, receiver)] == ["Secret", "Open"]


# Sending: retries, refusals, the loopback network


async def test_a_failing_receiver_is_retried_then_given_up(
    member: httpx.AsyncClient, emu: Emulator, org: Org, receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    """Up to 3 attempts, the same delivery each time; then a warning."""
    await register(member, "client-created")
    receiver.statuses = [500, 503]
    ok(await member.post("crm/customers", json={"name": "A"}))
    await emu.webhooks.drain()
    assert [(d.delivery_id, d.attempt, d.status, d.error) for d in emu.deliveries] == [
        ("dlv-000001", 1, 500, "HTTP 500"),
        ("dlv-000001", 2, 503, "HTTP 503"),
        ("dlv-000001", 3, 200, None),
    ]
    assert len({body for _, _, body in receiver.got}) == 1
    emu.deliveries.clear()
    receiver.statuses = [500] * 5
    emu.webhooks.retry_delays = (0,)
    with caplog.at_level(logging.WARNING, "cubicl_async.testing"):
        ok(await member.post("crm/customers", json={"name": "B"}))
        await emu.webhooks.drain()
    assert [(d.attempt, d.status) for d in emu.deliveries] == [(1, 500), (2, 500)]
    assert "delivery dlv-000002 to http://receiver.test/client-created failed after 2 attempts" in (
        caplog.text
    )


async def test_a_connection_error_is_recorded_with_status_0(
    member: httpx.AsyncClient, emu: Emulator, org: Org
) -> None:
    """A loopback port nobody listens on: three attempts, each a connection error."""
    with serve_app(Starlette()) as origin:
        pass  # the port is free again
    body = {"type": "client-created", "url": f"{origin}/gone"}
    ok(await member.post("users/self/webhook", json=body))
    ok(await member.post("crm/customers", json={"name": "A"}))
    await emu.webhooks.drain()
    assert [(d.attempt, d.status) for d in emu.deliveries] == [(1, 0), (2, 0), (3, 0)]
    assert all(d.error and d.error.startswith("ConnectError") for d in emu.deliveries)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",
        "https://10.1.2.3/x",
        "http://[::2]:8080/",
        "http://localhost.example/",
    ],
)
async def test_a_url_off_loopback_is_refused_without_a_connection(
    member: httpx.AsyncClient, emu: Emulator, org: Org, url: str,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    """Refused, logged and recorded once (status 0); no connection is even tried."""
    contacted: list[httpx.Request] = []

    async def never(self: Any, request: httpx.Request) -> httpx.Response:
        contacted.append(request)  # pragma: no cover (the test fails if it runs)
        raise AssertionError("contacted")  # pragma: no cover

    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", never)
    hook = ok(await member.post("users/self/webhook", json={"type": "client-created", "url": url}))
    with caplog.at_level(logging.WARNING, "cubicl_async.testing"):
        ok(await member.post("crm/customers", json={"name": "A"}))
        await emu.webhooks.drain()
    (record,) = emu.deliveries
    assert (record.webhook_id, record.url, record.attempt, record.status) == (
        hook["_id"],
        url,
        1,
        0,
    )
    assert record.error == "refused: deliveries go only to loopback addresses or mounted origins"
    assert contacted == []
    assert url in caplog.text


async def test_a_seeded_url_that_is_not_one_is_refused(
    member: httpx.AsyncClient, emu: Emulator, org: Org
) -> None:
    """The seeding helper stores any URL; one without an http(s) origin is refused."""
    emu.webhooks.add(org.member, "client-created", "not a url")
    ok(await member.post("crm/customers", json={"name": "A"}))
    await emu.webhooks.drain()
    assert [(d.url, d.status, d.error is not None) for d in emu.deliveries] == [
        ("not a url", 0, True)
    ]
    assert emu.deliveries is emu.webhooks.deliveries
    with pytest.raises(ValueError, match="takes an origin"):
        emu.webhooks.mount("receiver.test", Starlette())


async def test_a_failing_delivery_task_is_logged(
    member: httpx.AsyncClient, emu: Emulator, org: Org, receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    """A bug in the sender does not go unseen: the task's exception is logged."""

    async def broken(client: httpx.AsyncClient, record: DeliveryRecord) -> tuple[int, None]:
        raise RuntimeError("boom")

    monkeypatch.setattr("cubicl_async.testing.webhooks._delivery._post", broken)
    await register(member, "client-created")
    ok(await member.post("crm/customers", json={"name": "A"}))
    await emu.webhooks.drain()
    (logged,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert logged.getMessage() == "webhook delivery task failed"
    assert str(logged.exc_info and logged.exc_info[1]) == "boom"


def test_loopback_addresses() -> None:
    """``localhost``, 127.0.0.0/8 and ::1 are loopback; nothing else is."""
    assert all(map(is_loopback, ["localhost", "LOCALHOST", "127.0.0.1", "127.255.1.2", "::1"]))
    outside = ["128.0.0.1", "::2", "0.0.0.0", "example.com", "10.0.0.1"]  # noqa: S104 (not bound)
    assert not any(map(is_loopback, outside))


async def test_a_delivery_over_a_real_loopback_socket(
    member: httpx.AsyncClient, emu: Emulator, org: Org
) -> None:
    """A receiver served by uvicorn on a free port gets the POST."""
    receiver = Receiver()
    with serve_app(receiver.app) as origin:
        body = {"type": "client-created", "url": f"{origin}/hooks?key=s3cret"}
        ok(await member.post("users/self/webhook", json=body))
        client = ok(await member.post("crm/customers", json={"name": "A"}))
        await emu.webhooks.drain()
    (path, headers, sent) = receiver.got[0]
    assert (path, headers["x-cubicl-event"], len(receiver.got)) == ("/hooks", "client-created", 1)
    assert json.loads(sent)["client"] == client
    assert [(d.status, d.error) for d in emu.deliveries] == [(200, None)]


# Sending: in the background


@pytest.fixture
async def held(member: httpx.AsyncClient, org: Org, receiver: Receiver) -> asyncio.Event:
    """Make a delivery that the receiver holds until the event returned is set."""
    await register(member, "client-created")
    receiver.gate = asyncio.Event()
    ok(await member.post("crm/customers", json={"name": "A"}))
    return receiver.gate


async def test_the_answer_never_waits_for_a_delivery(
    emu: Emulator, receiver: Receiver, held: asyncio.Event
) -> None:
    """The API answers while the receiver still holds the delivery."""
    assert (emu.deliveries, receiver.got) == ([], [])
    held.set()
    assert len(await delivered(emu, receiver)) == 1


async def test_drain_is_bounded_and_aclose_cancels(
    emu: Emulator, receiver: Receiver, held: asyncio.Event
) -> None:
    """A delivery that never ends: drain raises TimeoutError; aclose cancels it."""
    with pytest.raises(TimeoutError):
        await emu.webhooks.drain(within=0.01)
    await emu.aclose()
    await emu.webhooks.drain(within=0)
    assert (emu.deliveries, receiver.got) == ([], [])


class Holding(Receiver):
    """A receiver that holds every request until it is cancelled."""

    async def _receive(self, request: Request) -> Response:
        await asyncio.Event().wait()
        raise AssertionError("released")  # pragma: no cover


async def test_deliveries_of_a_served_emulator_are_drained_and_closed(
    emu: Emulator, org: Org, receiver: Receiver
) -> None:
    """Under `serve`, deliveries run in the server's loop: drain and aclose reach them."""
    holding = Holding()
    emu.webhooks.mount("http://holding.test", holding.app)
    emu.webhooks.add(org.member, "client-created", f"{RECEIVER}/a")
    with serve(emu) as base_url:
        headers = {"Authorization": f"Bearer {emu.token(org.member)}"}
        async with httpx.AsyncClient(base_url=base_url, headers=headers) as http:
            ok(await http.post("crm/customers", json={"name": "A"}))
            assert len(await delivered(emu, receiver)) == 1
            emu.webhooks.add(org.member, "client-created", "http://holding.test/b")
            ok(await http.post("crm/customers", json={"name": "B"}))
            with pytest.raises(TimeoutError):
                await emu.webhooks.drain(within=0.01)
            await emu.aclose()
    assert [d.url for d in emu.deliveries] == [f"{RECEIVER}/a", f"{RECEIVER}/a"]
