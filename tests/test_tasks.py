"""client.tasks: every endpoint, every filter, pagination edges and update semantics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cubicl_async import (
    UNSET,
    ActivityType,
    AsyncCubicl,
    ChecklistItem,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    ProgressBar,
    StepType,
    Task,
    TaskState,
    TooManyItemsError,
)
from cubicl_async._convert import structure, unstructure
from cubicl_async.testing import Demo, Emulator, seed_demo

from .conftest import FAST_RETRY, sent
from .strategies import task_payloads

T = 1_700_000_000  # the fixed "now" of the emulator below
WHEN = datetime.fromtimestamp(T, UTC)


@pytest.fixture
def emu() -> Emulator:
    """Return an emulator whose clock always reads T."""
    return Emulator(now=lambda: float(T))


def connect(emu: Emulator, user: str, **options: Any) -> AsyncCubicl:
    """Return an in-process client acting as `user`."""
    return AsyncCubicl(
        emu.token(user), base_url=emu.base_url_in_process, transport=emu.transport(),
        rate_limit=None, retry=FAST_RETRY, **options,
    )  # fmt: skip


@pytest.fixture
async def grace(emu: Emulator, demo: Demo) -> AsyncIterator[AsyncCubicl]:
    """Yield a client of Grace, the demo member."""
    async with connect(emu, demo.member) as client:
        yield client


def names(tasks: list[Task]) -> list[str | None]:
    """Return the tasks' names in order."""
    return [t.name for t in tasks]


# --- reading -------------------------------------------------------------------------------


async def test_get_returns_every_field_typed(local: AsyncCubicl, demo: Demo) -> None:
    """A full task: datetimes in UTC, the checklist, the client reference, the subtask link."""
    task = await local.tasks.get(demo.tasks["Design endpoints"])
    assert task.name == "Design endpoints"
    assert task.state == "doing"
    assert task.assignees == (demo.member,)
    assert task.assigned_by == demo.admin
    assert task.customer is not None
    assert (task.customer.id, task.customer.name) == (demo.client, "Globex")
    assert task.step_type is StepType.STEPS
    assert isinstance(task.steps, tuple)
    assert [(s.name is not None, s.checked) for s in task.steps] == [(True, True), (True, False)]
    assert task.subtasks == (demo.tasks["Write OpenAPI spec"],)
    assert task.created_at == WHEN
    assert task.created_at.tzinfo is UTC


async def test_a_task_with_every_optional_field_missing(local: AsyncCubicl, emu: Emulator,
                                                        demo: Demo) -> None:  # fmt: skip
    """A sparse record (only _id, name, group) reads with defaults, nothing raised."""
    bare = emu.add_task(demo.projects["Backend"], "bare", created_by=demo.admin, sparse=True)
    task = await local.tasks.get(bare)
    assert task == Task(id=bare, name="bare", project=demo.projects["Backend"])
    assert (task.start, task.steps, task.customer, task.estimated_time) == (None, None, None, None)
    assert task.custom_fields == {}


async def test_rare_fields_are_typed(local: AsyncCubicl, emu: Emulator, demo: Demo) -> None:
    """email, support, workflow, estimatedTime, customFields, recurrence, progress steps."""
    rare = emu.add_task(
        demo.projects["Backend"], "rare", created_by=demo.admin,
        email={"emailUserId": "e1"}, support={"portalUser": "p1"},
        workflow={"id": "w", "templateId": "t", "isCompleted": False, "taskflowId": "f"},
        estimatedTime=5400, customFields={"Size": "L", "Risk": None}, lastCopy=True,
        recurrent=True, recurrence={"every": 2, "unit": "week"},
        stepType="progress", steps={"completed": 3, "total": 10},
        portalFollowers=["p1"], sharedWithCustomer=True,
    )  # fmt: skip
    task = await local.tasks.get(rare)
    assert task.email is not None and task.email.email_user_id == "e1"  # noqa: PT018
    assert task.support is not None and task.support.portal_user == "p1"  # noqa: PT018
    assert task.workflow is not None  # the workflow's id travels as `id`, not `_id`
    assert (task.workflow.id, task.workflow.template_id) == ("w", "t")
    assert task.estimated_time == timedelta(minutes=90)
    assert task.custom_fields == {"Size": "L", "Risk": None}
    assert task.recurrence == {"every": 2, "unit": "week"}
    assert task.steps == ProgressBar(completed=3, total=10)
    assert (task.last_copy, task.shared_with_customer, task.portal_followers) == (
        True, True, ("p1",)
    )  # fmt: skip


