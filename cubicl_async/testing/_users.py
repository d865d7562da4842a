"""Routes of the Users area (cubicl-api.md §3): ``/app/me``, ``/organization/users``, ``/users``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from ._http import ApiError, caller
from ._store import Store, User


def user_summary(user: User) -> dict[str, Any]:
    """Render a ``UserSummary``: a user without the email address."""
    return {
        "_id": user.id,
        "firstname": user.firstname,
        "lastname": user.lastname,
        "profile": f"https://cubicl.test/profiles/{user.id}.png",
    }


def user_json(user: User) -> dict[str, Any]:
    """Render a ``User`` (a summary plus the email address)."""
    return {**user_summary(user), "email": user.email}


def routes(store: Store) -> list[BaseRoute]:
    """Return the routes of the Users area over ``store``."""

    async def me(request: Request) -> JSONResponse:
        user = caller(request)
        admins = store.org_admins()
        return JSONResponse(
            {
                **user_summary(user),
                "jobTitle": None,
                "language": "en",
                "localization": {"dateFormat": "DD/MM/YYYY", "timeFormat": "HH:mm", "timezone": 0},
                "org": {
                    "name": store.org_name,
                    "countryCode": "US",
                    "admins": admins,
                    "isAdmin": user.id in admins,
                },
            }
        )

    async def organization_users(request: Request) -> JSONResponse:
        return JSONResponse([user_json(user) for user in store.current_users()])

    async def users_by_id(request: Request) -> JSONResponse:
        ids = request.query_params.get("ids")
        if ids is None:
            raise ApiError(400, "ids is required")
        found = (store.find_user(user_id) for user_id in dict.fromkeys(ids.split(",")))
        return JSONResponse([user_summary(user) for user in found if user is not None])

    return [
        Route("/app/me", me, methods=["GET"]),
        Route("/organization/users", organization_users, methods=["GET"]),
        Route("/users", users_by_id, methods=["GET"]),
    ]
