"""The rules of the task endpoints: checks in the documented order, then the change.

Every operation checks, in this order: the request's shape (400), the records it names
(404), the caller's permission (403), then whether it fits the data (400 for steps or a
recurrence that do not match, 422 for unknown states, users or clients).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import _task_body as body_rules
from ._http import ApiError
from ._task_query import TaskQuery
from ._task_store import RANK, TaskStore

#: Fields ``GET /tasks`` leaves out unless ``include`` names them.
HEAVY_FIELDS = frozenset(
    {"desc", "steps", "customFields", "followers", "portalFollowers", "recurrence"}
)

#: Per action: the tasks level it needs, and the phrase of its 403 message.
_ACTIONS = {
    "view": ("view", "see"),
    "comment": ("contribute", "comment on"),
    "state": ("contribute", "change the state of"),
    "update": ("edit", "update"),
    "delete": ("manage", "delete"),
}


class TaskOps:
    """The task endpoints over a `TaskStore`, for the caller ``user_id`` of each request."""

    def __init__(self, store: TaskStore) -> None:
        self.store = store

    # Checks

    def _find(self, user_id: str, task_id: str) -> Mapping[str, Any]:
        """Return a task, or 404 if it is unknown or private and hidden from the caller."""
        task = self.store.find_task(task_id)
        if task is None or (task.get("private") and not self.store.may_view(user_id, task)):
            raise ApiError(404, f"Task {task_id!r} not found")
        return task

    def _require(self, user_id: str, task: Mapping[str, Any], action: str) -> None:
        """Answer 403 unless the caller may do ``action`` on the task."""
        level, phrase = _ACTIONS[action]
        if action in ("update", "delete"):
            excepted = user_id == task.get("assignedBy")
        else:
            excepted = self.store.involved(user_id, task)
        if not excepted and self.store.task_rank(user_id, task) < RANK[level]:
            raise ApiError(403, f"Not permitted to {phrase} task {task['_id']!r}")

    def _fit(self, group: str, task: Mapping[str, Any], fields: dict[str, Any]) -> None:
        """Check the changes against the data (400, 422); embed the client reference."""
        body_rules.check_pairs(task, fields)
        if "state" in fields:
            self._check_state(group, fields["state"])
        for user_id in fields.get("assignees", []):
            user = self.store.find_user(user_id)
            if user is None or user.removed:
                raise ApiError(422, f"Assignee {user_id!r} is not a user of the organization")
        customer = fields.get("customer")
        if customer is not None:
            if not self.store.has_client(customer):
                raise ApiError(422, f"Client {customer!r} not found")
            fields["customer"] = self.store.client(customer)

    def _check_state(self, group: str, state: str) -> None:
        if self.store.state_type(group, state) is None:
            raise ApiError(422, f"State {state!r} is not defined in project {group!r}")

    # Tasks

    def search(self, user_id: str, query: TaskQuery) -> list[dict[str, Any]]:
        """``GET /tasks``: the matching tasks the caller may see, one page, projected."""
        groups: set[str] | None = None
        if query.group is not None:
            if not self.store.has_project(query.group):
                raise ApiError(404, f"Project {query.group!r} not found")
            if not self.store.visible(user_id, query.group):
                raise ApiError(403, f"Not permitted to see project {query.group!r}")
            groups = {query.group}
            if query.recursive:
                groups.update(self.store.descendants(query.group))
        found = [
            task
            for task in self.store.task_records()
            if (groups is None or task["group"] in groups)
            and _matches(task, query)
            and self.store.may_view(user_id, task)
        ]
        page = found[query.skip : query.skip + query.limit]
        return [_project(self.store.task(task["_id"]), query) for task in page]

    def get(self, user_id: str, task_id: str) -> dict[str, Any]:
        """``GET /tasks/:id``: the full task."""
        self._require(user_id, self._find(user_id, task_id), "view")
        return self.store.task(task_id)

    def create(
        self, user_id: str, body: Mapping[str, Any], *, parent_id: str | None = None
    ) -> dict[str, Any]:
        """``POST /tasks``, or with ``parent_id`` ``POST /tasks/:id/subtasks``: the new task."""
        fields = body_rules.create_fields(body, subtask=parent_id is not None)
        if parent_id is not None:
            fields |= {"group": self._find(user_id, parent_id)["group"], "parent": parent_id}
        elif not self.store.has_project(fields["group"]):
            raise ApiError(404, f"Project {fields['group']!r} not found")
        group = fields.pop("group")
        parent = None if "parent" not in fields else self._find(user_id, fields["parent"])
        if RANK[self.store.level(user_id, group, "tasks")] < RANK["contribute"]:
            raise ApiError(403, f"Not permitted to create tasks in project {group!r}")
        if parent is not None and parent["group"] != group:
            raise ApiError(422, "A subtask must be in the project of its parent task")
        self._fit(group, {}, fields)
        name = fields.pop("name")
        fields = {key: value for key, value in fields.items() if value is not None}
        return self.store.task(self.store.add_task(group, name, created_by=user_id, **fields))

    def update(self, user_id: str, task_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """``PUT /tasks/:id``: ``{"activity": <update>, "task": <Task>}``."""
        fields = body_rules.update_fields(body)
        task = self._find(user_id, task_id)
        self._require(user_id, task, "update")
        if "archived" in fields:
            fields["archivedAt"] = self.store.timestamp() if fields.pop("archived") else None
        self._fit(task["group"], task, fields)
        changes = self.store.change_task(task_id, fields)
        activity = self.store.record_activity(task_id, user_id, "update", changes=changes)
        return {"activity": activity, "task": self.store.task(task_id)}

    def delete(self, user_id: str, task_id: str) -> None:
        """``DELETE /tasks/:id``: the task and its subtasks."""
        self._require(user_id, self._find(user_id, task_id), "delete")
        self.store.delete_task(task_id)

    def set_state(self, user_id: str, task_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """``PUT /tasks/:id/state``: ``{"activity": <state>, "task": <Task>}``."""
        state = body_rules.state_field(body)
        task = self._find(user_id, task_id)
        self._require(user_id, task, "state")
        self._check_state(task["group"], state)
        changes = {"state": {"old": task.get("state"), "new": state}}
        self.store.change_task(task_id, {"state": state})
        activity = self.store.record_activity(task_id, user_id, "state", changes=changes)
        return {"activity": activity, "task": self.store.task(task_id)}

    # Activities

    def activities(self, user_id: str, task_id: str) -> list[dict[str, Any]]:
        """``GET /tasks/:id/activities``: every activity, oldest first."""
        self._require(user_id, self._find(user_id, task_id), "view")
        return self.store.activities(task_id)

    def comment(self, user_id: str, task_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /tasks/:id/activities``: the new comment."""
        content, files = body_rules.comment_fields(body)
        self._require(user_id, self._find(user_id, task_id), "comment")
        return self.store.record_activity(
            task_id, user_id, "comment", content=content, files=files, visibleToCustomer=False
        )

    def set_visibility(
        self, user_id: str, task_id: str, activity_id: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        """``PUT /tasks/:taskId/activities/:activityId``: the comment, shown or hidden."""
        visible = body_rules.visibility_field(body)
        self._require(user_id, self._find(user_id, task_id), "view")
        activity = self.store.find_activity(task_id, activity_id)
        if activity is None:
            raise ApiError(404, f"Activity {activity_id!r} of task {task_id!r} not found")
        if activity["type"] != "comment":
            raise ApiError(422, "Only a comment can be made visible to the client")
        if activity["createdBy"] != user_id:
            raise ApiError(403, "Only the author of a comment may change its visibility")
        return self.store.set_visible_to_customer(task_id, activity_id, visible)


def _matches(task: Mapping[str, Any], query: TaskQuery) -> bool:
    """Tell whether a task passes the filters of a ``GET /tasks`` query (not ``group``)."""
    archived = task.get("archivedAt") is not None
    customer = task.get("customer")
    client = customer.get("_id") if isinstance(customer, dict) else customer
    return (
        (query.archived == "all" or archived == (query.archived == "true"))
        and (query.assignee is None or query.assignee in task.get("assignees", []))
        and (query.assigned_by is None or task.get("assignedBy") == query.assigned_by)
        and (query.customer is None or client == query.customer)
        and (query.tag is None or query.tag in task.get("tags", []))
        and (query.search is None or query.search.casefold() in task["name"].casefold())
        and (query.window is None or _in_window(task, query.window))
    )


def _in_window(task: Mapping[str, Any], window: tuple[float, float]) -> bool:
    """Tell whether the task's start or deadline lies in the window, bounds included."""
    low, high = window
    dates = (task.get("start"), task.get("deadline"))
    return any(isinstance(date, int | float) and low <= date <= high for date in dates)


def _project(task: dict[str, Any], query: TaskQuery) -> dict[str, Any]:
    """Return the fields of a task that ``GET /tasks`` sends for this query."""
    if query.include is not None:
        return {key: value for key, value in task.items() if key == "_id" or key in query.include}
    hidden = (HEAVY_FIELDS | query.exclude) - {"_id"}
    return {key: value for key, value in task.items() if key not in hidden}
