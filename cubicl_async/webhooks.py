"""Receiving Cubicl's webhook deliveries: `parse()` into typed events, and secret URLs.

The API docs define no signature on deliveries, so nothing in a delivery proves where it
came from: the only protection a receiver has is a URL nobody can guess. Register the
webhook at a URL holding a secret from `new_secret()` (`https://you.example/hooks/<secret>`),
keep the secret out of logs, and refuse any request whose path does not hold it, compared
with `secret_matches` (constant time). Use HTTPS, so the secret travels encrypted.

A delivery is a JSON object: the event's name under `event` (also sent as the
`X-Cubicl-Event` header), a `deliveryId`, `createdAt`, and the event's own keys (the
emulator's contract: docs/emulator.md, section Webhooks). `parse` reads an event it does
not know as `UnknownEvent` with the raw JSON, so a new event type never raises.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

import attrs

from ._common import TaskBase, User
from ._convert import StructureFailure, structure
from ._customers import Customer
from ._errors import DecodeError
from ._tasks import TaskActivity
from ._webhooks import WebhookType

T = TypeVar("T")

__all__ = [
    "ClientCreated",
    "ClientDeleted",
    "CommentCreated",
    "PortalUser",
    "TaskArchived",
    "TaskCreated",
    "TaskDeleted",
    "TaskRestored",
    "TaskStateChanged",
    "TaskUpdated",
    "UnknownEvent",
    "WebhookEvent",
    "WebhookTask",
    "new_secret",
    "parse",
    "secret_matches",
]


@attrs.frozen(kw_only=True)
class PortalUser:
    """A Client Portal user, as a webhook's task names one (the docs do not capture it)."""

    #: Portal user id.
    id: str
    #: Name.
    name: str | None = None
    #: Email address.
    email: str | None = None
    #: Other keys, as raw JSON.
    extra: dict[str, Any] = attrs.field(factory=dict, metadata={"extra": True})


@attrs.frozen(kw_only=True)
class WebhookTask(TaskBase):
    """A task as deliveries carry it: the REST `Task`'s fields, with its users expanded."""

    #: The assignees.
    assignees: tuple[User, ...] = ()
    #: The owner (creator).
    assigned_by: User | None = None
    #: The followers.
    followers: tuple[User, ...] = ()
    #: The Client Portal users following a shared task.
    portal_followers: tuple[PortalUser, ...] = ()


@attrs.frozen(kw_only=True)
class WebhookEvent:
    """What every delivery has."""

    #: The event (`event` on the wire).
    type: WebhookType | str | None = attrs.field(default=None, metadata={"wire": "event"})
    #: The delivery's id: the same for every retry of one delivery (de-duplicate on it).
    delivery_id: str | None = None
    #: When the event happened.
    created_at: datetime | None = None


@attrs.frozen(kw_only=True)
class TaskCreated(WebhookEvent):
    """A task was created."""

    #: The new task.
    task: WebhookTask


@attrs.frozen(kw_only=True)
class TaskUpdated(WebhookEvent):
    """A task was updated: the task before and after."""

    #: The task before the change.
    old_task: WebhookTask
    #: The task after it.
    updated_task: WebhookTask


@attrs.frozen(kw_only=True)
class TaskDeleted(WebhookEvent):
    """A task was deleted."""

    #: The task as it was.
    task: WebhookTask


@attrs.frozen(kw_only=True)
class TaskStateChanged(WebhookEvent):
    """A task moved to another state."""

    #: The task, in its new state.
    task: WebhookTask
    #: The state it left.
    old_state: str | None = None
    #: The state it entered.
    new_state: str | None = None


@attrs.frozen(kw_only=True)
class TaskArchived(WebhookEvent):
    """A task was archived."""

    #: The task.
    task: WebhookTask


@attrs.frozen(kw_only=True)
class TaskRestored(WebhookEvent):
    """An archived task was restored."""

    #: The task.
    task: WebhookTask


