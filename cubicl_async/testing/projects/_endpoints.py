"""The Projects area's endpoints (cubicl-api.md §4): ``GET /groups`` over the project DAG."""

from __future__ import annotations

from typing import Any

from .._endpoint import Call, Endpoint, bool_param
from .._http import ApiError
from ._records import Projects


def groups(projects: Projects, call: Call) -> list[dict[str, Any]]:
    """``GET /groups``: the visible projects, or the visible children or descendants of one."""
    recursive = bool_param(call.query, "recursive")
    parent = call.query.get("parent")
    if parent is None:
        candidates = projects.ids()
    elif not projects.has(parent):
        raise ApiError(404, f"Project {parent!r} not found")
    elif not projects.visible(call.user_id, parent):
        raise ApiError(403, f"Not permitted to see project {parent!r}")
    elif recursive:
        candidates = projects.descendants(parent)
    else:
        candidates = projects.children(parent)
    return projects.records(p for p in candidates if projects.visible(call.user_id, p))


ENDPOINTS = [Endpoint("GET", "/groups", groups)]
