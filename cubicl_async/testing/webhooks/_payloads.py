"""What a delivery carries: the event's data, tasks as webhooks send them (users expanded)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .._store import ordered_copy
from ..users import Users, summary

#: A User record's keys, in order.
USER_KEYS = ("_id", "firstname", "lastname", "email", "profile")

#: The keys of an event's data that hold a task (rendered as `webhook_task`).
TASK_DATA = frozenset({"task", "oldTask", "updatedTask"})


def user(users: Users, user_id: Any) -> dict[str, Any]:
    """Return a User record ``{"_id", "firstname", "lastname", "email", "profile"}``.

    Removed users are rendered too; an id no user has gives ``{"_id": <id>}``.
    """
    found = users.find(user_id) if isinstance(user_id, str) else None
    if found is None:
        return {"_id": user_id}
    return ordered_copy({**summary(found), "email": found.email}, USER_KEYS)


def webhook_task(users: Users, task: Mapping[str, Any]) -> dict[str, Any]:
    """Return the webhook variant of a REST task (cubicl-api.md §10.2).

    ``assignees`` and ``followers`` become lists of User records, ``assignedBy`` one,
    and ``portalFollowers`` (when present) ``[{"_id": <id>}]``; the rest is as sent.
    """
    rendered = copy.deepcopy(dict(task))
    for key in ("assignees", "followers"):
        if key in rendered:
            rendered[key] = [user(users, user_id) for user_id in rendered[key]]
    if "assignedBy" in rendered:
        rendered["assignedBy"] = user(users, rendered["assignedBy"])
    if "portalFollowers" in rendered:
        rendered["portalFollowers"] = [{"_id": pid} for pid in rendered["portalFollowers"]]
    return rendered


def payload(users: Users, data: Mapping[str, Any]) -> dict[str, Any]:
    """Return an event's own keys as a delivery sends them (after its envelope)."""
    return {
        key: webhook_task(users, value) if key in TASK_DATA else copy.deepcopy(value)
        for key, value in data.items()
    }
