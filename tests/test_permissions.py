"""Who may do what: ordered levels, the four-step rule on a DAG, and the emulator agreeing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cubicl_async import (
    AsyncCubicl,
    FilesLevel,
    GanttLevel,
    PermissionDeniedError,
    PermissionLevels,
    Project,
    ProjectPermissions,
    ProjectTree,
    ReportsLevel,
    RetryPolicy,
    TaskLevel,
)
from cubicl_async.testing import Emulator

# --- ordered levels ---------------------------------------------------------------------


def test_levels_are_ordered_within_their_feature() -> None:
    """Each scale is ordered lowest first; strings of the scale compare too."""
    assert (
        TaskLevel.NONE < TaskLevel.VIEW < TaskLevel.CONTRIBUTE < TaskLevel.EDIT < TaskLevel.MANAGE
    )
    assert FilesLevel.VIEW < FilesLevel.EDIT < FilesLevel.MANAGE
    assert GanttLevel.EDIT > GanttLevel.VIEW
    assert ReportsLevel.VIEW >= "none"
    assert TaskLevel.CONTRIBUTE <= "edit"
    assert max([TaskLevel.VIEW, TaskLevel.MANAGE, TaskLevel.EDIT]) is TaskLevel.MANAGE


def test_comparing_two_features_is_an_error_not_false() -> None:
    """A tasks level and a files level cannot be compared."""
    with pytest.raises(TypeError, match="cannot compare a TaskLevel with a FilesLevel"):
        assert TaskLevel.EDIT > FilesLevel.VIEW
    with pytest.raises(TypeError):
        assert TaskLevel.EDIT < 3  # type: ignore[operator]


def test_an_unknown_level_ranks_below_none() -> None:
    """A level the SDK does not know grants nothing: below none, never equal to it."""
    assert TaskLevel.NONE > "superuser"
    assert not (TaskLevel.VIEW <= "superuser")
    assert not PermissionLevels(tasks="superuser").allows("tasks", "view")


# --- the rule, step by step --------------------------------------------------------------

VIEW_ONLY = PermissionLevels(tasks=TaskLevel.VIEW, files=FilesLevel.VIEW)


def org(*projects: Project) -> ProjectTree:
    """Return the tree of these projects."""
    return ProjectTree(projects)


def test_an_admin_gets_the_top_of_every_feature() -> None:
    """Step 1, in the project itself."""
    tree = org(Project(id="p", admins=("ada",), perms=ProjectPermissions(everybody=VIEW_ONLY)))
    levels = tree.permissions("ada", "p")
    assert (levels.tasks, levels.files, levels.gantt, levels.reports) == (
        TaskLevel.MANAGE, FilesLevel.MANAGE, GanttLevel.EDIT, ReportsLevel.VIEW
    )  # fmt: skip


def test_admins_are_inherited_through_any_parent_even_a_second_one() -> None:
    """Step 1, from an ancestor reached through the second parent, across a cycle."""
    tree = org(
        Project(id="root", children=("a", "b")),
        Project(id="a", parents=("root",), children=("c",)),
        Project(id="b", parents=("root", "c"), admins=("ada",), children=("c",)),
        Project(id="c", parents=("a", "b"), perms=ProjectPermissions()),
    )
    assert tree.can("ada", "c", "tasks", "manage")
    assert tree.can("ada", "b", "files", FilesLevel.MANAGE)
    assert not tree.can("ada", "a", "tasks", "view")  # not below b on that side


def test_a_per_user_entry_wins_over_membership() -> None:
    """Step 2 before step 3; a feature it leaves out is none."""
    perms = ProjectPermissions(members=VIEW_ONLY, users={"ada": PermissionLevels(tasks="edit")})
    tree = org(Project(id="p", members=("ada", "bob"), perms=perms))
    assert tree.can("ada", "p", "tasks", "edit")
    assert tree.permissions("ada", "p").files == FilesLevel.NONE
    assert not tree.can("bob", "p", "tasks", "edit")
    assert tree.can("bob", "p", "files", "view")


def test_members_then_everybody_and_the_defaults() -> None:
    """Steps 3 and 4; a project without perms: members manage tasks, everybody nothing."""
    tree = org(Project(id="p", members=("bob",)))
    assert tree.can("bob", "p", "tasks", TaskLevel.MANAGE)
    assert tree.can("bob", "p", "gantt", "edit")
    assert tree.can("bob", "p", "reports", "view")
    assert not tree.can("eve", "p", "tasks", "view")
    custom = org(Project(id="q", perms=ProjectPermissions(everybody=VIEW_ONLY)))
    assert custom.can("eve", "q", "tasks", "view")
    assert not custom.can("eve", "q", "gantt", "view")  # missing from custom perms: none


def test_can_checks_its_arguments() -> None:
    """An unknown feature or level is a ValueError; another feature's member a TypeError."""
    tree = org(Project(id="p"))
    with pytest.raises(ValueError, match="feature"):
        tree.can("u", "p", "wiki", "view")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="contribute"):
        tree.can("u", "p", "files", "contribute")
    with pytest.raises(TypeError):
        tree.can("u", "p", "files", TaskLevel.VIEW)


