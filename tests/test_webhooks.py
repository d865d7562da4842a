"""Webhooks through the SDK: managing them, parsing deliveries, and one end to end on loopback."""

from __future__ import annotations

import json

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cubicl_async import AsyncCubicl, BadRequestError, DecodeError, Webhook, WebhookType
from cubicl_async.testing import Demo, Emulator
from cubicl_async.testing._server import serve_app
from cubicl_async.webhooks import (
    ClientCreated,
    CommentCreated,
    TaskStateChanged,
    TaskUpdated,
    UnknownEvent,
    WebhookEvent,
    new_secret,
    parse,
    secret_matches,
)

RECEIVER = "http://receiver.test/hooks"


async def test_create_list_update_delete(client: AsyncCubicl, demo: Demo) -> None:
    """The caller's hooks: registered with the chosen event names, changed, removed."""
    backend = demo.projects["Backend"]
    made = await client.webhooks.create(type=WebhookType.TASK_UPDATED, url=RECEIVER,
                                        project=backend)  # fmt: skip
    assert isinstance(made, Webhook)
    assert (made.type, made.project, made.url) == (WebhookType.TASK_UPDATED, backend, RECEIVER)
    clients = await client.webhooks.create(type="client-created", url=RECEIVER)
    assert [h.id for h in await client.webhooks.list()] == [made.id, clients.id]
    moved = await client.webhooks.update(made.id, url=RECEIVER + "/v2")
    assert (moved.url, moved.type) == (RECEIVER + "/v2", WebhookType.TASK_UPDATED)
    await client.webhooks.delete(clients.id)
    assert [h.id for h in await client.webhooks.list()] == [made.id]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"type": WebhookType.TASK_CREATED, "url": RECEIVER}, "needs project="),
        ({"type": "comment-created", "url": RECEIVER}, "needs project="),
        ({"type": "client-created", "url": "ftp://x"}, "absolute http"),
        ({"type": "client-created", "url": "/relative"}, "absolute http"),
    ],
    ids=["task-no-project", "comment-no-project", "ftp", "relative"],
)
async def test_bad_hooks_are_refused_before_sending(
    local: AsyncCubicl, emu: Emulator, kwargs: dict[str, str], message: str
) -> None:
    """A task event without a project, a URL that is not absolute http(s): ValueError."""
    with pytest.raises(ValueError, match=message):
        await local.webhooks.create(**kwargs)  # type: ignore[arg-type]
    assert emu.requests == []


async def test_the_servers_codes_2_and_118(local: AsyncCubicl, demo: Demo) -> None:
    """An unknown type is code 118; a task type left without a project code 2: BadRequest."""
    with pytest.raises(BadRequestError) as unknown:
        await local.webhooks.create(type="invoice-paid", url=RECEIVER)
    assert unknown.value.code == 118
    hook = await local.webhooks.create(type="client-created", url=RECEIVER)
    with pytest.raises(BadRequestError) as unbound:
        await local.webhooks.update(hook.id, type=WebhookType.TASK_DELETED)
    assert unbound.value.code == 2


async def test_every_delivery_parses_into_its_event(
    local: AsyncCubicl, emu: Emulator, demo: Demo
) -> None:
    """Deliveries to a mounted receiver: typed events with old and new values."""
    seen: list[WebhookEvent] = []

    async def receive(request: Request) -> Response:
        seen.append(parse(await request.body(), request.headers))
        return Response(status_code=204)

    emu.webhooks.retry_delays = ()
    receiver = Starlette(routes=[Route("/hooks", receive, methods=["POST"])])
    emu.webhooks.mount("http://receiver.test", receiver)
    api = demo.projects["API"]  # the project of "Design endpoints": hooks watch exactly it
    for kind in (WebhookType.TASK_UPDATED, WebhookType.TASK_STATE_CHANGED,
                 WebhookType.COMMENT_CREATED):  # fmt: skip
        await local.webhooks.create(type=kind, url=RECEIVER, project=api)
    await local.webhooks.create(type=WebhookType.CLIENT_CREATED, url=RECEIVER)
    task = demo.tasks["Design endpoints"]
    await local.tasks.update(task, name="Design the endpoints")
    await local.tasks.set_state(task, "done")
    await local.tasks.comment(task, "Looks right")
    await local.customers.create(name="Hooli")
    await emu.webhooks.drain()
    kinds = {type(event) for event in seen}
    assert kinds == {TaskUpdated, TaskStateChanged, CommentCreated, ClientCreated}
    updated = next(e for e in seen if isinstance(e, TaskUpdated))
    assert (updated.old_task.name, updated.updated_task.name) == (
        "Design endpoints", "Design the endpoints"
    )  # fmt: skip
    assert updated.updated_task.assigned_by is not None
    assert updated.updated_task.assigned_by.id == demo.admin  # an expanded user record
    changed = next(e for e in seen if isinstance(e, TaskStateChanged))
    assert changed.new_state == "done"
    assert changed.delivery_id
    comment = next(e for e in seen if isinstance(e, CommentCreated))
    assert comment.comment.content == "Looks right"


