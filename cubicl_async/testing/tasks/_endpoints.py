"""The Tasks area's endpoints (cubicl-api.md §5): the ten ``/tasks`` endpoints and their checks.

Every handler checks, in this order: the request's shape (400; the body was parsed
before the handler runs), the records it names (404), the caller's permission (403),
then whether it fits the data (400 for steps or a recurrence that do not match, 422 for
unknown states, users or clients). A success publishes what changed on
``tasks.events`` (see docs/emulator.md, Webhooks: events).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from .. import _paging as paging
from .._endpoint import Call, Endpoint
from .._fields import is_number
from .._http import ApiError
from . import _access as access
from . import _fields as bodies
from ._query import matches, parse_query, project
from ._records import Tasks, ordered


def _fit(tasks: Tasks, group: str, task: Mapping[str, Any], fields: dict[str, Any]) -> None:
    """Check the changes against the data (400, 422); embed the client reference."""
    bodies.check_pairs(task, fields)
    if "state" in fields:
        _check_state(tasks, group, fields["state"])
    for user_id in fields.get("assignees", []):
        if not tasks.users.is_current(user_id):
            raise ApiError(422, f"Assignee {user_id!r} is not a user of the organization")
    customer = fields.get("customer")
    if customer is not None:
        if not tasks.customers.has(customer):
            raise ApiError(422, f"Client {customer!r} not found")
        fields["customer"] = tasks.customers.get(customer)


def _check_state(tasks: Tasks, group: str, state: str) -> None:
    if tasks.projects.state_type(group, state) is None:
        raise ApiError(422, f"State {state!r} is not defined in project {group!r}")


def _task(tasks: Tasks, call: Call, action: str) -> Mapping[str, Any]:
    """Return the task of the path (404) if the caller may do ``action`` on it (403)."""
    task = access.find(tasks, call.user_id, call.params["task_id"])
    access.require(tasks, call.user_id, task, action)
    return task


# Tasks


def search(tasks: Tasks, call: Call) -> list[dict[str, Any]]:
    """``GET /tasks``: the matching tasks the caller may see, one page, projected.

    The page resumes where the listing's previous page ended, when nothing changed
    since (see docs/emulator.md, Paging).
    """
    query = parse_query(call.query)
    groups: list[str] | None = None
    if query.group is not None:
        if not tasks.projects.has(query.group):
            raise ApiError(404, f"Project {query.group!r} not found")
        if not tasks.projects.visible(call.user_id, query.group):
            raise ApiError(403, f"Not permitted to see project {query.group!r}")
        groups = [query.group]
        if query.recursive:
            groups += tasks.projects.descendants(query.group)
    sight = access.Sight(tasks, call.user_id, tasks.projects.ids() if groups is None else groups)
    listing = replace(query, include=None, exclude=frozenset(), skip=0, limit=0)
    found = paging.page(
        lambda seq: tasks.since(seq, groups),
        lambda task: matches(task, query) and sight.sees(task),
        tasks.resume,
        (listing, groups is None, sight.key),
        query.skip,
        query.limit,
    )
    # Project, then copy: only the fields sent are copied.
    return [copy.deepcopy(project(ordered(task), query)) for task in found]


def get(tasks: Tasks, call: Call) -> dict[str, Any]:
    """``GET /tasks/:id``: the full task."""
    task = _task(tasks, call, "view")
    return tasks.get(task["_id"])


def create(tasks: Tasks, call: Call) -> dict[str, Any]:
    """``POST /tasks``: the new task."""
    fields = bodies.record_keys(call.fields)
    if not tasks.projects.has(fields["group"]):
        raise ApiError(404, f"Project {fields['group']!r} not found")
    return _create(tasks, call.user_id, fields)


def subtask(tasks: Tasks, call: Call) -> dict[str, Any]:
    """``POST /tasks/:id/subtasks``: the new task, in the parent's project."""
    parent_id = call.params["task_id"]
    group = access.find(tasks, call.user_id, parent_id)["group"]
    fields = bodies.record_keys(call.fields) | {"group": group, "parent": parent_id}
    return _create(tasks, call.user_id, fields)


