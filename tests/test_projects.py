"""client.projects: listing, the DAG walks and the tree view, against the emulator."""

from __future__ import annotations

import asyncio
import random

import pytest

from cubicl_async import (
    DEFAULT_TASK_STATES,
    AsyncCubicl,
    NotFoundError,
    PermissionDeniedError,
    ProjectNode,
    TaskStateType,
)
from cubicl_async.testing import Demo, Emulator

from .conftest import FAST_RETRY


def names(projects: object) -> list[str]:
    """Return the names of projects or nodes, in order."""
    return [getattr(p, "project", p).name for p in projects]  # type: ignore[attr-defined]


async def test_list_without_parent_sends_no_parameters(client: AsyncCubicl, emu: Emulator) -> None:
    """list() asks for the whole organization: no parent, and no recursive=None either."""
    projects = await client.projects.list()
    assert {"Acme", "Engineering", "Website", "API"} <= set(names(projects))
    assert emu.requests[-1].query == {}


async def test_list_with_parent_sends_recursive_as_text(
    client: AsyncCubicl, emu: Emulator, demo: Demo
) -> None:
    """With a parent, recursive travels as `false` or `true`."""
    engineering = demo.projects["Engineering"]
    children = await client.projects.list(engineering)
    descendants = await client.projects.list(engineering, recursive=True)
    assert sorted(names(children)) == ["Backend", "Frontend"]
    assert sorted(names(descendants)) == ["API", "Backend", "Frontend", "Website"]
    assert [r.query for r in emu.requests] == [
        {"parent": engineering, "recursive": "false"},
        {"parent": engineering, "recursive": "true"},
    ]


async def test_records_are_typed_and_sparse_fields_defaulted(
    client: AsyncCubicl, demo: Demo
) -> None:
    """The root has no parents, Website has two, and default states fill absent taskStates."""
    by_name = {p.name: p for p in await client.projects.list()}
    assert by_name["Acme"].parents == ()
    assert set(by_name["Website"].parents) == {
        demo.projects["Marketing"],
        demo.projects["Frontend"],
    }
    assert demo.projects["Engineering"] in by_name["Acme"].children
    backend = by_name["Backend"]
    assert backend.task_states is DEFAULT_TASK_STATES
    assert not backend.has_custom_task_states
    assert backend.default_state is not None
    assert backend.default_state.name == "cb_waiting"


async def test_custom_task_states_are_reported_as_custom(client: AsyncCubicl) -> None:
    """A project that sends taskStates reports them, typed, and says they are custom."""
    api = next(p for p in await client.projects.list() if p.name == "API")
    assert api.has_custom_task_states
    assert all(s.name and s.type in set(TaskStateType) for s in api.task_states)
    assert api.default_state in api.task_states


async def test_list_is_a_pager_that_iterates_what_it_awaits(
    client: AsyncCubicl, demo: Demo, emu: Emulator
) -> None:
    """projects.list() is a Pager: `async for` yields what `await` returns, one request each."""
    root = demo.projects["Acme"]
    emu.requests.clear()
    listed = await client.projects.list(root, recursive=True)
    assert [p async for p in client.projects.list(root, recursive=True)] == listed
    assert len(emu.requests) == 2


@pytest.mark.parametrize("bad", ["", 5])
async def test_a_bad_parent_id_is_refused_before_sending(
    local: AsyncCubicl, emu: Emulator, bad: object
) -> None:
    """An empty or non-string parent raises ValueError and sends nothing."""
    with pytest.raises(ValueError, match="parent must be a non-empty id string"):
        await local.projects.list(bad)  # type: ignore[arg-type]
    assert emu.requests == []


async def test_an_unknown_parent_is_not_found(local: AsyncCubicl) -> None:
    """Listing under an id that does not exist raises NotFoundError."""
    with pytest.raises(NotFoundError):
        await local.projects.list("ffffffffffffffffffffffff")


async def test_visibility_follows_the_permission_rules(emu: Emulator, demo: Demo) -> None:
    """An outsider does not see a project closed to everybody and cannot list under it."""
    async with AsyncCubicl(
        emu.token(demo.outsider), base_url=emu.base_url_in_process,
        transport=emu.transport(), rate_limit=None, retry=FAST_RETRY,
    ) as outsider:  # fmt: skip
        visible = names(await outsider.projects.list())
        assert "Secret" not in visible
        assert "Marketing" in visible  # everybody may view its tasks
        with pytest.raises(PermissionDeniedError):
            await outsider.projects.list(demo.projects["Secret"])


