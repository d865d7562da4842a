"""The Webhooks area's endpoints (cubicl-api.md §10.1): the caller's webhooks, ``users/self``.

Every handler checks, in this order: the request's shape (400; a type that is not one
of the nine: 400 code 118), the webhook it names (404, also for someone else's), then
the webhook as it would be: a task type without ``group`` (400 code 2), an unknown
``group`` (404), a project the caller cannot see (403).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._endpoint import Call, Endpoint
from .._http import ApiError
from . import _fields as bodies
from ._fields import TASK_TYPES, TYPES
from ._records import Webhooks


def _check_type(fields: Mapping[str, Any]) -> None:
    """Answer 400 code 118 for a type that is not one of the nine."""
    if "type" in fields and fields["type"] not in TYPES:
        raise ApiError(400, f"Webhook type {fields['type']!r} is not supported", code=118)


def _fit(webhooks: Webhooks, user_id: str, hook: Mapping[str, Any]) -> None:
    """Check the webhook as it would be: its project (code 2, 404, 403)."""
    group = hook.get("group")
    if group is None:
        if hook["type"] in TASK_TYPES:
            message = f"A {hook['type']} webhook needs group (the project it watches)"
            raise ApiError(400, message, code=2)
        return
    if not webhooks.projects.has(group):
        raise ApiError(404, f"Project {group!r} not found")
    if not webhooks.projects.visible(user_id, group):
        raise ApiError(403, f"Not permitted to see project {group!r}")


def _hook(webhooks: Webhooks, call: Call) -> Mapping[str, Any]:
    """Return the caller's webhook of the path (404 if unknown or someone else's)."""
    hook_id = call.params["webhook_id"]
    hook = webhooks.find(hook_id)
    if hook is None or hook["user"] != call.user_id:
        raise ApiError(404, f"Webhook {hook_id!r} not found")
    return hook


def listing(webhooks: Webhooks, call: Call) -> list[dict[str, Any]]:
    """``GET /users/self/webhook``: the caller's webhooks, in creation order."""
    mine = [hook["_id"] for hook in webhooks.records() if hook["user"] == call.user_id]
    return [webhooks.get(hook_id) for hook_id in mine]


def create(webhooks: Webhooks, call: Call) -> dict[str, Any]:
    """``POST /users/self/webhook``: the new webhook."""
    _check_type(call.fields)
    _fit(webhooks, call.user_id, call.fields)
    fields = call.fields
    hook_id = webhooks.add(call.user_id, fields["type"], fields["url"], group=fields.get("group"))
    return webhooks.get(hook_id)


def update(webhooks: Webhooks, call: Call) -> dict[str, Any]:
    """``PUT /users/self/webhook/:id``: the webhook, with the fields sent changed."""
    if not call.fields:
        raise ApiError(400, "nothing to update: send type, url or group")
    _check_type(call.fields)
    hook = _hook(webhooks, call)
    _fit(webhooks, call.user_id, {**hook, **call.fields})
    webhooks.change(hook["_id"], call.fields)
    return webhooks.get(hook["_id"])


def delete(webhooks: Webhooks, call: Call) -> None:
    """``DELETE /users/self/webhook/:id``: the webhook goes (deliveries under way go on)."""
    webhooks.delete(_hook(webhooks, call)["_id"])


ENDPOINTS = [
    Endpoint("GET", "/users/self/webhook", listing),
    Endpoint("POST", "/users/self/webhook", create, bodies.CREATE),
    Endpoint("PUT", "/users/self/webhook/{webhook_id}", update, bodies.UPDATE),
    Endpoint("DELETE", "/users/self/webhook/{webhook_id}", delete, status=204),
]