async def test_an_unknown_task_is_not_found(local: AsyncCubicl) -> None:
    """GET of an id that does not exist raises NotFoundError."""
    with pytest.raises(NotFoundError):
        await local.tasks.get("ffffffffffffffffffffffff")


# --- listing and its filters ----------------------------------------------------------------


async def test_list_sends_an_explicit_limit_and_archived_false(
    local: AsyncCubicl, emu: Emulator
) -> None:
    """A bare list sends skip, limit and archived=false; nothing else."""
    tasks = await local.tasks.list().to_list()
    assert "Spring newsletter" not in names(tasks)  # archived
    assert emu.requests[0].query == {"archived": "false", "skip": "0", "limit": "100"}


@pytest.mark.parametrize(
    ("filters", "query", "expected"),
    [
        ({"project": "API"}, {"group": "API"}, ["Design endpoints", "Write OpenAPI spec"]),
        ({"project": "Engineering", "recursive": True},
         {"group": "Engineering", "recursive": "true"},
         ["Set up CI", "Design endpoints", "Write OpenAPI spec", "Landing page copy"]),
        ({"project": "Engineering"}, {"group": "Engineering"}, []),
        ({"assignee": "member", "tag": "launch"}, {"assignee": "member", "tag": "launch"},
         ["Launch campaign"]),
        ({"assigned_by": "admin"}, {"assignedBy": "admin"},
         ["Design endpoints", "Acquisition plan"]),
        ({"customer": "client"}, {"customer": "client"}, ["Design endpoints", "Launch campaign"]),
        ({"search": "LAUNCH"}, {"search": "LAUNCH"}, ["Launch campaign"]),
        ({"archived": True}, {"archived": "true"}, ["Spring newsletter"]),
        ({"archived": "all", "project": "Marketing"}, {"archived": "all", "group": "Marketing"},
         ["Launch campaign", "Spring newsletter"]),
    ],
    ids=["group", "recursive", "not-recursive", "assignee-tag", "assigned-by", "customer",
         "search", "archived", "archived-all"],
)  # fmt: skip
async def test_each_filter_is_sent_and_applied(
    local: AsyncCubicl, emu: Emulator, demo: Demo, filters: dict[str, Any],
    query: dict[str, str], expected: list[str],
) -> None:  # fmt: skip
    """Each filter travels under its wire name and narrows the result as documented."""
    ids = {"member": demo.member, "admin": demo.admin, "client": demo.client, **demo.projects}
    resolve = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in filters.items()}
    tasks = await local.tasks.list(**resolve).to_list()
    assert names(tasks) == expected
    wire = emu.requests[0].query
    assert {k: wire[k] for k in query} == {k: ids.get(v, v) for k, v in query.items()}


async def test_the_time_window_matches_start_or_deadline(local: AsyncCubicl, emu: Emulator) -> None:
    """start/end go out as Unix seconds; a task matches by its start or its deadline."""
    soon = await local.tasks.list(start=WHEN, end=WHEN + timedelta(days=1))
    later = await local.tasks.list(start=WHEN + timedelta(days=20), end=WHEN + timedelta(days=40))
    assert names(soon) == ["Set up CI"]  # starts at T
    assert names(later) == ["Launch campaign"]  # deadline T + 30 days
    assert (emu.requests[0].query["startDate"], emu.requests[0].query["endDate"]) == (
        str(T), str(T + 86_400)
    )  # fmt: skip