def _create(tasks: Tasks, user_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    group = fields.pop("group")
    parent = None if "parent" not in fields else access.find(tasks, user_id, fields["parent"])
    access.require_create(tasks, user_id, group)
    if parent is not None and parent["group"] != group:
        raise ApiError(422, "A subtask must be in the project of its parent task")
    _fit(tasks, group, {}, fields)
    name = fields.pop("name")
    fields = {key: value for key, value in fields.items() if value is not None}
    task = tasks.get(tasks.add(group, name, created_by=user_id, **fields))
    tasks.events.publish("task-created", task=task)
    return task


def update(tasks: Tasks, call: Call) -> dict[str, Any]:
    """``PUT /tasks/:id``: ``{"activity": <update>, "task": <Task>}``."""
    fields = bodies.record_keys(call.fields)
    if not fields:
        raise ApiError(400, "nothing to update: the body has no writable task field")
    task = _task(tasks, call, "update")
    if "archived" in fields:
        fields["archivedAt"] = tasks.store.timestamp() if fields.pop("archived") else None
    _fit(tasks, task["group"], task, fields)
    task_id = task["_id"]
    before = tasks.get(task_id)
    changes = tasks.change(task_id, fields)
    activity = tasks.record_activity(task_id, call.user_id, "update", changes=changes)
    after = tasks.get(task_id)
    tasks.events.publish("task-updated", oldTask=before, updatedTask=after)
    _publish_state(tasks, before, after)
    if _archived(before) != _archived(after):
        tasks.events.publish("task-archived" if _archived(after) else "task-restored", task=after)
    return {"activity": activity, "task": after}


def _archived(task: Mapping[str, Any]) -> bool:
    return is_number(task.get("archivedAt"))


def _publish_state(tasks: Tasks, before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
    """Publish ``task-state-changed`` if the state is another one now."""
    old, new = before.get("state"), after.get("state")
    if old != new:
        tasks.events.publish("task-state-changed", task=after, oldState=old, newState=new)


def delete(tasks: Tasks, call: Call) -> None:
    """``DELETE /tasks/:id``: the task and its subtasks."""
    for task in tasks.delete(_task(tasks, call, "delete")["_id"]):
        tasks.events.publish("task-deleted", task=task)


def set_state(tasks: Tasks, call: Call) -> dict[str, Any]:
    """``PUT /tasks/:id/state``: ``{"activity": <state>, "task": <Task>}``."""
    state = call.fields["state"]
    task = _task(tasks, call, "state")
    _check_state(tasks, task["group"], state)
    task_id = task["_id"]
    before = tasks.get(task_id)
    changes = {"state": {"old": task.get("state"), "new": state}}
    tasks.change(task_id, {"state": state})
    activity = tasks.record_activity(task_id, call.user_id, "state", changes=changes)
    after = tasks.get(task_id)
    _publish_state(tasks, before, after)
    return {"activity": activity, "task": after}


# Activities


def activities(tasks: Tasks, call: Call) -> list[dict[str, Any]]:
    """``GET /tasks/:id/activities``: every activity, oldest first."""
    return tasks.activities(_task(tasks, call, "view")["_id"])


def comment(tasks: Tasks, call: Call) -> dict[str, Any]:
    """``POST /tasks/:id/activities``: the new comment."""
    content, files = call.fields.get("content", ""), call.fields.get("files", [])
    if not content and not files:
        raise ApiError(400, "a comment needs content or files")
    task_id = _task(tasks, call, "comment")["_id"]
    activity = tasks.record_activity(
        task_id, call.user_id, "comment", content=content, files=files, visibleToCustomer=False
    )
    tasks.events.publish("comment-created", task=tasks.get(task_id), comment=activity)
    return activity


def set_visibility(tasks: Tasks, call: Call) -> dict[str, Any]:
    """``PUT /tasks/:taskId/activities/:activityId``: the comment, shown or hidden."""
    task_id, activity_id = _task(tasks, call, "view")["_id"], call.params["activity_id"]
    activity = tasks.find_activity(task_id, activity_id)
    if activity is None:
        raise ApiError(404, f"Activity {activity_id!r} of task {task_id!r} not found")
    if activity["type"] != "comment":
        raise ApiError(422, "Only a comment can be made visible to the client")
    if activity["createdBy"] != call.user_id:
        raise ApiError(403, "Only the author of a comment may change its visibility")
    visible = call.fields["visibleToCustomer"]
    return tasks.set_visible_to_customer(task_id, activity_id, visible)


ENDPOINTS = [
    Endpoint("GET", "/tasks", search),
    Endpoint("POST", "/tasks", create, bodies.CREATE),
    Endpoint("GET", "/tasks/{task_id}", get),
    Endpoint("PUT", "/tasks/{task_id}", update, bodies.UPDATE),
    Endpoint("DELETE", "/tasks/{task_id}", delete, status=204),
    Endpoint("POST", "/tasks/{task_id}/subtasks", subtask, bodies.SUBTASK),
    Endpoint("PUT", "/tasks/{task_id}/state", set_state, bodies.STATE_CHANGE),
    Endpoint("GET", "/tasks/{task_id}/activities", activities),
    Endpoint("POST", "/tasks/{task_id}/activities", comment, bodies.COMMENT),
    Endpoint("PUT", "/tasks/{task_id}/activities/{activity_id}", set_visibility, bodies.VISIBILITY),
]
