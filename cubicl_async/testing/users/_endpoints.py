"""The Users area's endpoints (§3): ``GET /app/me``, ``/organization/users`` and ``/users``."""

from __future__ import annotations

from typing import Any

from .._endpoint import Call, Endpoint
from .._http import ApiError
from ._records import User, Users


def summary(user: User) -> dict[str, Any]:
    """Render a ``UserSummary``: a user without the email address."""
    return {
        "_id": user.id,
        "firstname": user.firstname,
        "lastname": user.lastname,
        "profile": f"https://cubicl.test/profiles/{user.id}.png",
    }


def me(users: Users, call: Call) -> dict[str, Any]:
    """``GET /app/me``: the caller, fixed locale data and the organization."""
    user = users.get(call.user_id)
    admins = users.admins()
    return {
        **summary(user),
        "jobTitle": None,
        "language": "en",
        "localization": {"dateFormat": "DD/MM/YYYY", "timeFormat": "HH:mm", "timezone": 0},
        "org": {
            "name": users.org_name,
            "countryCode": "US",
            "admins": admins,
            "isAdmin": user.id in admins,
        },
    }


def organization_users(users: Users, call: Call) -> list[dict[str, Any]]:
    """``GET /organization/users``: the current members, with their email addresses."""
    return [{**summary(user), "email": user.email} for user in users.current()]


def users_by_id(users: Users, call: Call) -> list[dict[str, Any]]:
    """``GET /users?ids=``: the summaries of the users named, in that order, each once."""
    ids = call.query.get("ids")
    if ids is None:
        raise ApiError(400, "ids is required")
    found = (users.find(user_id) for user_id in dict.fromkeys(ids.split(",")))
    return [summary(user) for user in found if user is not None]


ENDPOINTS = [
    Endpoint("GET", "/app/me", me),
    Endpoint("GET", "/organization/users", organization_users),
    Endpoint("GET", "/users", users_by_id),
]
