"""Tasks: their records (task, activity, update result), and the `client.tasks` resource."""

from __future__ import annotations

import asyncio
import builtins
import enum
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, overload

import attrs

from ._convert import UNSET, Unset, request_body
from ._pagination import Pager
from ._projects import TaskState
from ._wire import Requester, check_id, path

__all__ = [
    "ActivityType",
    "ChecklistItem",
    "CustomerRef",
    "EmailOrigin",
    "FileRef",
    "ProgressBar",
    "StepType",
    "SupportOrigin",
    "Task",
    "TaskActivity",
    "TaskUpdate",
    "Tasks",
    "Workflow",
]


class StepType(enum.StrEnum):
    """How a task tracks its progress: not at all, by a checklist, or by a progress bar."""

    NONE = "none"
    STEPS = "steps"
    PROGRESS = "progress"


class ActivityType(enum.StrEnum):
    """What a task activity records (the emulator's values; the API docs do not say)."""

    CREATE = "create"
    UPDATE = "update"
    STATE = "state"
    COMMENT = "comment"


@attrs.frozen(kw_only=True)
class ChecklistItem:
    """One item of a task's checklist (`stepType` "steps")."""

    #: Server-assigned item id; leave it out when creating.
    id: str | None = None
    #: The item's text.
    name: str | None = None
    #: Whether it is done.
    checked: bool = False


@attrs.frozen(kw_only=True)
class ProgressBar:
    """A task's progress bar (`stepType` "progress")."""

    #: Progress made.
    completed: float | None = None
    #: Progress at completion.
    total: float | None = None


@attrs.frozen(kw_only=True)
class CustomerRef:
    """The client a task belongs to, as embedded in the task."""

    #: Client id.
    id: str
    #: Client name.
    name: str | None = None


@attrs.frozen(kw_only=True)
class FileRef:
    """A file attached to a task or a comment."""

    #: File id.
    id: str


@attrs.frozen(kw_only=True)
class EmailOrigin:
    """Where a task created from an incoming email came from."""

    #: Generated id of the sender.
    email_user_id: str | None = None


@attrs.frozen(kw_only=True)
class SupportOrigin:
    """The Client Portal user who opened a support request."""

    #: Portal user id.
    portal_user: str | None = None


@attrs.frozen(kw_only=True)
class Workflow:
    """The workflow a task belongs to."""

    #: Workflow id.
    id: str | None = None
    #: Template the workflow was made from.
    template_id: str | None = None
    #: Whether the workflow is complete.
    is_completed: bool | None = None
    #: Task flow id.
    taskflow_id: str | None = None


