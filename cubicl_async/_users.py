"""Users: the records of people (member, summary, the caller) and the `client.users` resource."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator

import attrs

from ._common import User, UserSummary
from ._pagination import Pager
from ._resource import Resource, gather
from ._wire import check_id

__all__ = ["Localization", "Me", "Org", "Users"]

#: The longest `ids=` value one request of `get_many` carries (a URL stays a few KB).
MAX_IDS_LENGTH = 2000


@attrs.frozen(kw_only=True)
class Localization:
    """How the caller's dates and times are shown."""

    #: Date format, e.g. `DD/MM/YYYY`.
    date_format: str | None = None
    #: Time format, e.g. `HH:mm`.
    time_format: str | None = None
    #: The timezone setting, a number whose unit the API docs do not state.
    timezone: float | None = None


@attrs.frozen(kw_only=True)
class Org:
    """The caller's organization."""

    #: Organization name.
    name: str | None = None
    #: Country code, e.g. `US`.
    country_code: str | None = None
    #: Ids of the organization's admins.
    admins: tuple[str, ...] = ()
    #: Whether the caller is an admin.
    is_admin: bool = False


@attrs.frozen(kw_only=True)
class Me(UserSummary):
    """The user whose token makes the calls (`GET /app/me`)."""

    #: Job title.
    job_title: str | None = None
    #: Interface language, e.g. `en`.
    language: str | None = None
    #: Date and time display settings.
    localization: Localization = Localization()
    #: The organization.
    org: Org = Org()


def _chunks(ids: builtins.list[str]) -> Iterator[builtins.list[str]]:
    """Split ids so that no chunk's comma-joined text exceeds `MAX_IDS_LENGTH`."""
    chunk: builtins.list[str] = []
    length = 0
    for user_id in ids:
        if chunk and length + 1 + len(user_id) > MAX_IDS_LENGTH:
            yield chunk
            chunk, length = [], 0
        chunk.append(user_id)
        length += len(user_id) + (1 if length else 0)
    if chunk:
        yield chunk


class Users(Resource):
    """`client.users`: the caller, the organization's members, and any user by id."""

    async def me(self) -> Me:
        """Return the caller: names, localization, and the organization (`org.is_admin`)."""
        return await self._get("app/me", into=Me)

    def list(self) -> Pager[User]:
        """List the organization's current members (one request; the API answers it whole)."""
        return self._unpaged("organization/users", User)

    async def get_many(self, ids: Iterable[str]) -> builtins.list[UserSummary]:
        """Resolve user ids, of members or not (removed members, portal users, senders).

        Returns one `UserSummary` per distinct id, in the order of `ids`. Ids the server
        does not know are left out of the list (the emulator skips them; the API docs do
        not say), so compare lengths, or look results up by id, when that matters. Long
        lists are split into requests of at most `MAX_IDS_LENGTH` characters of ids,
        sent concurrently through the throttle.
        """
        if isinstance(ids, str | bytes):
            raise TypeError("get_many takes a collection of ids, not a single string")
        order = builtins.list(dict.fromkeys(check_id("user_id", value) for value in ids))
        if not order:
            return []
        pages = await gather(
            self._get("users", params={"ids": chunk}, into=builtins.list[UserSummary])
            for chunk in _chunks(order)
        )
        found = {user.id: user for page in pages for user in page}
        return [found[user_id] for user_id in order if user_id in found]
