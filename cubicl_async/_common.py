"""Records shared by several API areas: task states and fields, users, files and customers."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any, ClassVar, Final

import attrs

from ._display import Record

__all__ = [
    "DEFAULT_TASK_STATES",
    "ChecklistItem",
    "CustomerRef",
    "DropboxFile",
    "EmailOrigin",
    "File",
    "FileRef",
    "GoogleFile",
    "ProgressBar",
    "StepType",
    "SupportOrigin",
    "TaskBase",
    "TaskState",
    "TaskStateType",
    "User",
    "UserSummary",
    "Workflow",
]


class TaskStateType(enum.StrEnum):
    """The category of a task state; unknown categories are kept as plain strings."""

    WAITING = "waiting"
    ACTIVE = "active"
    COMPLETED = "completed"
    SUSPENDED = "suspended"


@attrs.frozen(kw_only=True)
class TaskState:
    """A state a task of the project can be in."""

    #: The stored state name, the value of `Task.state` (e.g. `cb_waiting`).
    name: str
    #: The state's category.
    type: TaskStateType | str | None = None
    #: Background colour, hex.
    color: str | None = None
    #: Text colour, hex.
    text_color: str | None = None
    #: Whether a task created without a state gets this one.
    is_default: bool = False


#: The states of a project that does not customise them (its `taskStates` key is absent).
DEFAULT_TASK_STATES: Final = (
    TaskState(name="cb_waiting", type=TaskStateType.WAITING, color="#f39c12", text_color="#fff",
              is_default=True),
    TaskState(name="cb_active", type=TaskStateType.ACTIVE, color="#2ecc71", text_color="#fff"),
    TaskState(name="cb_completed", type=TaskStateType.COMPLETED, color="#d8d8d8",
              text_color="#333"),
    TaskState(name="cb_suspended", type=TaskStateType.SUSPENDED, color="#7d5fff",
              text_color="#fff"),
)  # fmt: skip


@attrs.frozen(kw_only=True)
class CustomerRef:
    """A customer (the API's "client") as embedded in another record."""

    #: Customer id.
    id: str
    #: Customer name, as it was when the reference was made.
    name: str | None = None


@attrs.frozen(kw_only=True)
class FileRef:
    """A file attached to a task, a comment, a chat message or a customer."""

    #: File id.
    id: str


class StepType(enum.StrEnum):
    """How a task tracks its progress: not at all, by a checklist, or by a progress bar."""

    NONE = "none"
    STEPS = "steps"
    PROGRESS = "progress"


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

    #: Workflow id (the API sends `id` here, not `_id`).
    id: str | None = attrs.field(default=None, metadata={"wire": "id"})
    #: Template the workflow was made from.
    template_id: str | None = None
    #: Whether the workflow is complete.
    is_completed: bool | None = None
    #: Task flow id.
    taskflow_id: str | None = None


@attrs.frozen(kw_only=True)
class TaskBase(Record):
    """What a REST `Task` and a webhook delivery's task share: all but the user references.

    Timestamps are aware UTC datetimes; `None` where the API sends null or nothing.
    """

    _card: ClassVar[tuple[str, ...]] = ("state", "deadline", "priority", "assignees", "project")

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
    #: Priority, 1 to 5 (5 highest).
    priority: int | None = None
    #: Order among tasks of equal priority (lowest first).
    priority_score: float | None = None
    #: Project id (`group` on the wire).
    project: str | None = attrs.field(default=None, metadata={"wire": "group"})
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
class UserSummary(Record):
    """A user as `GET /users` resolves one: members, removed members, portal users, senders.

    It never holds an email address.
    """

    _card: ClassVar[tuple[str, ...]] = ("email",)

    #: User id.
    id: str
    #: First name.
    firstname: str | None = None
    #: Last name.
    lastname: str | None = None
    #: URL of the profile photo.
    profile: str | None = None

    @property
    def name(self) -> str:
        """The full name ("Ada Lovelace"), or the id when the API sent no name."""
        return " ".join(part for part in (self.firstname, self.lastname) if part) or self.id


@attrs.frozen(kw_only=True)
class User(UserSummary):
    """A current member of the organization (`GET /organization/users`)."""

    #: Email address.
    email: str | None = None


@attrs.frozen(kw_only=True)
class GoogleFile:
    """A file attached from Google Drive."""

    #: Drive file id.
    id: str | None = attrs.field(default=None, metadata={"wire": "id"})
    #: File extension.
    extension: str | None = None
    #: Link to view it in Drive.
    web_view_link: str | None = None
    #: Its media type.
    mime_type: str | None = None


@attrs.frozen(kw_only=True)
class DropboxFile:
    """A file attached from Dropbox."""

    #: Dropbox file id.
    id: str | None = attrs.field(default=None, metadata={"wire": "id"})
    #: Link to view it in Dropbox.
    web_view_link: str | None = None


@attrs.frozen(kw_only=True)
class File(Record):
    """An uploaded (or attached) file; its id goes into tasks, comments, messages."""

    _card: ClassVar[tuple[str, ...]] = ("thumbnail",)

    #: File id.
    id: str
    #: File name.
    name: str | None = None
    #: Thumbnail URL, for the image types that have one.
    thumbnail: str | None = None
    #: Set for files attached from Google Drive.
    google: GoogleFile | None = None
    #: Set for files attached from Dropbox.
    dropbox: DropboxFile | None = None
