"""Tasks: their records (task, activity, update result), and the `client.tasks` resource."""

from __future__ import annotations

import builtins
import enum
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal, TypedDict, Unpack

import attrs

from ._common import (
    ChecklistItem,
    FileRef,
    ProgressBar,
    StepType,
    TaskBase,
    TaskState,
)
from ._convert import UNSET, Unset, request_body
from ._display import Record
from ._pagination import Pager
from ._resource import GetMany, projection, request_fields
from ._wire import check_id, check_ids, path

__all__ = [
    "ActivityType",
    "SubtaskFields",
    "Task",
    "TaskActivity",
    "TaskChanges",
    "TaskFields",
    "TaskUpdate",
    "Tasks",
]


class ActivityType(enum.StrEnum):
    """What a task activity records (the emulator's values; the API docs do not say)."""

    CREATE = "create"
    UPDATE = "update"
    STATE = "state"
    COMMENT = "comment"


@attrs.frozen(kw_only=True)
class Task(TaskBase):
    """A task. Lists (`GET /tasks`) leave some fields out: those read as their defaults.

    Timestamps are aware UTC datetimes; `None` where the API sends null or nothing. Its
    fields are those of `TaskBase`, and the users it names, by id:
    """

    #: Assignee user ids.
    assignees: tuple[str, ...] = ()
    #: Owner (creator) user id.
    assigned_by: str | None = None
    #: Follower user ids.
    followers: tuple[str, ...] = ()
    #: Client Portal users following a shared task.
    portal_followers: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class TaskActivity(Record):
    """An entry of a task's activity: a comment, an update, a state change.

    The API docs do not capture this shape: the fields below are typed, and every other
    key the server sends is kept in `extra`, as raw JSON.
    """

    _card: ClassVar[tuple[str, ...]] = ("type", "created_by", "created_at", "content")

    #: Activity id.
    id: str
    #: The task's id.
    task: str | None = None
    #: What happened.
    type: ActivityType | str | None = None
    #: Who did it.
    created_by: str | None = None
    #: When.
    created_at: datetime | None = None
    #: A comment's text.
    content: str | None = None
    #: A comment's files.
    files: tuple[FileRef, ...] = ()
    #: Whether a comment is visible to the Client Portal client.
    visible_to_customer: bool | None = None
    #: For updates and state changes: `{field: {"old": ..., "new": ...}}`, raw JSON.
    changes: dict[str, Any] = attrs.field(factory=dict)
    #: Keys the SDK does not know, as raw JSON.
    extra: dict[str, Any] = attrs.field(factory=dict, metadata={"extra": True})


@attrs.frozen(kw_only=True)
class TaskUpdate:
    """What an update or a state change returns: the task as it is now, and the activity."""

    #: The updated task.
    task: Task
    #: The activity the server recorded for the change.
    activity: TaskActivity


Archived = bool | Literal["all"]
Steps = Sequence[ChecklistItem] | ProgressBar


class SubtaskFields(TypedDict, total=False):
    """The optional fields of `Tasks.create_subtask` (and of `Tasks.create`); see `Task`.

    A field not given (or given as `UNSET`) is not sent: the server applies its default.
    """

    state: str | Unset
    desc: str | Unset
    start: datetime | Unset
    deadline: datetime | Unset
    assignees: Sequence[str] | Unset
    priority: int | Unset
    tags: Sequence[str] | Unset
    customer: str | Unset
    files: Sequence[str] | Unset
    #: Inferred from `steps` when left out: "steps" for a checklist, "progress" for a bar.
    step_type: StepType | str | Unset
    steps: Steps | Unset
    private: bool | Unset
    estimated_time: timedelta | Unset


class TaskFields(SubtaskFields, total=False):
    """The optional fields of `Tasks.create`: those of a subtask, and these."""

    recurrent: bool | Unset
    recurrence: dict[str, Any] | Unset
    #: The parent task's id: the new task becomes its subtask.
    parent: str | Unset
    #: The workflow the task is created through (`workFlowId` on the wire).
    workflow_id: str | Unset
    custom_fields: dict[str, str | None] | Unset


class TaskChanges(TypedDict, total=False):
    """The fields `Tasks.update` can change: `UNSET` or absent leaves one, `None` clears it."""

    name: str | Unset
    state: str | Unset
    desc: str | Unset | None
    start: datetime | Unset | None
    deadline: datetime | Unset | None
    assignees: Sequence[str] | Unset | None
    priority: int | Unset
    tags: Sequence[str] | Unset | None
    customer: str | Unset | None
    files: Sequence[str] | Unset | None
    step_type: StepType | str | Unset | None
    steps: Steps | Unset | None
    recurrent: bool | Unset
    recurrence: dict[str, Any] | Unset | None
    private: bool | Unset
    #: `True` archives the task, `False` restores it.
    archived: bool | Unset
    workflow_id: str | Unset | None
    estimated_time: timedelta | Unset | None
    custom_fields: dict[str, str | None] | Unset | None
    shared_with_customer: bool | Unset | None


#: Python argument names whose wire names are not their camelCase.
_WIRE_ARGS = {"project": "group", "workflow_id": "workFlowId"}


def _body(kind: type, fields: dict[str, Any], **required: Any) -> dict[str, Any]:
    """Build the body of a create or an update; `step_type` is inferred from `steps`."""
    steps = fields.get("steps")
    if fields.get("step_type", UNSET) is UNSET and steps is not None and steps is not UNSET:
        step_type = StepType.PROGRESS if isinstance(steps, ProgressBar) else StepType.STEPS
        fields = {**fields, "step_type": step_type}
    return request_fields(kind, fields, renames=_WIRE_ARGS, **required)