# --- walks ---------------------------------------------------------------------------------


def assert_well_formed(nodes: list[ProjectNode]) -> None:
    """Each project once; path ends in the project; depth is the path's length."""
    ids = [n.project.id for n in nodes]
    assert len(ids) == len(set(ids))
    for node in nodes:
        assert node.path[-1] == node.project.id
        assert node.depth == len(node.path)


async def test_walk_of_the_organization_makes_one_request(
    client: AsyncCubicl, emu: Emulator
) -> None:
    """walk() yields every project once, breadth first, from one GET /groups."""
    nodes = [n async for n in client.projects.walk()]
    assert_well_formed(nodes)
    assert len(nodes) == len(await client.projects.list())
    assert (nodes[0].project.name, nodes[0].depth) == ("Acme", 1)
    depths = [n.depth for n in nodes]
    assert depths == sorted(depths)
    website = next(n for n in nodes if n.project.name == "Website")
    assert website.depth == 3  # Acme > Marketing > Website, the shorter of its two paths
    assert len(emu.requests) - 1 == 1  # minus the list() above


async def test_walk_under_a_root_yields_its_descendants_from_depth_one(
    client: AsyncCubicl, emu: Emulator, demo: Demo
) -> None:
    """The root is not yielded; its children are at depth 1, in one recursive request."""
    root = demo.projects["Engineering"]
    nodes = [n async for n in client.projects.walk(root)]
    assert_well_formed(nodes)
    assert sorted(names(n for n in nodes if n.depth == 1)) == ["Backend", "Frontend"]
    assert sorted(names(nodes)) == ["API", "Backend", "Frontend", "Website"]
    assert [r.query for r in emu.requests] == [{"parent": root, "recursive": "true"}]


@pytest.mark.parametrize("mode", ["subtree", "levels"])
async def test_max_depth_stops_the_walk(client: AsyncCubicl, demo: Demo, mode: str) -> None:
    """max_depth=1 yields only the root's children."""
    nodes = [n async for n in client.projects.walk(demo.projects["Acme"], max_depth=1, mode=mode)]  # type: ignore[arg-type]
    assert sorted(names(nodes)) == ["Engineering", "Marketing", "Secret"]


async def test_levels_mode_matches_subtree_mode_one_request_per_project(
    client: AsyncCubicl, emu: Emulator, demo: Demo
) -> None:
    """mode='levels' finds the same nodes as 'subtree', asking each project for its children."""
    root = demo.projects["Acme"]
    subtree = {(n.project.id, n.depth) async for n in client.projects.walk(root)}
    emu.requests.clear()
    levels = [n async for n in client.projects.walk(root, mode="levels")]
    assert_well_formed(levels)
    assert {(n.project.id, n.depth) for n in levels} == subtree
    asked = [r.query["parent"] for r in emu.requests]
    assert sorted(asked) == sorted([root, *(pid for pid, _ in subtree)])
    assert all(r.query["recursive"] == "false" for r in emu.requests)


@pytest.mark.looptime
async def test_levels_mode_fetches_each_level_concurrently(emu: Emulator, demo: Demo) -> None:
    """With 1 s of latency per answer, a 4-level walk takes about 5 s, not one per project."""
    emu.faults.latency = 1.0
    loop = asyncio.get_running_loop()
    async with AsyncCubicl(
        "demo-token", base_url=emu.base_url_in_process, transport=emu.transport(),
        rate_limit=None,
    ) as client:  # fmt: skip
        start = loop.time()
        nodes = [n async for n in client.projects.walk(demo.projects["Acme"], mode="levels")]
    assert len(nodes) > 5
    assert loop.time() - start <= 5.5


async def test_walk_rejects_bad_arguments(local: AsyncCubicl) -> None:
    """A max_depth below 1 or an unknown mode raises ValueError naming it."""
    with pytest.raises(ValueError, match="max_depth"):
        [n async for n in local.projects.walk(max_depth=0)]
    for root in ("x", None):
        with pytest.raises(ValueError, match="mode"):
            [n async for n in local.projects.walk(root, mode="sideways")]  # type: ignore[arg-type]