# --- differential: the SDK's resolver against what the emulator enforces ------------------

LEVELS = {
    "tasks": ["none", "view", "contribute", "edit", "manage"],
    "files": ["none", "view", "edit", "manage"],
    "gantt": ["none", "view", "edit"],
    "reports": ["none", "view"],
}
levels = st.fixed_dictionaries({}, optional={k: st.sampled_from(v) for k, v in LEVELS.items()})


@st.composite
def organizations(draw: st.DrawFn) -> dict[str, Any]:
    """Draw a small organization: a DAG with several parents and maybe a cycle, perms, admins."""
    size = draw(st.integers(2, 5))
    projects = []
    for i in range(size):
        parents = draw(st.sets(st.integers(-1, i - 1), min_size=1, max_size=2))
        perms = draw(st.none() | st.fixed_dictionaries({}, optional={
            "members": levels, "everybody": levels,
            "users": st.dictionaries(st.sampled_from(["u0", "u1", "u2"]), levels, max_size=2),
        }))  # fmt: skip
        projects.append({
            "parents": sorted(parents), "perms": perms,
            "admins": draw(st.sets(st.sampled_from(["u0", "u1", "u2"]), max_size=1)),
            "members": draw(st.sets(st.sampled_from(["u0", "u1", "u2"]), max_size=2)),
        })  # fmt: skip
    cycle = draw(st.none() | st.tuples(st.integers(0, size - 1), st.integers(0, size - 1)))
    return {"projects": projects, "cycle": cycle}


def build(spec: dict[str, Any]) -> tuple[Emulator, dict[str, str], list[str]]:
    """Seed an emulator from a drawn organization; return it, the users and the projects."""
    emu = Emulator()
    boss = emu.add_user("Org", "Admin", org_admin=True, token="boss")
    users = {name: emu.add_user(name, "X", token=f"token-{name}") for name in ("u0", "u1", "u2")}
    ids: list[str] = []
    for project in spec["projects"]:
        parents = [emu.root_id if p < 0 else ids[p] for p in project["parents"]]
        perms = project["perms"]
        if perms is not None and "users" in perms:
            perms = {**perms, "users": {users[u]: v for u, v in perms["users"].items()}}
        ids.append(emu.add_project(
            f"p{len(ids)}", parents=parents, perms=perms,
            admins=[users[u] for u in project["admins"]],
            members=[users[u] for u in project["members"]],
        ))  # fmt: skip
    if spec["cycle"] is not None:
        child, parent = spec["cycle"]
        if child != parent:
            emu.add_parent(ids[min(child, parent)], ids[max(child, parent)])
    return emu, {"boss": boss, **users}, ids


async def allowed(call: Any) -> bool:
    """Tell whether a call is permitted (a 403 means no)."""
    try:
        await call
    except PermissionDeniedError:
        return False
    return True


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=organizations())
def test_the_resolver_agrees_with_what_the_emulator_enforces(spec: dict[str, Any]) -> None:
    """For every user and project, the SDK's levels decide what the emulator allows.

    Visibility in GET /groups; task create, update, delete; on the Files page, listing
    (view), adding a directory (edit) and deleting a node (manage).
    """

    async def run() -> None:
        emu, users, ids = build(spec)

        def connect(token: str) -> AsyncCubicl:
            return AsyncCubicl(token, base_url=emu.base_url_in_process, transport=emu.transport(),
                               rate_limit=None, retry=RetryPolicy(max_retries=0))  # fmt: skip

        boss_client = connect("boss")
        tree = await boss_client.projects.tree()
        tasks = {p: (await boss_client.tasks.create(project=p, name="t")).id for p in ids}
        for name in ("u0", "u1", "u2"):
            user = users[name]
            async with connect(f"token-{name}") as client:
                visible = {p.id for p in await client.projects.list()}
                for project in ids:
                    levels = tree.permissions(user, project)
                    sees = any(levels.allows(f, "view") for f in LEVELS)  # type: ignore[arg-type]
                    assert (project in visible) == sees, (name, project)
                    expected = [tree.can(user, project, "tasks", level)
                                for level in ("contribute", "edit", "manage")]  # fmt: skip
                    actual = [
                        await allowed(client.tasks.create(project=project, name="mine")),
                        await allowed(client.tasks.update(tasks[project], desc=name)),
                        await allowed(client.tasks.delete(tasks[project])),
                    ]
                    assert actual == expected, (name, project, levels)
                    files = [tree.can(user, project, "files", level)
                             for level in ("view", "edit", "manage")]  # fmt: skip
                    made = await boss_client.files.add_directory(project=project, name="d")
                    assert [
                        await allowed(client.files.nodes(project=project).to_list()),
                        await allowed(client.files.add_directory(project=project, name=name)),
                        await allowed(client.files.delete_nodes([made.id])),
                    ] == files, (name, project, levels)
                    if actual[2]:  # deleted: put one back for the next user
                        task = await boss_client.tasks.create(project=project, name="t")
                        tasks[project] = task.id
        await boss_client.aclose()

    asyncio.run(run())
