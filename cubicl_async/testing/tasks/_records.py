"""The Tasks area's records: tasks and their activities, the defaults and the derived fields."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .._paging import Ordered, Resume
from .._store import Events, Listener, Store, in_order, known, ordered_copy, set_fields
from ..customers import Customers
from ..projects import Projects
from ..users import Users

#: A task's keys in the order of cubicl-api.md §5.9 (answers follow it), optional ones included.
TASK_KEYS = (
    "_id",
    "name",
    "desc",
    "state",
    "start",
    "deadline",
    "assignees",
    "assignedBy",
    "followers",
    "portalFollowers",
    "priority",
    "priorityScore",
    "group",
    "completedAt",
    "archivedAt",
    "stepType",
    "steps",
    "customer",
    "createdAt",
    "files",
    "tags",
    "subtasks",
    "parent",
    "email",
    "support",
    "private",
    "sharedWithCustomer",
    "workflow",
    "estimatedTime",
    "customFields",
    "lastCopy",
    "recurrent",
    "recurrence",
)

#: Keys that are absent rather than null when unset: a None value removes them.
OPTIONAL_KEYS = frozenset(
    {"steps", "recurrence", "workflow", "estimatedTime", "customFields", "sharedWithCustomer"}
)


class Tasks:
    """The tasks of the organization and their activities (``emu.tasks``).

    The seeding helpers are `add`, `get`, `activities` and `delete`; the rest is what the
    endpoints read and change. The helpers raise ValueError for unknown ids; the API's
    checks are in the endpoints, which publish what they did (`on_event`, for webhooks).
    """

    def __init__(
        self, store: Store, users: Users, projects: Projects, customers: Customers
    ) -> None:
        self.store = store
        self.users = users
        self.projects = projects
        self.customers = customers
        self._tasks: dict[str, dict[str, Any]] = {}
        self._activities: dict[str, list[dict[str, Any]]] = {}
        self._created = 0
        #: The task ids in creation order, overall and per project (see `since`).
        self._order = Ordered()
        #: Where the next pages of ``GET /tasks`` listings resume; forgotten on every change.
        self.resume = Resume()
        #: What the endpoints did, named as the webhook types (``task-created``, ...).
        self.events = Events()
        customers.on_delete(self.forget_customer)

    # Seeding helpers

    def add(
        self,
        /,
        group: str,
        name: str,
        *,
        created_by: str,
        sparse: bool = False,
        id: str | None = None,
        **fields: Any,
    ) -> str:
        """Add a task to project ``group``, created by ``created_by``, and return its id.

        ``fields`` are wire-named task fields, stored as given (``customer`` is the
        embedded ``{"_id", "name"}``, ``files`` a list of ``{"_id"}``). The defaults of
        ``POST /tasks`` fill in the rest, a ``create`` activity is recorded, and a
        ``parent`` gets the new task in its ``subtasks``. With ``sparse=True`` the record
        holds only ``_id``, ``name``, ``group`` and ``fields``, without an activity.
        """
        self.projects.stored(group)
        self.users.get(created_by)
        if "_id" in fields:
            raise ValueError("give the task id as id=, not _id=")
        parent = fields.get("parent")
        if parent is not None:
            self._stored(parent)
        task_id = self.store.new_id(id)
        self._created += 1
        record = {"_id": task_id, "name": name, "group": group, **copy.deepcopy(fields)}
        if not sparse:
            record = self._defaults(task_id, name, group, created_by) | record
            record.setdefault("followers", _unique([created_by, *record["assignees"]]))
            if "completedAt" not in fields and self._completed(group, record["state"]):
                record["completedAt"] = self.store.timestamp()
            self._number_steps(record)
        self._tasks[task_id] = record
        self._order.add(task_id, group)
        self.resume.forget()
        self._activities[task_id] = []
        if parent is not None:
            self._tasks[parent].setdefault("subtasks", []).append(task_id)
        if not sparse:
            self.record_activity(task_id, created_by, "create")
        return task_id

    def get(self, task_id: str) -> dict[str, Any]:
        """Return a copy of a task as ``GET /tasks/:id`` sends it (keys in §5.9 order)."""
        return render(self._stored(task_id))

    def activities(self, task_id: str) -> list[dict[str, Any]]:
        """Return copies of a task's activities, oldest first."""
        self._stored(task_id)
        return copy.deepcopy(self._activities[task_id])

    def delete(self, task_id: str) -> list[dict[str, Any]]:
        """Delete a task, its subtasks (recursively) and their activities; unlink its parent.

        Returns the tasks deleted, as they were (copies), the task itself first.
        """
        parent_id = self._stored(task_id).get("parent")
        if parent_id in self._tasks:
            parent = self._tasks[parent_id]
            parent["subtasks"] = [sub for sub in parent.get("subtasks", []) if sub != task_id]
        todo, deleted = [task_id], []
        while todo:
            gone = self._tasks.pop(todo.pop(0), None)
            if gone is not None:
                self._order.remove(gone["_id"])
                del self._activities[gone["_id"]]
                deleted.append(render(gone))
                todo += gone.get("subtasks", [])
        self.resume.forget()
        return deleted

    def on_event(self, listener: Listener) -> None:
        """Call ``listener(event, data)`` after each change the endpoints make (see `events`)."""
        self.events.subscribe(listener)

    def forget_customer(self, customer_id: str) -> None:
        """Set ``customer`` to null on every task that embeds this (deleted) client."""
        for task in self._tasks.values():
            if customer_of(task) == customer_id:
                task["customer"] = None
        self.resume.forget()

    # Records

    def _defaults(self, task_id: str, name: str, group: str, created_by: str) -> dict[str, Any]:
        """Return the record ``POST /tasks`` makes from a name alone."""
        return {
            "_id": task_id,
            "name": name,
            "desc": "",
            "state": self.projects.default_state(group),
            "start": None,
            "deadline": None,
            "assignees": [],
            "assignedBy": created_by,
            "priority": 3,
            "priorityScore": self._created,
            "group": group,
            "completedAt": None,
            "stepType": "none",
            "customer": None,
            "createdAt": self.store.timestamp(),
            "files": [],
            "tags": [],
            "subtasks": [],
            "parent": None,
            "private": False,
            "recurrent": False,
        }

    def _completed(self, project_id: str, state: str | None) -> bool:
        return self.projects.state_type(project_id, state) == "completed"

    def _number_steps(self, record: dict[str, Any]) -> None:
        """Give an id to each checklist item without one."""
        if record.get("stepType") == "steps":
            record["steps"] = [
                item if "_id" in item else {"_id": self.store.new_id(), **item}
                for item in record.get("steps", [])
            ]

    def _stored(self, task_id: str) -> dict[str, Any]:
        return known(self._tasks, task_id, "task")

    def find(self, task_id: str) -> Mapping[str, Any] | None:
        """Return the stored task (read only: change it with `change`), or None."""
        return self._tasks.get(task_id)

    def records(self) -> Iterator[Mapping[str, Any]]:
        """Yield every stored task (read only), in creation order."""
        yield from self._tasks.values()

    def since(
        self, seq: int, groups: Iterable[str] | None = None
    ) -> Iterator[tuple[int, Mapping[str, Any]]]:
        """Yield ``(seq, task)`` in creation order from sequence number ``seq`` on.

        Every stored task (read only), or those of the projects ``groups``; the first
        step is a bisection per project, each further one constant (see `Ordered`).
        """
        for at, task_id in self._order.since(seq, groups):
            yield at, self._tasks[task_id]

    def change(self, task_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Set wire-named fields of a task and return the changes an ``update`` shows.

        None removes an optional key (`OPTIONAL_KEYS`). New assignees become followers;
        a new ``state`` sets ``completedAt`` (see docs/emulator.md). The changes are
        ``{field: {"old": ..., "new": ...}}`` for each field whose value changed, derived
        ones included, an absent key counting as null.
        """
        task = self._stored(task_id)
        before = copy.deepcopy(task)
        set_fields(task, fields, OPTIONAL_KEYS)
        self._order.rekey(task_id, task["group"])
        self.resume.forget()
        if "assignees" in fields:
            task["followers"] = _unique([*task.get("followers", []), *task["assignees"]])
        if "state" in fields:
            completed = self._completed(task["group"], task["state"])
            if not completed:
                task["completedAt"] = None
            elif not self._completed(task["group"], before.get("state")):
                task["completedAt"] = self.store.timestamp()
        self._number_steps(task)
        return {
            key: {"old": before.get(key), "new": task.get(key)}
            for key in render(before | task)
            if before.get(key) != task.get(key)
        }

    # Activities

    def record_activity(
        self, task_id: str, user_id: str, kind: str, **details: Any
    ) -> dict[str, Any]:
        """Record an activity of ``kind`` (create, update, state, comment); return a copy."""
        self._stored(task_id)
        activity = {
            "_id": self.store.new_id(),
            "task": task_id,
            "type": kind,
            "createdBy": user_id,
            "createdAt": self.store.timestamp(),
            **copy.deepcopy(details),
        }
        self._activities[task_id].append(activity)
        return copy.deepcopy(activity)

    def find_activity(self, task_id: str, activity_id: str) -> Mapping[str, Any] | None:
        """Return an activity of this task (read only), or None."""
        activities = self._activities.get(task_id, [])
        return next((a for a in activities if a["_id"] == activity_id), None)

    def set_visible_to_customer(
        self, task_id: str, activity_id: str, visible: bool
    ) -> dict[str, Any]:
        """Set a comment's ``visibleToCustomer`` and return a copy of the comment."""
        for activity in self._activities.get(task_id, []):
            if activity["_id"] == activity_id and activity["type"] == "comment":
                activity["visibleToCustomer"] = visible
                return copy.deepcopy(activity)
        raise ValueError(f"task {task_id!r} has no comment {activity_id!r}")


def render(task: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of a task record with its keys in §5.9 order (unknown keys last)."""
    return ordered_copy(task, TASK_KEYS)


def ordered(task: Mapping[str, Any]) -> dict[str, Any]:
    """Return a task record as `render` orders it, its values shared (not copies)."""
    return in_order(task, TASK_KEYS)


def customer_of(task: Mapping[str, Any]) -> Any:
    """Return the id of the client a task embeds (seeded tasks may hold a bare id), or None."""
    customer = task.get("customer")
    return customer.get("_id") if isinstance(customer, dict) else customer


def _unique(items: list[str]) -> list[str]:
    """Return the items without repeats, in first-seen order."""
    return list(dict.fromkeys(items))
