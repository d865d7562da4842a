"""Records shared by several API areas: task states, and references to files and customers."""

from __future__ import annotations

import enum
from typing import Final

import attrs

__all__ = ["DEFAULT_TASK_STATES", "CustomerRef", "FileRef", "TaskState", "TaskStateType"]


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