@attrs.frozen(kw_only=True)
class Task:
    """A task. Lists (`GET /tasks`) leave some fields out: those read as their defaults.

    Timestamps are aware UTC datetimes; `None` where the API sends null or nothing.
    """

    #: Task id (`_id`).
    id: str
    #: Name.
    name: str | None = None
    #: Description (absent from list results unless included).
    desc: str | None = None
    #: Stored state name (see the project's `task_states`).
    state: str | None = None
    #: Start date.
    start: datetime | None = None
    #: Deadline.
    deadline: datetime | None = None
    #: Assignee user ids.
    assignees: tuple[str, ...] = ()
    #: Owner (creator) user id.
    assigned_by: str | None = None
    #: Follower user ids.
    followers: tuple[str, ...] = ()
    #: Client Portal users following a shared task.
    portal_followers: tuple[str, ...] = ()
    #: Priority, 1 to 5 (5 highest).
    priority: int | None = None
    #: Order among tasks of equal priority (lowest first).
    priority_score: float | None = None
    #: Project id.
    group: str | None = None
    #: When the task was completed.
    completed_at: datetime | None = None
    #: When the task was archived (`None`: not archived).
    archived_at: datetime | None = None
    #: How progress is tracked.
    step_type: StepType | str | None = None
    #: The checklist (a tuple of items) or the progress bar, per `step_type`.
    steps: tuple[ChecklistItem, ...] | ProgressBar | None = None
    #: The client the task belongs to.
    customer: CustomerRef | None = None
    #: Creation time.
    created_at: datetime | None = None
    #: Attached files.
    files: tuple[FileRef, ...] = ()
    #: Tags.
    tags: tuple[str, ...] = ()
    #: Subtask ids.
    subtasks: tuple[str, ...] = ()
    #: Parent task id, for a subtask.
    parent: str | None = None
    #: Set for tasks created from an incoming email.
    email: EmailOrigin | None = None
    #: Set for support requests from the Client Portal.
    support: SupportOrigin | None = None
    #: Whether the task is private.
    private: bool | None = None
    #: Whether the task is shared with its client.
    shared_with_customer: bool | None = None
    #: Set for workflow tasks.
    workflow: Workflow | None = None
    #: Estimated duration.
    estimated_time: timedelta | None = None
    #: Custom field values by field name.
    custom_fields: dict[str, str | None] = attrs.field(factory=dict)
    #: For recurring tasks: whether this is the newest copy.
    last_copy: bool | None = None
    #: Whether the task recurs.
    recurrent: bool | None = None
    #: The recurrence rule, as raw JSON (its shape is not documented).
    recurrence: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class TaskActivity:
    """An entry of a task's activity: a comment, an update, a state change.

    The API docs do not capture this shape: the fields below are typed, and every other
    key the server sends is kept in `extra`, as raw JSON.
    """

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


