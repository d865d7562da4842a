"""The Projects area's records: the project DAG, its derived fields, permissions, task states."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from .._store import Store, known
from ..users import Users

#: The level scale of each project feature, lowest first (cubicl-api.md §4.2).
SCALES: dict[str, tuple[str, ...]] = {
    "tasks": ("none", "view", "contribute", "edit", "manage"),
    "files": ("none", "view", "edit", "manage"),
    "gantt": ("none", "view", "edit"),
    "reports": ("none", "view"),
}

#: The levels that apply when a project has no ``perms`` key.
DEFAULT_PERMS: dict[str, dict[str, str]] = {
    "members": {"tasks": "manage", "files": "manage", "gantt": "edit", "reports": "view"},
    "everybody": {"tasks": "none", "files": "none", "gantt": "none", "reports": "none"},
}

#: The task states of a project without ``taskStates`` (cubicl-api.md §4.4).
DEFAULT_STATES: list[dict[str, Any]] = [
    {
        "name": "cb_waiting",
        "type": "waiting",
        "color": "#f39c12",
        "textColor": "#fff",
        "isDefault": True,
    },
    {"name": "cb_active", "type": "active", "color": "#2ecc71", "textColor": "#fff"},
    {"name": "cb_completed", "type": "completed", "color": "#d8d8d8", "textColor": "#333"},
    {"name": "cb_suspended", "type": "suspended", "color": "#7d5fff", "textColor": "#fff"},
]


class Projects:
    """The projects of the organization, the main one first (``emu.projects``).

    The seeding helpers are `add`, `add_parent`, `get`, `level` and `visible`; the rest
    is what the endpoints and the other areas read. The helpers raise ValueError for
    unknown ids.
    """

    def __init__(self, store: Store, users: Users) -> None:
        self._users = users
        self._store = store
        self._projects: dict[str, dict[str, Any]] = {}
        #: The id of the main project, named after the organization.
        self.root_id = store.new_id()
        self._projects[self.root_id] = _record(
            self.root_id, store.org_name, None, (), (), None, None
        )

    # Seeding helpers

    def add(
        self,
        name: str,
        *,
        parents: Iterable[str] | None = None,
        admins: Iterable[str] = (),
        members: Iterable[str] = (),
        task_states: list[dict[str, Any]] | None = None,
        perms: dict[str, Any] | None = None,
        id: str | None = None,
    ) -> str:
        """Add a project and return its id; ``parents=None`` puts it under the main project.

        ``task_states`` and ``perms`` are raw JSON with the API's field names; when left out,
        the record has no ``taskStates``/``perms`` key and the defaults apply.
        """
        parent_ids = [self.root_id] if parents is None else list(dict.fromkeys(parents))
        if not parent_ids:
            raise ValueError("only the main project has no parents")
        for parent_id in parent_ids:
            self.stored(parent_id)
        project_id = self._store.new_id(id)
        self._projects[project_id] = _record(
            project_id, name, parent_ids, admins, members, task_states, perms
        )
        return project_id

    def add_parent(self, project_id: str, parent_id: str) -> None:
        """Add a parent link to a project (a no-op if present); this may create a cycle."""
        self.stored(parent_id)
        parents = self.stored(project_id)["parents"]
        if parents is None:
            raise ValueError("the main project has no parents")
        if parent_id not in parents:
            parents.append(parent_id)

    def get(self, project_id: str) -> dict[str, Any]:
        """Return a copy of a project as the API sends it, with ``groups`` derived."""
        self.stored(project_id)
        return self.records([project_id])[0]

    # Reading

    def stored(self, project_id: str) -> dict[str, Any]:
        """Return the stored record of a project (not a copy); ValueError if unknown."""
        return known(self._projects, project_id, "project")

    def has(self, project_id: str) -> bool:
        """Tell whether a project with this id exists."""
        return project_id in self._projects

    def ids(self) -> list[str]:
        """Return every project id, in creation order."""
        return list(self._projects)

    def records(self, project_ids: Iterable[str]) -> list[dict[str, Any]]:
        """Return copies of existing projects as the API sends them (see `get`)."""
        children = self._children()
        records = []
        for project_id in project_ids:
            record = copy.deepcopy(self._projects[project_id])
            record["admins"] = list(self.admins(project_id))
            record["groups"] = children[project_id]
            # Key order as in the docs: the optional keys come last.
            for key in ("taskStates", "perms"):
                if key in record:
                    record[key] = record.pop(key)
            records.append(record)
        return records

    def admins(self, project_id: str) -> list[str]:
        """Return a project's admins: for the main project, the organization admins."""
        if project_id == self.root_id:
            return self._users.admins()
        admins: list[str] = self._projects[project_id]["admins"]
        return admins

    def _children(self) -> dict[str, list[str]]:
        children: dict[str, list[str]] = {project_id: [] for project_id in self._projects}
        for project_id, record in self._projects.items():
            for parent_id in record["parents"] or ():
                children[parent_id].append(project_id)
        return children

    def children(self, project_id: str) -> list[str]:
        """Return the direct children of a project, in creation order."""
        return self._children()[project_id]

    def descendants(self, project_id: str) -> list[str]:
        """Return every project below ``project_id`` once, in creation order, never itself."""
        children = self._children()
        found: set[str] = set()
        todo = list(children[project_id])
        while todo:
            child = todo.pop()
            if child not in found:
                found.add(child)
                todo += children[child]
        found.discard(project_id)
        return [pid for pid in self._projects if pid in found]

    # Permissions (cubicl-api.md §4.3)

    def is_admin(self, user_id: str, project_id: str) -> bool:
        """Tell whether the user administers the project or any of its ancestors."""
        seen: set[str] = set()
        todo = [project_id]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            if user_id in self.admins(current):
                return True
            todo += self._projects[current]["parents"] or ()
        return False

    def level(self, user_id: str, project_id: str, feature: str) -> str:
        """Return the user's level for a feature (tasks, files, gantt, reports) of a project."""
        if feature not in SCALES:
            raise ValueError(f"unknown feature {feature!r}; expected one of {sorted(SCALES)}")
        record = self.stored(project_id)
        if self.is_admin(user_id, project_id):
            return SCALES[feature][-1]
        perms = record.get("perms", DEFAULT_PERMS)
        overrides = perms.get("users", {})
        if user_id in overrides:
            levels = overrides[user_id]
        elif user_id in record["members"]:
            levels = perms.get("members", {})
        else:
            levels = perms.get("everybody", {})
        level: str = levels.get(feature, "none")
        return level

    def visible(self, user_id: str, project_id: str) -> bool:
        """Tell whether the user sees the project: some feature level above ``none``."""
        return any(self.level(user_id, project_id, feature) != "none" for feature in SCALES)

    # Task states (cubicl-api.md §4.4)

    def task_states(self, project_id: str) -> list[dict[str, Any]]:
        """Return the task states of a project: its ``taskStates``, else the defaults."""
        custom: list[dict[str, Any]] | None = self.stored(project_id).get("taskStates")
        return custom or DEFAULT_STATES

    def state_type(self, project_id: str, name: str | None) -> str | None:
        """Return the type of a project's state, or None if the project has no such state."""
        return next((s["type"] for s in self.task_states(project_id) if s["name"] == name), None)

    def default_state(self, project_id: str) -> str:
        """Return the name of the state new tasks get: the ``isDefault`` one, else the first."""
        states = self.task_states(project_id)
        found: str = next((s["name"] for s in states if s.get("isDefault")), states[0]["name"])
        return found


def _record(
    project_id: str,
    name: str,
    parents: list[str] | None,
    admins: Iterable[str],
    members: Iterable[str],
    task_states: list[dict[str, Any]] | None,
    perms: dict[str, Any] | None,
) -> dict[str, Any]:
    """Build a stored project record; optional keys only when given (sparse, as the API)."""
    record: dict[str, Any] = {
        "_id": project_id,
        "name": name,
        "parents": parents,
        "admins": list(admins),
        "members": list(members),
    }
    if task_states is not None:
        record["taskStates"] = copy.deepcopy(task_states)
    if perms is not None:
        record["perms"] = copy.deepcopy(perms)
    return record