async def test_include_and_exclude_project_the_records(local: AsyncCubicl, emu: Emulator) -> None:
    """Lists are lighter than get(); include adds fields back, exclude takes some away."""
    light = await local.tasks.list(search="Design").to_list()
    assert light[0].desc is None and light[0].steps is None  # noqa: PT018
    only = await local.tasks.list(search="Design", include=["name", "steps"]).to_list()
    assert only[0].steps is not None
    assert only[0].state is None
    without = await local.tasks.list(search="Design", exclude=["state"]).to_list()
    assert without[0].state is None
    assert without[0].name == "Design endpoints"
    assert emu.requests[1].query["include"] == "name,steps"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"start": WHEN}, ValueError, "start and end go together"),
        ({"include": ["a"], "exclude": ["b"]}, ValueError, "cannot be combined"),
        ({"archived": "yes"}, ValueError, "archived must be"),
        ({"include": "name"}, TypeError, "sequence of field names"),
        ({"page_size": 0}, ValueError, "page_size"),
        ({"page_size": 201}, ValueError, "page_size must be at most 200"),
        ({"max_items": -1}, ValueError, "max_items"),
    ],
    ids=[
        "half-window",
        "include-exclude",
        "archived",
        "include-str",
        "page-size",
        "page-size-max",
        "max-items",
    ],
)
def test_bad_list_arguments_raise_before_sending(
    local: AsyncCubicl, emu: Emulator, kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    """Each bad argument raises at once, naming what is wrong; nothing is sent."""
    with pytest.raises(error, match=message):
        local.tasks.list(**kwargs)
    assert emu.requests == []


# --- pagination ------------------------------------------------------------------------------


def fill(emu: Emulator, demo: Demo, count: int) -> list[str]:
    """Add `count` tasks to the Backlog project (created for the purpose); return their ids."""
    backlog = emu.add_project("Backlog", members=[demo.admin])
    return [emu.add_task(backlog, f"t{i:03}", created_by=demo.admin) for i in range(count)]


async def test_an_empty_list_costs_one_request(local: AsyncCubicl, emu: Emulator) -> None:
    """No match: one request, no page, an empty list."""
    pager = local.tasks.list(search="no such task")
    assert [page async for page in pager.pages()] == []
    assert len(emu.requests) == 1


async def test_exactly_one_full_page_costs_two_requests(
    local: AsyncCubicl, emu: Emulator, demo: Demo
) -> None:
    """A full page could be followed by more, so an empty second page ends the list."""
    fill(emu, demo, 5)
    emu.requests.clear()
    pages = [p async for p in local.tasks.list(search="t0", page_size=5).pages()]
    assert [len(p) for p in pages] == [5]
    assert [r.query["skip"] for r in emu.requests] == ["0", "5"]


async def test_pages_advance_by_what_came_back(local: AsyncCubicl, emu: Emulator,
                                               demo: Demo) -> None:  # fmt: skip
    """23 tasks by 10: three pages, the short last one ends the list."""
    ids = fill(emu, demo, 23)
    emu.requests.clear()
    tasks = await local.tasks.list(search="t0", page_size=10).to_list()
    assert [t.id for t in tasks] == ids
    assert [(r.query["skip"], r.query["limit"]) for r in emu.requests] == [
        ("0", "10"), ("10", "10"), ("20", "10")
    ]  # fmt: skip


async def test_an_insertion_between_pages_yields_nothing_twice(
    local: AsyncCubicl, emu: Emulator, demo: Demo
) -> None:
    """A task created before the cursor shifts the next page: the repeat is not yielded."""
    backlog = emu.add_project("Backlog", members=[demo.admin])
    for i in range(6):
        emu.add_task(backlog, f"t{i}", created_by=demo.admin, priority=3)
    seen: list[str] = []
    async for page in local.tasks.list(project=backlog, page_size=3).pages():
        seen += [t.id for t in page]
        if len(seen) == 3:  # the emulator lists in creation order: make one appear at the top
            emu.delete_task(page[0].id)
            emu.add_task(backlog, "t0 again", created_by=demo.admin)
            emu.add_task(backlog, "t0 twice", created_by=demo.admin)
    assert len(seen) == len(set(seen))


async def test_a_deletion_between_pages_may_skip_one_and_never_repeats(
    local: AsyncCubicl, emu: Emulator, demo: Demo
) -> None:
    """A task deleted before the cursor shifts the next page back: one is missed (documented)."""
    ids = fill(emu, demo, 6)
    seen: list[str] = []
    async for task in local.tasks.list(search="t0", page_size=3):
        seen.append(task.id)
        if len(seen) == 3:
            emu.delete_task(ids[0])
    assert seen == [*ids[:3], *ids[4:]]  # ids[3] moved into the first page's range


async def test_max_items_stops_iteration_and_guards_to_list(
    local: AsyncCubicl, emu: Emulator, demo: Demo
) -> None:
    """max_items caps iteration; to_list() raises rather than truncate silently."""
    fill(emu, demo, 12)
    capped = [t async for t in local.tasks.list(search="t0", page_size=5, max_items=7)]
    assert len(capped) == 7
    with pytest.raises(TooManyItemsError, match="max_items=7"):
        await local.tasks.list(search="t0", page_size=5, max_items=7).to_list()
    assert len(await local.tasks.list(search="t0", max_items=12).to_list()) == 12


# --- writing -------------------------------------------------------------------------------


async def test_create_sends_only_the_fields_given_in_wire_form(
    client: AsyncCubicl, emu: Emulator, demo: Demo
) -> None:
    """create() sends camelCase keys, Unix seconds, seconds for durations; no UNSET key."""
    task = await client.tasks.create(
        project=demo.projects["Backend"], name="Ship it", start=WHEN, deadline=WHEN + timedelta(1),
        assignees=[demo.member], priority=5, tags=["release"], customer=demo.client,
        step_type=StepType.STEPS, steps=[ChecklistItem(name="build"), ChecklistItem(name="tag")],
        estimated_time=timedelta(hours=2), custom_fields={"Size": "S"}, private=False,
    )  # fmt: skip
    assert sent(emu) == {
        "group": demo.projects["Backend"], "name": "Ship it", "start": T, "deadline": T + 86_400,
        "assignees": [demo.member], "priority": 5, "tags": ["release"], "customer": demo.client,
        "stepType": "steps", "steps": [{"name": "build"}, {"name": "tag"}],
        "estimatedTime": 7200, "customFields": {"Size": "S"}, "private": False,
    }  # fmt: skip
    assert task.state == "cb_waiting"  # the project's default state
    assert isinstance(task.steps, tuple)
    assert all(item.id for item in task.steps)  # ids assigned by the server
    assert await client.tasks.get(task.id) == task


async def test_an_update_field_has_three_states_on_the_wire(
    local: AsyncCubicl, emu: Emulator, demo: Demo
) -> None:
    """UNSET sends nothing, None sends null (clears), a value sends the value."""
    task_id = demo.tasks["Set up CI"]
    result = await local.tasks.update(task_id, deadline=None, desc="now with docs")
    assert sent(emu) == {"deadline": None, "desc": "now with docs"}
    assert result.task.deadline is None
    assert result.task.start == WHEN  # not sent, unchanged
    assert result.task.desc == "now with docs"
    assert result.activity.type is ActivityType.UPDATE
    assert set(result.activity.changes) >= {"deadline", "desc"}
    with pytest.raises(ValueError, match="at least one field"):
        await local.tasks.update(task_id, name=UNSET)


async def test_the_python_names_reach_the_wire_names(
    local: AsyncCubicl, emu: Emulator, demo: Demo
) -> None:
    """`project` travels as `group`, `workflow_id` as `workFlowId`; `steps` implies its type."""
    task = await local.tasks.create(
        project=demo.projects["Backend"], name="Flow", workflow_id="wf1",
        steps=ProgressBar(completed=1, total=4),
    )  # fmt: skip
    assert sent(emu) == {
        "group": demo.projects["Backend"], "name": "Flow", "workFlowId": "wf1",
        "stepType": "progress", "steps": {"completed": 1, "total": 4},
    }  # fmt: skip
    assert task.project == demo.projects["Backend"]
    assert task.workflow is not None and task.workflow.id == "wf1"  # noqa: PT018
    await local.tasks.update(task.id, steps=[ChecklistItem(name="one")], workflow_id=None)
    assert sent(emu) == {"stepType": "steps", "steps": [{"name": "one"}], "workFlowId": None}


@pytest.mark.parametrize(
    "call",
    [
        lambda tasks: tasks.create(project="p", name="n", nmae="typo"),
        lambda tasks: tasks.create_subtask("t", name="n", parent="p"),
        lambda tasks: tasks.update("t", project="p"),
    ],
    ids=["create-typo", "subtask-parent", "update-project"],
)
async def test_an_unknown_keyword_raises_type_error_before_sending(
    local: AsyncCubicl, emu: Emulator, call: Any
) -> None:
    """A keyword the body does not declare is a TypeError naming it; nothing is sent."""
    with pytest.raises(TypeError, match="unexpected keyword"):
        await call(local.tasks)
    assert emu.requests == []


async def test_include_and_exclude_take_python_names(local: AsyncCubicl, emu: Emulator) -> None:
    """include=/exclude= take Task attribute names and send their wire names."""
    await local.tasks.list(include=["project", "custom_fields", "id"])
    assert emu.requests[0].query["include"] == "group,customFields,_id"
    with pytest.raises(ValueError, match="customFields"):
        local.tasks.list(exclude=["customFields"])


async def test_archiving_is_an_update(local: AsyncCubicl, emu: Emulator, demo: Demo) -> None:
    """archived=True sets archived_at; the task leaves the default list; False restores it."""
    task_id = demo.tasks["Set up CI"]
    archived = await local.tasks.update(task_id, archived=True)
    assert archived.task.archived_at == WHEN
    assert "Set up CI" not in names(await local.tasks.list().to_list())
    restored = await local.tasks.update(task_id, archived=False)
    assert restored.task.archived_at is None


async def test_set_state_takes_a_name_or_a_task_state(local: AsyncCubicl, demo: Demo) -> None:
    """A state name or a project's TaskState moves the task; completion sets completed_at."""
    api = next(p for p in await local.projects.list() if p.name == "API")
    done = next(s for s in api.task_states if s.name == "done")
    result = await local.tasks.set_state(demo.tasks["Design endpoints"], done)
    assert (result.task.state, result.task.completed_at) == ("done", WHEN)
    assert result.activity.type is ActivityType.STATE
    back = await local.tasks.set_state(demo.tasks["Design endpoints"], "todo")
    assert back.task.completed_at is None


async def test_a_state_the_project_does_not_define_is_invalid(
    local: AsyncCubicl, demo: Demo
) -> None:
    """A default state name in a project with custom states raises InvalidRequestError (422)."""
    with pytest.raises(InvalidRequestError):
        await local.tasks.set_state(demo.tasks["Design endpoints"], "cb_active")
    with pytest.raises(TypeError, match="state name or a TaskState"):
        await local.tasks.set_state(demo.tasks["Design endpoints"], 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-empty"):
        await local.tasks.set_state(demo.tasks["Design endpoints"], TaskState(name=""))


async def test_subtasks_are_linked_both_ways_and_deleted_with_their_parent(
    local: AsyncCubicl, demo: Demo
) -> None:
    """create_subtask and create(parent=) link child and parent; delete cascades (204)."""
    parent = await local.tasks.create(project=demo.projects["Backend"], name="Epic")
    one = await local.tasks.create_subtask(parent.id, name="Story 1")
    two = await local.tasks.create(
        project=demo.projects["Backend"], name="Story 2", parent=parent.id
    )
    assert (one.parent, one.project, two.parent) == (parent.id, parent.project, parent.id)
    assert (await local.tasks.get(parent.id)).subtasks == (one.id, two.id)
    assert await local.tasks.delete(parent.id) is None
    for gone in (parent.id, one.id, two.id):
        with pytest.raises(NotFoundError):
            await local.tasks.get(gone)


async def test_comments_and_their_visibility(local: AsyncCubicl, demo: Demo) -> None:
    """comment() adds a comment; its author can show it to the client; activities list all."""
    task_id = demo.tasks["Launch campaign"]
    comment = await local.tasks.comment(task_id, "Looks good", files=["f1"])
    assert (comment.type, comment.content, comment.visible_to_customer) == (
        ActivityType.COMMENT, "Looks good", False
    )  # fmt: skip
    assert [f.id for f in comment.files] == ["f1"]
    shown = await local.tasks.set_comment_visibility(task_id, comment.id, visible=True)
    assert shown.visible_to_customer is True
    history = await local.tasks.activities(task_id)
    assert history[0].type is ActivityType.CREATE
    assert history[-1].id == comment.id
    with pytest.raises(ValueError, match="content, files, or both"):
        await local.tasks.comment(task_id)


async def test_permission_failures(emu: Emulator, demo: Demo, grace: AsyncCubicl) -> None:
    """Below the needed level: 403; a private task one may not see: 404, not a leak."""
    async with connect(emu, demo.outsider) as alan:
        with pytest.raises(PermissionDeniedError):  # Marketing: everybody may only view
            await alan.tasks.update(demo.tasks["Launch campaign"], name="mine now")
        with pytest.raises(PermissionDeniedError):
            await alan.tasks.create(project=demo.projects["Marketing"], name="spam")
        assignee_view = await alan.tasks.get(demo.tasks["Landing page copy"])
        assert assignee_view.assignees == (demo.outsider,)  # seen only as its assignee
    with pytest.raises(NotFoundError):
        await grace.tasks.get(demo.tasks["Acquisition plan"])  # private to Ada


# --- get_many --------------------------------------------------------------------------------


async def test_get_many_keeps_input_order_and_fetches_repeats_once(
    local: AsyncCubicl, emu: Emulator, demo: Demo
) -> None:
    """Results come in the order asked; an id given twice is fetched once."""
    ids = [demo.tasks["Set up CI"], demo.tasks["Launch campaign"], demo.tasks["Set up CI"]]
    tasks = await local.tasks.get_many(ids)
    assert [t.id for t in tasks] == ids
    assert len(emu.requests) == 2


async def test_get_many_fails_fast_or_collects_failures(local: AsyncCubicl, demo: Demo) -> None:
    """By default the first failure is raised; with return_exceptions it takes its place."""
    ids = [demo.tasks["Set up CI"], "ffffffffffffffffffffffff"]
    with pytest.raises(NotFoundError):
        await local.tasks.get_many(ids)
    outcomes = await local.tasks.get_many(ids, return_exceptions=True)
    assert isinstance(outcomes[0], Task)
    assert isinstance(outcomes[1], NotFoundError)
    with pytest.raises(ValueError, match="task_id"):
        await local.tasks.get_many(["", "x"])


# --- the converter on tasks ----------------------------------------------------------------


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    payload=task_payloads,
    unknown=st.dictionaries(st.text().map(lambda s: "zz" + s), st.integers(), max_size=3),
)
def test_task_payloads_round_trip_without_loss(payload: dict[str, Any],
                                               unknown: dict[str, int]) -> None:  # fmt: skip
    """Random sparse payloads with unknown keys: every known key survives a round trip."""
    task = structure({**payload, **unknown}, Task)
    back = unstructure(task)
    for key, value in payload.items():
        if value in (None, [], {}, False):
            assert back.get(key, value) == value  # a default may be left out
        elif key == "steps" and isinstance(value, list):  # items: defaults left out too
            assert [item["_id"] for item in back[key]] == [item["_id"] for item in value]
        else:
            assert back[key] == value, key
    assert structure(back, Task) == task
    assert not set(unknown) & set(back)


def test_a_new_demo_is_deterministic() -> None:
    """Two demos seeded at the same time have the same ids (tests may rely on them)."""
    one, two = Emulator(now=lambda: float(T)), Emulator(now=lambda: float(T))
    assert seed_demo(one) == seed_demo(two)
