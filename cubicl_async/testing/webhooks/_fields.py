"""The Webhooks area's request bodies and the wire values of the nine webhook types."""

from __future__ import annotations

from urllib.parse import urlsplit

from .._fields import NULL, STRING, Body, kind, non_empty

#: The webhook types, as sent and stored (the SDK's ``WebhookType`` uses the same values).
CLIENT_TYPES = ("client-created", "client-deleted")
TASK_TYPES = (
    "task-created",
    "task-updated",
    "task-deleted",
    "task-state-changed",
    "task-archived",
    "task-restored",
    "comment-created",
)
TYPES = (*CLIENT_TYPES, *TASK_TYPES)


def is_url(value: str) -> bool:
    """Tell whether a string is an absolute http or https URL naming a host."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (a port that is not a number raises ValueError)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


#: A type name (whether it is one of `TYPES` is the handler's check: code 118).
TYPE = kind("a webhook type (a string)", STRING)
URL = kind("an absolute http or https URL", STRING, valid=is_url, example="http://127.0.0.1/hook")
#: The project a task type watches; null (on update) unbinds the webhook.
GROUP = kind("a project id (a non-empty string) or null", STRING, NULL, valid=non_empty)

#: ``POST /users/self/webhook``: type and url required; nulls count as not sent.
CREATE = Body(
    {"type": TYPE, "url": URL, "group": GROUP},
    required=frozenset({"type", "url"}),
    null_is_absent=True,
)
#: ``PUT /users/self/webhook/:id``: any of them; a null group unbinds.
UPDATE = Body({"type": TYPE, "url": URL, "group": GROUP})