class Tasks(GetMany[Task]):
    """`client.tasks`: search, read, create, update and delete tasks, and their activity."""

    _id_name = "task_id"

    def list(
        self,
        *,
        project: str | None = None,
        assignee: str | None = None,
        assigned_by: str | None = None,
        customer: str | None = None,
        tag: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        archived: Archived = False,
        recursive: bool = False,
        search: str | None = None,
        include: Sequence[str] | None = None,
        exclude: Sequence[str] | None = None,
        page_size: int = 100,
        max_items: int | None = None,
    ) -> Pager[Task]:
        """Search tasks; return a `Pager` that fetches `page_size` tasks a request.

        Filters (all optional): a `project` (with its descendants when `recursive`),
        `assignee`, `assigned_by` (creator), `customer`, `tag` (a name), a time window
        `start`..`end` (aware datetimes, both or neither: a task matches if its start or
        its deadline falls inside), `archived` (`False`: not archived, `True`: archived
        only, `"all"`), `search` (in the name), and a projection: `include` or `exclude`
        `Task` attribute names (e.g. "desc", "custom_fields"; not both). Lists leave out
        some fields unless included (see `Task`). Nothing is sent before the first page
        is awaited; bad arguments raise at once.
        """
        if (start is None) != (end is None):
            raise ValueError("start and end go together: give both or neither")
        if include is not None and exclude is not None:
            raise ValueError("include and exclude cannot be combined")
        if archived not in (False, True, "all"):
            raise ValueError(f"archived must be False, True or 'all', got {archived!r}")
        check_ids(project=project, assignee=assignee, assigned_by=assigned_by, customer=customer)
        params: dict[str, Any] = {
            "group": project, "assignee": assignee, "assignedBy": assigned_by,
            "customer": customer, "tag": tag, "startDate": start, "endDate": end,
            "archived": "all" if archived == "all" else bool(archived),
            "recursive": True if recursive else None, "search": search,
            "include": projection(Task, "include", include),
            "exclude": projection(Task, "exclude", exclude),
        }  # fmt: skip
        return self._paged("tasks", Task, params=params, page_size=page_size, max_items=max_items)

    async def get(self, task_id: str) -> Task:
        """Return one task with every field."""
        return await self._get(path("tasks/{task_id}", task_id=task_id), into=Task)

    async def create(self, *, project: str, name: str, **fields: Unpack[TaskFields]) -> Task:
        """Create a task in `project`; with `parent`, as that task's subtask.

        The optional fields are those of `TaskFields`. Fields not given are not sent:
        the server applies its defaults (the project's default state, priority 3). A
        POST is never retried once it may have reached the server, so a create is never
        performed twice.
        """
        body = _body(TaskFields, dict(fields), project=check_id("project", project), name=name)
        return await self._post("tasks", body=body, into=Task)

    async def create_subtask(
        self, parent_id: str, *, name: str, **fields: Unpack[SubtaskFields]
    ) -> Task:
        """Create a subtask of `parent_id`, in the parent's project (fields: `SubtaskFields`)."""
        body = _body(SubtaskFields, dict(fields), name=name)
        return await self._post(
            path("tasks/{parent_id}/subtasks", parent_id=parent_id), body=body, into=Task
        )

    async def update(self, task_id: str, **changes: Unpack[TaskChanges]) -> TaskUpdate:
        """Change some fields of a task (those of `TaskChanges`): only those given are sent.

        `UNSET` (or leaving a field out) leaves it unchanged; `None` sends `null`, which
        clears it. `archived=True` archives the task, `False` restores it. Returns the
        task as it is now and the activity the server recorded.
        """
        body = _body(TaskChanges, dict(changes))
        if not body:
            raise ValueError("update needs at least one field to change")
        return await self._put(path("tasks/{task_id}", task_id=task_id), body=body, into=TaskUpdate)

    async def set_state(self, task_id: str, state: str | TaskState) -> TaskUpdate:
        """Move a task to another state, given by its stored name or as a `TaskState`."""
        name = state.name if isinstance(state, TaskState) else state
        if not isinstance(name, str):
            raise TypeError(f"state must be a state name or a TaskState, got {state!r}")
        if not name:
            raise ValueError("state must be a non-empty state name")
        return await self._put(
            path("tasks/{task_id}/state", task_id=task_id), body={"state": name}, into=TaskUpdate
        )

    async def delete(self, task_id: str) -> None:
        """Delete a task (the emulator deletes its subtasks with it)."""
        await self._delete(path("tasks/{task_id}", task_id=task_id))

    async def activities(self, task_id: str) -> builtins.list[TaskActivity]:
        """Return the task's activity, oldest first (the API answers it whole)."""
        return await self._get(
            path("tasks/{task_id}/activities", task_id=task_id), into=builtins.list[TaskActivity]
        )

    async def comment(
        self, task_id: str, content: str | Unset = UNSET, *, files: Sequence[str] | Unset = UNSET
    ) -> TaskActivity:
        """Add a comment (text, files, or both) to a task."""
        if content is UNSET and files is UNSET:
            raise ValueError("a comment needs content, files, or both")
        return await self._post(
            path("tasks/{task_id}/activities", task_id=task_id),
            body=request_body({"content": content, "files": files}),
            into=TaskActivity,
        )

    async def set_comment_visibility(
        self, task_id: str, activity_id: str, *, visible: bool
    ) -> TaskActivity:
        """Show your comment to the task's Client Portal client, or hide it again."""
        return await self._put(
            path("tasks/{task_id}/activities/{activity_id}", task_id=task_id,
                 activity_id=activity_id),
            body={"visibleToCustomer": visible}, into=TaskActivity,
        )  # fmt: skip