class Tasks:
    """`client.tasks`: search, read, create, update and delete tasks, and their activity."""

    def __init__(self, client: Requester) -> None:
        self._client = client

    def list(
        self,
        *,
        group: str | None = None,
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
        """Search tasks; return an async iterator that fetches one page at a time.

        Filters (all optional): a project (`group`, with its descendants when
        `recursive`), `assignee`, `assigned_by` (creator), `customer`, `tag` (a name),
        a time window `start`..`end` (aware datetimes, both or neither: a task matches
        if its start or its deadline falls inside), `archived` (`False`: not archived,
        `True`: archived only, `"all"`), `search` (in the name), and a projection:
        `include` or `exclude` field names (wire names, e.g. "desc"; not both). Lists
        leave out some fields unless included (see `Task`). Nothing is sent before the
        first page is awaited; bad arguments raise `ValueError` at once.
        """
        if (start is None) != (end is None):
            raise ValueError("start and end go together: give both or neither")
        if include is not None and exclude is not None:
            raise ValueError("include and exclude cannot be combined")
        if archived not in (False, True, "all"):
            raise ValueError(f"archived must be False, True or 'all', got {archived!r}")
        for name, fields in (("include", include), ("exclude", exclude)):
            if isinstance(fields, str):
                raise TypeError(f"{name} takes a sequence of field names, not a string")
        params: dict[str, Any] = {
            "group": group,
            "assignee": assignee,
            "assignedBy": assigned_by,
            "customer": customer,
            "tag": tag,
            "startDate": start,
            "endDate": end,
            "archived": "all" if archived == "all" else bool(archived),
            "recursive": True if recursive else None,
            "search": search,
            "include": include,
            "exclude": exclude,
        }

        async def fetch(skip: int, limit: int) -> builtins.list[Task]:
            page: builtins.list[Task] = await self._client._request(
                "GET", "tasks", params={**params, "skip": skip, "limit": limit},
                into=builtins.list[Task],
            )  # fmt: skip
            return page

        return Pager(fetch, _task_id, page_size=page_size, max_items=max_items)

    async def get(self, task_id: str) -> Task:
        """Return one task with every field."""
        task: Task = await self._client._request(
            "GET", path("tasks/{task_id}", task_id=task_id), into=Task
        )
        return task

    @overload
    async def get_many(
        self, task_ids: Iterable[str], *, return_exceptions: Literal[False] = False
    ) -> builtins.list[Task]: ...
    @overload
    async def get_many(
        self, task_ids: Iterable[str], *, return_exceptions: Literal[True]
    ) -> builtins.list[Task | BaseException]: ...
    async def get_many(
        self, task_ids: Iterable[str], *, return_exceptions: bool = False
    ) -> builtins.list[Task] | builtins.list[Task | BaseException]:
        """Fetch many tasks concurrently, through the throttle; return them in input order.

        A repeated id is fetched once. If one fetch fails, the others still pending are
        cancelled and its error is raised; with `return_exceptions=True` every fetch runs
        to its end and a failure takes its place in the list as the exception raised.
        """
        ids = builtins.list(task_ids)
        for task_id in ids:
            check_id("task_id", task_id)
        fetches = {
            task_id: asyncio.ensure_future(self.get(task_id)) for task_id in dict.fromkeys(ids)
        }
        try:
            await asyncio.gather(*fetches.values(), return_exceptions=return_exceptions)
        finally:
            for fetch in fetches.values():
                fetch.cancel()
            await asyncio.gather(*fetches.values(), return_exceptions=True)
        return [_outcome(fetches[task_id]) for task_id in ids]

    async def create(
        self,
        *,
        group: str,
        name: str,
        state: str | Unset = UNSET,
        desc: str | Unset = UNSET,
        start: datetime | Unset = UNSET,
        deadline: datetime | Unset = UNSET,
        assignees: Sequence[str] | Unset = UNSET,
        priority: int | Unset = UNSET,
        tags: Sequence[str] | Unset = UNSET,
        customer: str | Unset = UNSET,
        files: Sequence[str] | Unset = UNSET,
        step_type: StepType | str | Unset = UNSET,
        steps: Steps | Unset = UNSET,
        recurrent: bool | Unset = UNSET,
        recurrence: dict[str, Any] | Unset = UNSET,
        private: bool | Unset = UNSET,
        parent: str | Unset = UNSET,
        work_flow_id: str | Unset = UNSET,
        estimated_time: timedelta | Unset = UNSET,
        custom_fields: dict[str, str | None] | Unset = UNSET,
    ) -> Task:
        """Create a task in project `group`; with `parent`, as that task's subtask.

        Arguments left `UNSET` are not sent: the server applies its defaults (the
        project's default state, priority 3). A POST is never retried once it may have
        reached the server, so a create is never performed twice.
        """
        check_id("group", group)
        body = request_body({k: v for k, v in locals().items() if k != "self"})
        task: Task = await self._client._request("POST", "tasks", body=body, into=Task)
        return task

    async def create_subtask(
        self,
        parent_id: str,
        *,
        name: str,
        state: str | Unset = UNSET,
        desc: str | Unset = UNSET,
        start: datetime | Unset = UNSET,
        deadline: datetime | Unset = UNSET,
        assignees: Sequence[str] | Unset = UNSET,
        priority: int | Unset = UNSET,
        tags: Sequence[str] | Unset = UNSET,
        customer: str | Unset = UNSET,
        files: Sequence[str] | Unset = UNSET,
        step_type: StepType | str | Unset = UNSET,
        steps: Steps | Unset = UNSET,
        private: bool | Unset = UNSET,
        estimated_time: timedelta | Unset = UNSET,
    ) -> Task:
        """Create a subtask of `parent_id`, in the parent's project."""
        fields = {k: v for k, v in locals().items() if k not in ("self", "parent_id")}
        task: Task = await self._client._request(
            "POST", path("tasks/{parent_id}/subtasks", parent_id=parent_id),
            body=request_body(fields), into=Task,
        )  # fmt: skip
        return task

    async def update(
        self,
        task_id: str,
        *,
        name: str | Unset = UNSET,
        state: str | Unset = UNSET,
        desc: str | Unset | None = UNSET,
        start: datetime | Unset | None = UNSET,
        deadline: datetime | Unset | None = UNSET,
        assignees: Sequence[str] | Unset | None = UNSET,
        priority: int | Unset = UNSET,
        tags: Sequence[str] | Unset | None = UNSET,
        customer: str | Unset | None = UNSET,
        files: Sequence[str] | Unset | None = UNSET,
        step_type: StepType | str | Unset | None = UNSET,
        steps: Steps | Unset | None = UNSET,
        recurrent: bool | Unset = UNSET,
        recurrence: dict[str, Any] | Unset | None = UNSET,
        private: bool | Unset = UNSET,
        archived: bool | Unset = UNSET,
        work_flow_id: str | Unset | None = UNSET,
        estimated_time: timedelta | Unset | None = UNSET,
        custom_fields: dict[str, str | None] | Unset | None = UNSET,
        shared_with_customer: bool | Unset | None = UNSET,
    ) -> TaskUpdate:
        """Change some fields of a task: only the arguments given are sent.

        `UNSET` (the default) leaves a field unchanged; `None` sends `null`, which clears
        it. `archived=True` archives the task, `False` restores it. Returns the task as
        it is now and the activity the server recorded.
        """
        fields = {k: v for k, v in locals().items() if k not in ("self", "task_id")}
        if all(isinstance(v, Unset) for v in fields.values()):
            raise ValueError("update needs at least one field to change")
        result: TaskUpdate = await self._client._request(
            "PUT", path("tasks/{task_id}", task_id=task_id), body=request_body(fields),
            into=TaskUpdate,
        )  # fmt: skip
        return result

    async def set_state(self, task_id: str, state: str | TaskState) -> TaskUpdate:
        """Move a task to another state, given by its stored name or as a `TaskState`."""
        name = state.name if isinstance(state, TaskState) else state
        if not isinstance(name, str):
            raise TypeError(f"state must be a state name or a TaskState, got {state!r}")
        if not name:
            raise ValueError("state must be a non-empty state name")
        result: TaskUpdate = await self._client._request(
            "PUT", path("tasks/{task_id}/state", task_id=task_id), body={"state": name},
            into=TaskUpdate,
        )  # fmt: skip
        return result

    async def delete(self, task_id: str) -> None:
        """Delete a task (the emulator deletes its subtasks with it)."""
        await self._client._request("DELETE", path("tasks/{task_id}", task_id=task_id))

    async def activities(self, task_id: str) -> builtins.list[TaskActivity]:
        """Return the task's activity, oldest first."""
        found: builtins.list[TaskActivity] = await self._client._request(
            "GET", path("tasks/{task_id}/activities", task_id=task_id),
            into=builtins.list[TaskActivity],
        )  # fmt: skip
        return found

    async def comment(
        self, task_id: str, content: str | Unset = UNSET, *, files: Sequence[str] | Unset = UNSET
    ) -> TaskActivity:
        """Add a comment (text, files, or both) to a task."""
        if content is UNSET and files is UNSET:
            raise ValueError("a comment needs content, files, or both")
        activity: TaskActivity = await self._client._request(
            "POST", path("tasks/{task_id}/activities", task_id=task_id),
            body=request_body({"content": content, "files": files}), into=TaskActivity,
        )  # fmt: skip
        return activity

    async def set_comment_visibility(
        self, task_id: str, activity_id: str, *, visible: bool
    ) -> TaskActivity:
        """Show your comment to the task's Client Portal client, or hide it again."""
        activity: TaskActivity = await self._client._request(
            "PUT",
            path("tasks/{task_id}/activities/{activity_id}", task_id=task_id,
                 activity_id=activity_id),
            body={"visibleToCustomer": visible}, into=TaskActivity,
        )  # fmt: skip
        return activity


def _task_id(task: Task) -> str:
    return task.id


def _outcome(fetch: asyncio.Future[Task]) -> Task | BaseException:
    exc = fetch.exception()
    return exc if exc is not None else fetch.result()
