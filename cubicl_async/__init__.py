"""cubicl_async: the asyncio SDK for the Cubicl project-management REST API (public names)."""

import logging

from ._client import DEFAULT_BASE_URL, DEFAULT_TIMEOUT, AsyncCubicl, ClientStats
from ._common import DEFAULT_TASK_STATES, CustomerRef, FileRef, TaskState, TaskStateType
from ._config import InsecureURLWarning
from ._convert import UNSET, Unset
from ._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientStateError,
    ConfigurationError,
    CubiclError,
    DecodeError,
    InvalidRequestError,
    MethodNotAllowedError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    QueueTimeoutError,
    RateLimitError,
    ServerError,
    TeapotError,
    TooManyItemsError,
)
from ._pagination import Pager
from ._projects import (
    PermissionLevel,
    PermissionLevels,
    Project,
    ProjectNode,
    ProjectPermissions,
    Projects,
    ProjectTree,
)
from ._retry import RetryPolicy
from ._tasks import (
    ActivityType,
    ChecklistItem,
    EmailOrigin,
    ProgressBar,
    StepType,
    SubtaskFields,
    SupportOrigin,
    Task,
    TaskActivity,
    TaskChanges,
    TaskFields,
    Tasks,
    TaskUpdate,
    Workflow,
)
from ._throttle import RateLimit, RateLimiter, Throttle
from ._version import __version__

# A library attaches no handler of its own but this one, so that nothing is printed unless
# the application configures logging (Python's last-resort handler would print WARNINGs).
logging.getLogger("cubicl_async").addHandler(logging.NullHandler())

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TASK_STATES",
    "DEFAULT_TIMEOUT",
    "UNSET",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "ActivityType",
    "AsyncCubicl",
    "AuthenticationError",
    "BadRequestError",
    "ChecklistItem",
    "ClientStateError",
    "ClientStats",
    "ConfigurationError",
    "CubiclError",
    "CustomerRef",
    "DecodeError",
    "EmailOrigin",
    "FileRef",
    "InsecureURLWarning",
    "InvalidRequestError",
    "MethodNotAllowedError",
    "NotFoundError",
    "Pager",
    "PaginationError",
    "PermissionDeniedError",
    "PermissionLevel",
    "PermissionLevels",
    "ProgressBar",
    "Project",
    "ProjectNode",
    "ProjectPermissions",
    "ProjectTree",
    "Projects",
    "QueueTimeoutError",
    "RateLimit",
    "RateLimitError",
    "RateLimiter",
    "RetryPolicy",
    "ServerError",
    "StepType",
    "SubtaskFields",
    "SupportOrigin",
    "Task",
    "TaskActivity",
    "TaskChanges",
    "TaskFields",
    "TaskState",
    "TaskStateType",
    "TaskUpdate",
    "Tasks",
    "TeapotError",
    "Throttle",
    "TooManyItemsError",
    "Unset",
    "Workflow",
    "__version__",
]
