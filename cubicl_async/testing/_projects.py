"""Routes of the Projects area (cubicl-api.md §4): ``GET /groups`` over the project DAG."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from ._http import ApiError, bool_param, caller
from ._store import Store


def routes(store: Store) -> list[BaseRoute]:
    """Return the routes of the Projects area over ``store``."""

    async def groups(request: Request) -> JSONResponse:
        user_id = caller(request).id
        recursive = bool_param(request, "recursive")
        parent = request.query_params.get("parent")
        if parent is None:
            candidates = store.project_ids()
        elif not store.has_project(parent):
            raise ApiError(404, f"Project {parent!r} not found")
        elif not store.visible(user_id, parent):
            raise ApiError(403, f"Not permitted to see project {parent!r}")
        elif recursive:
            candidates = store.descendants(parent)
        else:
            candidates = store.children(parent)
        return JSONResponse(store.projects(p for p in candidates if store.visible(user_id, p)))

    return [Route("/groups", groups, methods=["GET"])]
