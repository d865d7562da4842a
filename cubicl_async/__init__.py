"""cubicl_async: the asyncio SDK for the Cubicl project-management REST API (public names)."""

from ._client import DEFAULT_BASE_URL, DEFAULT_TIMEOUT, AsyncCubicl
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
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TeapotError,
)
from ._projects import (
    DEFAULT_TASK_STATES,
    PermissionLevel,
    PermissionLevels,
    Project,
    ProjectNode,
    ProjectPermissions,
    Projects,
    ProjectTree,
    TaskState,
    TaskStateType,
)
from ._throttle import RateLimit
from ._version import __version__
from ._wire import RetryPolicy

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TASK_STATES",
    "DEFAULT_TIMEOUT",
    "UNSET",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AsyncCubicl",
    "AuthenticationError",
    "BadRequestError",
    "ClientStateError",
    "ConfigurationError",
    "CubiclError",
    "DecodeError",
    "InvalidRequestError",
    "MethodNotAllowedError",
    "NotFoundError",
    "PermissionDeniedError",
    "PermissionLevel",
    "PermissionLevels",
    "Project",
    "ProjectNode",
    "ProjectPermissions",
    "ProjectTree",
    "Projects",
    "RateLimit",
    "RateLimitError",
    "RetryPolicy",
    "ServerError",
    "TaskState",
    "TaskStateType",
    "TeapotError",
    "Unset",
    "__version__",
]
