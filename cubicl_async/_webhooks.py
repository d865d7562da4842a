"""Webhooks: the `Webhook` record, the event types, and `client.webhooks` (the caller's hooks).

The API docs name nine events but not their wire values: the values below are the
emulator's (docs/emulator.md, section Webhooks), and any other string the server sends
is kept as it is.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import ClassVar
from urllib.parse import urlsplit

import attrs

from ._convert import UNSET, Unset, request_body
from ._display import Record
from ._pagination import Pager
from ._resource import Resource
from ._wire import check_id, path

__all__ = ["TASK_EVENTS", "Webhook", "WebhookType", "Webhooks"]


class WebhookType(enum.StrEnum):
    """The events a webhook can be registered for; other values are kept as strings."""

    CLIENT_CREATED = "client-created"
    CLIENT_DELETED = "client-deleted"
    TASK_CREATED = "task-created"
    TASK_UPDATED = "task-updated"
    TASK_DELETED = "task-deleted"
    TASK_STATE_CHANGED = "task-state-changed"
    TASK_ARCHIVED = "task-archived"
    TASK_RESTORED = "task-restored"
    COMMENT_CREATED = "comment-created"


#: The events about tasks: a webhook for one of them is bound to a project.
TASK_EVENTS = frozenset(t for t in WebhookType if t.name.startswith(("TASK_", "COMMENT_")))


@attrs.frozen(kw_only=True)
class Webhook(Record):
    """A webhook of the caller's: where Cubicl POSTs the deliveries of one event type."""

    _card: ClassVar[tuple[str, ...]] = ("type", "url", "project")

    #: Webhook id.
    id: str
    #: The event it is for.
    type: WebhookType | str | None = None
    #: Where deliveries go.
    url: str | None = None
    #: The project, for a task event (`group` on the wire).
    project: str | None = attrs.field(default=None, metadata={"wire": "group"})
    #: The user it belongs to.
    user: str | None = None
    #: Creation time.
    created_at: datetime | None = None


def _url(url: object) -> str:
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"url must be an absolute http(s) URL, got {url!r}")
    if not urlsplit(url).hostname:
        raise ValueError(f"url names no host: {url!r}")
    return url


class Webhooks(Resource):
    """`client.webhooks`: list, register, change and remove the caller's webhooks."""

    def list(self) -> Pager[Webhook]:
        """List the caller's webhooks (one request)."""
        return self._unpaged("users/self/webhook", Webhook)

    async def create(
        self, *, type: WebhookType | str, url: str, project: str | None = None
    ) -> Webhook:
        """Register a webhook; a task event needs the `project` it watches.

        Refused before sending: a task event without `project`, a URL that is not
        absolute http(s). The server refuses a type it does not support (code 118).
        """
        if type in TASK_EVENTS and project is None:
            raise ValueError(f"a {type} webhook needs project= (the project it watches)")
        body = {"type": type, "url": _url(url)}
        if project is not None:
            body["group"] = check_id("project", project)
        return await self._post("users/self/webhook", body=body, into=Webhook)

    async def update(
        self,
        webhook_id: str,
        *,
        type: WebhookType | str | Unset = UNSET,
        url: str | Unset = UNSET,
        project: str | Unset | None = UNSET,
    ) -> Webhook:
        """Change some fields of a webhook: only those given are sent (`project=None` unbinds)."""
        if not isinstance(url, Unset):
            _url(url)
        if isinstance(project, str):
            check_id("project", project)
        body = request_body({"type": type, "url": url, "group": project})
        if not body:
            raise ValueError("update needs at least one field to change")
        return await self._put(
            path("users/self/webhook/{webhook_id}", webhook_id=webhook_id), body=body, into=Webhook
        )

    async def delete(self, webhook_id: str) -> None:
        """Remove a webhook."""
        await self._delete(path("users/self/webhook/{webhook_id}", webhook_id=webhook_id))
