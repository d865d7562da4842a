"""Who may do what with a task: the tasks level (§4.3), creator, assignee and privacy rules."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .._http import ApiError
from ..projects import SCALES
from ._records import Tasks

#: The rank of each level of the tasks feature: none 0 ... manage 4.
RANK = {level: rank for rank, level in enumerate(SCALES["tasks"])}

#: Per action: the tasks level it needs, and the phrase of its 403 message.
_ACTIONS = {
    "view": ("view", "see"),
    "comment": ("contribute", "comment on"),
    "state": ("contribute", "change the state of"),
    "update": ("edit", "update"),
    "delete": ("manage", "delete"),
}


def involved(user_id: str, task: Mapping[str, Any]) -> bool:
    """Tell whether the user created the task or is one of its assignees."""
    return user_id == task.get("assignedBy") or user_id in task.get("assignees", [])


def rank(tasks: Tasks, user_id: str, project_id: str) -> int:
    """Return the rank (`RANK`) of the user's tasks level in a project."""
    return RANK[tasks.projects.level(user_id, project_id, "tasks")]


def may_view(tasks: Tasks, user_id: str, task: Mapping[str, Any]) -> bool:
    """Tell whether the user may see a task.

    Its creator and assignees may; a private task is visible to them and to the admins
    of its project only; any other task to whoever may view the project's tasks.
    """
    if involved(user_id, task):
        return True
    if task.get("private"):
        return tasks.projects.is_admin(user_id, task["group"])
    return rank(tasks, user_id, task["group"]) >= RANK["view"]


class Sight:
    """What one user may see of the tasks of some projects: `may_view`, worked out per project.

    Built for one request (the projects and permissions may change between requests);
    `key` tells it apart from another user's or another moment's sight.
    """

    def __init__(self, tasks: Tasks, user_id: str, project_ids: Iterable[str]) -> None:
        self.user_id = user_id
        #: Per project: whether the user administers it, and may view its tasks.
        self._levels = {
            project_id: (
                tasks.projects.is_admin(user_id, project_id),
                rank(tasks, user_id, project_id) >= RANK["view"],
            )
            for project_id in project_ids
        }
        #: Who and what: equal keys see the same tasks of the same projects.
        self.key = (user_id, tuple(self._levels.items()))

    def sees(self, task: Mapping[str, Any]) -> bool:
        """Tell whether the user may see a task of one of the projects (as `may_view`)."""
        if involved(self.user_id, task):
            return True
        admin, viewer = self._levels[task["group"]]
        return admin if task.get("private") else viewer


def find(tasks: Tasks, user_id: str, task_id: str) -> Mapping[str, Any]:
    """Return a task, or 404 if it is unknown or private and hidden from the caller."""
    task = tasks.find(task_id)
    if task is None or (task.get("private") and not may_view(tasks, user_id, task)):
        raise ApiError(404, f"Task {task_id!r} not found")
    return task


def require(tasks: Tasks, user_id: str, task: Mapping[str, Any], action: str) -> None:
    """Answer 403 unless the caller may do ``action`` (view, comment, state, ...) on the task."""
    level, phrase = _ACTIONS[action]
    if action in ("update", "delete"):
        excepted = user_id == task.get("assignedBy")
    else:
        excepted = involved(user_id, task)
    if not excepted and rank(tasks, user_id, task["group"]) < RANK[level]:
        raise ApiError(403, f"Not permitted to {phrase} task {task['_id']!r}")


def require_create(tasks: Tasks, user_id: str, project_id: str) -> None:
    """Answer 403 unless the caller may create tasks in the project (``contribute``)."""
    if rank(tasks, user_id, project_id) < RANK["contribute"]:
        raise ApiError(403, f"Not permitted to create tasks in project {project_id!r}")