def test_parse_is_forward_compatible_and_strict_about_json() -> None:
    """An unknown event is UnknownEvent with its JSON; oldTask+updatedTask is TaskUpdated."""
    future = parse(json.dumps({"event": "task-moved", "deliveryId": "d1", "x": 1}))
    assert isinstance(future, UnknownEvent)
    assert (future.type, future.data["x"]) == ("task-moved", 1)
    unnamed = parse({"oldTask": {"_id": "t"}, "updatedTask": {"_id": "t", "name": "n"}})
    assert isinstance(unnamed, TaskUpdated)
    by_header = parse(b'{"task": {"_id": "t"}, "oldState": "a", "newState": "b"}',
                      {"X-Cubicl-Event": "task-state-changed"})  # fmt: skip
    assert isinstance(by_header, TaskStateChanged)
    for bad in (b"not json", b"[1, 2]", b'{"event": "task-updated", "oldTask": 5}'):
        with pytest.raises(DecodeError):
            parse(bad)


def test_secrets_are_long_random_and_compared_in_constant_time() -> None:
    """new_secret: 43 URL-safe characters, never twice the same; secret_matches compares."""
    one, two = new_secret(), new_secret()
    assert len(one) == 43
    assert one != two
    assert secret_matches(one, one)
    assert not secret_matches(two, one)


async def test_end_to_end_on_loopback_behind_a_secret_url(demo: Demo, emu: Emulator) -> None:
    """A Starlette receiver on loopback, hooks through the SDK, update and state change.

    The receiver gets a TaskUpdated and a TaskStateChanged with the right old and new
    values; a request to a wrong secret path is refused.
    """
    secret = new_secret()
    events: list[WebhookEvent] = []

    async def receive(request: Request) -> Response:
        if not secret_matches(request.path_params["secret"], secret):
            return Response(status_code=404)
        events.append(parse(await request.body(), request.headers))
        return Response(status_code=204)

    app = Starlette(routes=[Route("/hooks/{secret}", receive, methods=["POST"])])
    emu.webhooks.retry_delays = ()
    with serve_app(app) as origin:
        async with AsyncCubicl(emu.token(demo.admin), base_url=emu.base_url_in_process,
                               transport=emu.transport(), rate_limit=None) as client:  # fmt: skip
            url = f"{origin}/hooks/{secret}"
            api = demo.projects["API"]
            await client.webhooks.create(type=WebhookType.TASK_UPDATED, url=url, project=api)
            await client.webhooks.create(type=WebhookType.TASK_STATE_CHANGED, url=url,
                                         project=api)  # fmt: skip
            task = demo.tasks["Design endpoints"]
            await client.tasks.update(task, priority=5)
            await client.tasks.set_state(task, "done")
            await emu.webhooks.drain()
        async with httpx.AsyncClient() as http:
            refused = await http.post(f"{origin}/hooks/{new_secret()}", json={})
    assert refused.status_code == 404
    updated = next(e for e in events if isinstance(e, TaskUpdated))
    assert (updated.old_task.priority, updated.updated_task.priority) == (3, 5)
    changed = next(e for e in events if isinstance(e, TaskStateChanged))
    assert (changed.old_state, changed.new_state) == ("doing", "done")
    assert all(d.status == 204 for d in emu.deliveries)