async def test_a_cycle_is_walked_once_and_drawn_as_a_cycle(
    client: AsyncCubicl, emu: Emulator, demo: Demo
) -> None:
    """Backend made a parent of Engineering: walks end, each project once, the tree says so."""
    emu.add_parent(demo.projects["Engineering"], demo.projects["API"])
    for mode in ("subtree", "levels"):
        nodes = [n async for n in client.projects.walk(demo.projects["Acme"], mode=mode)]  # type: ignore[arg-type]
        assert_well_formed(nodes)
    tree = await client.projects.tree()
    assert "Engineering  (cycle)" in tree.render()
    engineering = demo.projects["Engineering"]
    assert engineering in {p.id for p in tree.descendants(engineering)}


# --- the tree view -----------------------------------------------------------------------


async def test_tree_answers_family_questions(client: AsyncCubicl, demo: Demo) -> None:
    """children, parents, ancestors and descendants of a multi-parent project."""
    tree = await client.projects.tree()
    p = demo.projects
    assert sorted(names(tree.parents(p["Website"]))) == ["Frontend", "Marketing"]
    assert sorted(names(tree.ancestors(p["Website"]))) == [
        "Acme", "Engineering", "Frontend", "Marketing"
    ]  # fmt: skip
    assert sorted(names(tree.children(p["Engineering"]))) == ["Backend", "Frontend"]
    assert sorted(names(tree.descendants(p["Engineering"]))) == [
        "API", "Backend", "Frontend", "Website"
    ]  # fmt: skip
    assert tree[p["API"]].name == "API"
    assert p["API"] in tree
    assert len(tree) == len(list(tree))
    assert tree.roots == (p["Acme"],)
    assert repr(tree).startswith(f"<ProjectTree {len(tree)} projects")


async def test_tree_renders_as_text_with_shared_projects_marked(
    client: AsyncCubicl, demo: Demo
) -> None:
    """str(tree) draws the DAG; a project under two parents appears under both."""
    text = str(await client.projects.tree())
    lines = text.splitlines()
    assert lines[0] == "Acme"
    assert sum("Website" in line for line in lines) == 2
    assert "├── Engineering" in text
    assert "│   " in text or "    " in text


async def test_tree_under_a_root(client: AsyncCubicl, demo: Demo) -> None:
    """tree(root) holds the descendants, with the root's children as its roots."""
    tree = await client.projects.tree(demo.projects["Engineering"])
    assert sorted(names(tree.parents(demo.projects["Website"]))) == ["Frontend"]
    assert sorted(tree[r].name or "" for r in tree.roots) == ["Backend", "Frontend"]


def build_big_dag(emu: Emulator, size: int, seed: int = 7) -> None:
    """Add projects up to `size`: parents drawn among earlier ones (1 to 3), and one cycle."""
    rng = random.Random(seed)
    ids = [emu.root_id]
    first = emu.add_project("cycle-a", parents=[emu.root_id])
    second = emu.add_project("cycle-b", parents=[first])
    emu.add_parent(first, second)  # cycle-a -> cycle-b -> cycle-a
    ids += [first, second]
    while len(ids) < size:
        parents = rng.sample(ids, k=min(len(ids), rng.choice([1, 1, 1, 2, 3])))
        ids.append(emu.add_project(f"p{len(ids)}", parents=parents))
    assert sum(len(emu.project(pid)["parents"] or []) > 1 for pid in ids) > 50


async def test_a_1000_project_dag_is_walked_once_in_one_request(emu: Emulator) -> None:
    """1,000 projects with multi-parent links and cycles: each visited once, one request."""
    emu.add_user("Ada", "L", token="demo-token", org_admin=True)
    build_big_dag(emu, 1000)
    async with AsyncCubicl(
        "demo-token", base_url=emu.base_url_in_process, transport=emu.transport(),
        rate_limit=None,
    ) as client:  # fmt: skip
        nodes = [n async for n in client.projects.walk()]
        assert len(emu.requests) == 1
        assert_well_formed(nodes)
        assert len(nodes) == 1000
        emu.requests.clear()
        under = [n async for n in client.projects.walk(emu.root_id)]
    assert len(emu.requests) == 1
    assert_well_formed(under)
    assert len(under) == 999
