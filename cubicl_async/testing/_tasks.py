"""Routes of the Tasks area (cubicl-api.md §5): the ten ``/tasks`` endpoints."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ._http import caller, json_object
from ._task_ops import TaskOps
from ._task_query import parse_query
from ._task_store import TaskStore

Handler = Callable[[Request], Awaitable[Response]]


def _route(path: str, **handlers: Handler) -> Route:
    """Route the methods of one path to their handlers (so a 405 lists all of them)."""

    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await handlers[method](request)

    return Route(path, endpoint, methods=list(handlers))


def routes(store: TaskStore) -> list[BaseRoute]:
    """Return the routes of the Tasks area over ``store``."""
    ops = TaskOps(store)

    def ids(request: Request) -> tuple[str, str]:
        return caller(request).id, request.path_params["task_id"]

    async def search(request: Request) -> Response:
        query = parse_query(request.query_params)
        return JSONResponse(ops.search(caller(request).id, query))

    async def create(request: Request) -> Response:
        return JSONResponse(ops.create(caller(request).id, await json_object(request)))

    async def get(request: Request) -> Response:
        return JSONResponse(ops.get(*ids(request)))

    async def update(request: Request) -> Response:
        return JSONResponse(ops.update(*ids(request), await json_object(request)))

    async def delete(request: Request) -> Response:
        ops.delete(*ids(request))
        return Response(status_code=204)

    async def subtask(request: Request) -> Response:
        user_id, task_id = ids(request)
        body = await json_object(request)
        return JSONResponse(ops.create(user_id, body, parent_id=task_id))

    async def state(request: Request) -> Response:
        return JSONResponse(ops.set_state(*ids(request), await json_object(request)))

    async def activities(request: Request) -> Response:
        return JSONResponse(ops.activities(*ids(request)))

    async def comment(request: Request) -> Response:
        return JSONResponse(ops.comment(*ids(request), await json_object(request)))

    async def visibility(request: Request) -> Response:
        activity_id = request.path_params["activity_id"]
        body = await json_object(request)
        return JSONResponse(ops.set_visibility(*ids(request), activity_id, body))

    return [
        _route("/tasks", GET=search, POST=create),
        _route("/tasks/{task_id}", GET=get, PUT=update, DELETE=delete),
        _route("/tasks/{task_id}/subtasks", POST=subtask),
        _route("/tasks/{task_id}/state", PUT=state),
        _route("/tasks/{task_id}/activities", GET=activities, POST=comment),
        _route("/tasks/{task_id}/activities/{activity_id}", PUT=visibility),
    ]
