"""Users through the SDK against the emulator: the caller, members, and users by id."""

from __future__ import annotations

import pytest

from cubicl_async import AsyncCubicl, Localization, Me, Org, User, UserSummary
from cubicl_async.testing import Demo, Emulator

from .conftest import ActAs


async def test_me_is_the_caller_with_localization_and_org(client: AsyncCubicl, demo: Demo) -> None:
    """`me()` reads every documented field: names, localization and org, with `is_admin`."""
    me = await client.users.me()
    assert isinstance(me, Me)
    assert (me.id, me.name, me.language) == (demo.admin, "Ada Lovelace", "en")
    assert me.localization == Localization(date_format="DD/MM/YYYY", time_format="HH:mm",
                                           timezone=0)  # fmt: skip
    assert me.org == Org(name="Acme", country_code="US", admins=(demo.admin,), is_admin=True)
    assert me.profile is not None and me.profile.endswith(f"{demo.admin}.png")  # noqa: PT018


async def test_a_member_is_not_an_admin(demo: Demo, act_as: ActAs) -> None:
    """Another user's `me()` says `is_admin=False` and lists the admins."""
    me = await act_as(demo.member).users.me()
    assert me.org.is_admin is False
    assert me.org.admins == (demo.admin,)


async def test_list_gives_the_current_members_with_email(client: AsyncCubicl, demo: Demo) -> None:
    """`list()` is a Pager of `User`s, emails included, in one request."""
    users = await client.users.list()
    assert [u.id for u in users] == [demo.admin, demo.member, demo.outsider]
    assert all(isinstance(u, User) and u.email for u in users)


async def test_get_many_keeps_order_repeats_once_and_leaves_unknown_ids_out(
    client: AsyncCubicl, emu: Emulator, demo: Demo
) -> None:
    """Input order, each id once, unknown ids left out; removed members resolve too."""
    gone = emu.add_user("Old", "Timer")
    emu.users.remove(gone)
    found = await client.users.get_many(
        [demo.outsider, "ffffffffffffffffffffffff", demo.admin, demo.outsider, gone]
    )
    assert [u.id for u in found] == [demo.outsider, demo.admin, gone]
    assert all(type(u) is UserSummary for u in found)
    assert [u.name for u in found] == ["Alan Turing", "Ada Lovelace", "Old Timer"]


async def test_get_many_splits_a_long_list_into_requests_of_a_few_kilobytes(
    local: AsyncCubicl, emu: Emulator, demo: Demo
) -> None:
    """500 ids of 24 characters: several requests, none with an `ids` over 2,000 characters."""
    ids = [emu.add_user(f"U{i}", "X") for i in range(500)]
    emu.requests.clear()
    found = await local.users.get_many(ids)
    assert [u.id for u in found] == ids
    lengths = [len(r.query["ids"]) for r in emu.requests]
    assert len(lengths) == 7  # 500 * 25 characters, 2,000 at most each
    assert max(lengths) <= 2000


async def test_get_many_of_nothing_sends_nothing(local: AsyncCubicl, emu: Emulator) -> None:
    """No id, no request; a single string is refused."""
    assert await local.users.get_many([]) == []
    with pytest.raises(TypeError, match="collection of ids"):
        await local.users.get_many("abc")
    assert emu.requests == []
