"""The query of ``GET /tasks``: its parameters (a bad value gets 400), filters and projection."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._endpoint import int_param
from .._http import ApiError
from ._records import customer_of

#: The page size when ``limit`` is not given, and the largest one allowed.
DEFAULT_LIMIT = 50
MAX_LIMIT = 200

_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


@dataclass(frozen=True)
class TaskQuery:
    """The parsed parameters of a ``GET /tasks`` request (see docs/emulator.md)."""

    group: str | None = None
    assignee: str | None = None
    assigned_by: str | None = None
    customer: str | None = None
    tag: str | None = None
    search: str | None = None
    #: ``(startDate, endDate)``, both bounds included.
    window: tuple[float, float] | None = None
    #: ``"false"``, ``"true"`` or ``"all"``.
    archived: str = "false"
    recursive: bool = False
    #: The fields to return (``_id`` always is), or None for the light record.
    include: frozenset[str] | None = None
    #: Fields to leave out of the light record.
    exclude: frozenset[str] = frozenset()
    skip: int = 0
    limit: int = DEFAULT_LIMIT


def _names(params: Mapping[str, str], key: str) -> frozenset[str] | None:
    """Return the comma-separated names of ``key``, or None if it is absent or empty."""
    names = frozenset(name.strip() for name in params.get(key, "").split(",")) - {""}
    return names or None


def _window(params: Mapping[str, str]) -> tuple[float, float] | None:
    start, end = params.get("startDate"), params.get("endDate")
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise ApiError(400, "startDate and endDate must be sent together")
    for key, value in (("startDate", start), ("endDate", end)):
        if not _NUMBER.fullmatch(value):
            raise ApiError(400, f"{key} must be a number (Unix seconds), not {value!r}")
    return float(start), float(end)


def parse_query(params: Mapping[str, str]) -> TaskQuery:
    """Parse the query of ``GET /tasks`` (the last value of a repeated name counts)."""
    archived = params.get("archived", "false")
    if archived not in ("true", "false", "all"):
        raise ApiError(400, f"archived must be 'true', 'false' or 'all', not {archived!r}")
    recursive = params.get("recursive", "")
    if recursive not in ("true", "false", ""):
        raise ApiError(400, f"recursive must be 'true', 'false' or empty, not {recursive!r}")
    include, exclude = _names(params, "include"), _names(params, "exclude")
    if include is not None and exclude is not None:
        raise ApiError(400, "include and exclude cannot be combined")
    return TaskQuery(
        group=params.get("group"),
        assignee=params.get("assignee"),
        assigned_by=params.get("assignedBy"),
        customer=params.get("customer"),
        tag=params.get("tag"),
        search=params.get("search"),
        window=_window(params),
        archived=archived,
        recursive=recursive == "true",
        include=include,
        exclude=exclude or frozenset(),
        skip=int_param(params, "skip", 0, 0),
        limit=int_param(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
    )


#: Fields ``GET /tasks`` leaves out unless ``include`` names them.
HEAVY_FIELDS = frozenset(
    {"desc", "steps", "customFields", "followers", "portalFollowers", "recurrence"}
)


def matches(task: Mapping[str, Any], query: TaskQuery) -> bool:
    """Tell whether a task passes the filters of a ``GET /tasks`` query (not ``group``)."""
    archived = task.get("archivedAt") is not None
    return (
        (query.archived == "all" or archived == (query.archived == "true"))
        and (query.assignee is None or query.assignee in task.get("assignees", []))
        and (query.assigned_by is None or task.get("assignedBy") == query.assigned_by)
        and (query.customer is None or customer_of(task) == query.customer)
        and (query.tag is None or query.tag in task.get("tags", []))
        and (query.search is None or query.search.casefold() in task["name"].casefold())
        and (query.window is None or _in_window(task, query.window))
    )


def _in_window(task: Mapping[str, Any], window: tuple[float, float]) -> bool:
    """Tell whether the task's start or deadline lies in the window, bounds included."""
    low, high = window
    dates = (task.get("start"), task.get("deadline"))
    return any(isinstance(date, int | float) and low <= date <= high for date in dates)


def project(task: dict[str, Any], query: TaskQuery) -> dict[str, Any]:
    """Return the fields of a task that ``GET /tasks`` sends for this query."""
    if query.include is not None:
        return {key: value for key, value in task.items() if key == "_id" or key in query.include}
    hidden = (HEAVY_FIELDS | query.exclude) - {"_id"}
    return {key: value for key, value in task.items() if key not in hidden}
