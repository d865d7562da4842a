"""The emulator's in-memory data: ids, users, the project DAG, permissions and clients."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

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


@dataclass
class User:
    """A user of the emulated organization (current or removed)."""

    id: str
    firstname: str
    lastname: str
    email: str
    token: str
    org_admin: bool
    removed: bool = False


class Store:
    """Users and projects of one organization, with the rules that derive data from them."""

    def __init__(self, org_name: str) -> None:
        self.org_name = org_name
        self._counter = 0
        self._ids: set[str] = set()
        self._users: dict[str, User] = {}
        self._tokens: dict[str, User] = {}
        self._projects: dict[str, dict[str, Any]] = {}
        self._clients: dict[str, dict[str, Any]] = {}
        self.root_id = self._new_id(None)
        self._projects[self.root_id] = _record(self.root_id, org_name, None, (), (), None, None)

    def _new_id(self, wanted: str | None) -> str:
        """Return ``wanted`` if it is free, else the next free counter id (24 hex digits)."""
        if wanted is not None:
            if wanted in self._ids:
                raise ValueError(f"id {wanted!r} is already used")
            new = wanted
        else:
            new = ""
            while not new or new in self._ids:
                self._counter += 1
                new = f"{self._counter:024x}"
        self._ids.add(new)
        return new

    # Users

    def add_user(
        self,
        firstname: str,
        lastname: str,
        *,
        email: str | None = None,
        token: str | None = None,
        org_admin: bool = False,
        id: str | None = None,
    ) -> str:
        """Add a member to the organization and return its id.

        ``token`` defaults to ``token-<id>``, ``email`` to ``first.last@example.com``.
        """
        if token is not None and token in self._tokens:
            raise ValueError(f"token {token!r} is already used")
        user_id = self._new_id(id)
        user = User(
            id=user_id,
            firstname=firstname,
            lastname=lastname,
            email=email or f"{firstname}.{lastname}@example.com".lower(),
            token=token or f"token-{user_id}",
            org_admin=org_admin,
        )
        self._users[user_id] = user
        self._tokens[user.token] = user
        return user_id

    def _user(self, user_id: str) -> User:
        if user_id not in self._users:
            raise ValueError(f"unknown user {user_id!r}")
        return self._users[user_id]

    def token(self, user_id: str) -> str:
        """Return the API token of a user."""
        return self._user(user_id).token

    def remove_user(self, user_id: str) -> None:
        """Remove a user from the organization; its id still resolves, its token stops working."""
        self._user(user_id).removed = True

    def user_for_token(self, token: str) -> User | None:
        """Return the current user owning ``token``, or None."""
        user = self._tokens.get(token)
        return None if user is None or user.removed else user

    def find_user(self, user_id: str) -> User | None:
        """Return any user ever added (current or removed), or None."""
        return self._users.get(user_id)

    def current_users(self) -> list[User]:
        """Return the organization's current members, in creation order."""
        return [user for user in self._users.values() if not user.removed]

    def org_admins(self) -> list[str]:
        """Return the ids of the current organization admins, in creation order."""
        return [user.id for user in self.current_users() if user.org_admin]

    # Projects

    def add_project(
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
            self._check_project(parent_id)
        project_id = self._new_id(id)
        self._projects[project_id] = _record(
            project_id, name, parent_ids, admins, members, task_states, perms
        )
        return project_id

    def add_parent(self, project_id: str, parent_id: str) -> None:
        """Add a parent link to a project (a no-op if present); this may create a cycle."""
        self._check_project(parent_id)
        parents = self._check_project(project_id)["parents"]
        if parents is None:
            raise ValueError("the main project has no parents")
        if parent_id not in parents:
            parents.append(parent_id)

    def _check_project(self, project_id: str) -> dict[str, Any]:
        if project_id not in self._projects:
            raise ValueError(f"unknown project {project_id!r}")
        return self._projects[project_id]

    def has_project(self, project_id: str) -> bool:
        """Tell whether a project with this id exists."""
        return project_id in self._projects

    def project(self, project_id: str) -> dict[str, Any]:
        """Return a copy of a project as the API sends it, with ``groups`` derived."""
        self._check_project(project_id)
        return self.projects([project_id])[0]

    def projects(self, project_ids: Iterable[str]) -> list[dict[str, Any]]:
        """Return copies of existing projects as the API sends them (see `project`)."""
        children = self._children()
        records = []
        for project_id in project_ids:
            record = copy.deepcopy(self._projects[project_id])
            record["admins"] = list(self._admins(project_id))
            record["groups"] = children[project_id]
            # Key order as in the docs: the optional keys come last.
            for key in ("taskStates", "perms"):
                if key in record:
                    record[key] = record.pop(key)
            records.append(record)
        return records

    def project_ids(self) -> list[str]:
        """Return every project id, in creation order."""
        return list(self._projects)

    def _admins(self, project_id: str) -> list[str]:
        if project_id == self.root_id:
            return self.org_admins()
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

    def _is_admin(self, user_id: str, project_id: str) -> bool:
        """Tell whether the user administers the project or any of its ancestors."""
        seen: set[str] = set()
        todo = [project_id]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            if user_id in self._admins(current):
                return True
            todo += self._projects[current]["parents"] or ()
        return False

    def level(self, user_id: str, project_id: str, feature: str) -> str:
        """Return the user's level for a feature (tasks, files, gantt, reports) of a project."""
        if feature not in SCALES:
            raise ValueError(f"unknown feature {feature!r}; expected one of {sorted(SCALES)}")
        record = self._check_project(project_id)
        if self._is_admin(user_id, project_id):
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

    # Clients (API name: customers); only ``_id`` and ``name`` so far

    def add_client(self, name: str, *, id: str | None = None) -> str:
        """Add a client and return its id."""
        client_id = self._new_id(id)
        self._clients[client_id] = {"_id": client_id, "name": name}
        return client_id

    def has_client(self, client_id: str) -> bool:
        """Tell whether a client with this id exists."""
        return client_id in self._clients

    def client(self, client_id: str) -> dict[str, Any]:
        """Return a copy of a client: ``{"_id", "name"}``, also the form tasks embed."""
        if client_id not in self._clients:
            raise ValueError(f"unknown client {client_id!r}")
        return dict(self._clients[client_id])


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