@attrs.frozen(kw_only=True)
class CommentCreated(WebhookEvent):
    """A comment (a "post") was added to a task."""

    #: The task.
    task: WebhookTask
    #: The comment.
    comment: TaskActivity


@attrs.frozen(kw_only=True)
class ClientCreated(WebhookEvent):
    """A customer (a "client") was created."""

    #: The new customer.
    client: Customer


@attrs.frozen(kw_only=True)
class ClientDeleted(WebhookEvent):
    """A customer was deleted."""

    #: The customer as it was.
    client: Customer


@attrs.frozen(kw_only=True)
class UnknownEvent(WebhookEvent):
    """An event this SDK does not know (a newer one): its JSON, as it came."""

    #: The whole delivery, raw.
    data: dict[str, Any] = attrs.field(factory=dict)


_EVENTS: dict[str, type[WebhookEvent]] = {
    WebhookType.TASK_CREATED: TaskCreated,
    WebhookType.TASK_UPDATED: TaskUpdated,
    WebhookType.TASK_DELETED: TaskDeleted,
    WebhookType.TASK_STATE_CHANGED: TaskStateChanged,
    WebhookType.TASK_ARCHIVED: TaskArchived,
    WebhookType.TASK_RESTORED: TaskRestored,
    WebhookType.COMMENT_CREATED: CommentCreated,
    WebhookType.CLIENT_CREATED: ClientCreated,
    WebhookType.CLIENT_DELETED: ClientDeleted,
}


def parse(
    body: bytes | str | Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> WebhookEvent:
    """Read a delivery (its body, and optionally its headers) as a typed event.

    The event's name comes from the body's `event`, else the `X-Cubicl-Event` header;
    a body with `oldTask` and `updatedTask` is a `TaskUpdated` even without a name. An
    unknown name gives `UnknownEvent`; a body that is not a JSON object, or a known event
    whose keys do not fit it, raises `DecodeError`.
    """
    data = _object(body)
    name = data.get("event") or _header(headers, "x-cubicl-event")
    if name is None and {"oldTask", "updatedTask"} <= data.keys():
        name = WebhookType.TASK_UPDATED
    kind = _EVENTS.get(name) if isinstance(name, str) else None
    if kind is None:
        unknown: UnknownEvent = _structure(body, {**_envelope(data), "event": name}, UnknownEvent)
        return attrs.evolve(unknown, data=data)
    event: WebhookEvent = _structure(body, {**data, "event": name}, kind)
    return event


def _failure(body: bytes | str | Mapping[str, Any], exc: Exception) -> DecodeError:
    content = body.encode() if isinstance(body, str) else body
    if not isinstance(content, bytes):
        content = json.dumps(content, default=str).encode()
    return DecodeError(f"webhook delivery: {exc}", body=content, method="POST",
                       url="(webhook delivery)", request_id=None)  # fmt: skip


def _object(body: bytes | str | Mapping[str, Any]) -> dict[str, Any]:
    """Return the delivery as a dict, or raise `DecodeError`."""
    try:
        data = json.loads(body) if isinstance(body, bytes | bytearray | str) else dict(body)
    except (ValueError, TypeError) as exc:
        raise _failure(body, exc) from exc
    if not isinstance(data, dict):
        raise _failure(body, ValueError("a delivery is a JSON object"))
    return data


def _structure(body: bytes | str | Mapping[str, Any], data: dict[str, Any], kind: type[T]) -> T:
    try:
        return structure(data, kind)
    except StructureFailure as exc:
        raise _failure(body, exc) from exc


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    return next((value for key, value in headers.items() if key.lower() == name), None)


def _envelope(data: dict[str, Any]) -> dict[str, Any]:
    return {k: data[k] for k in ("deliveryId", "createdAt") if k in data}


def new_secret() -> str:
    """Return a new secret for a webhook URL: 32 random bytes, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def secret_matches(received: str, secret: str) -> bool:
    """Tell, in constant time, whether the secret a request carries is the right one."""
    return hmac.compare_digest(received.encode(), secret.encode())
