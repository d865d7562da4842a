"""Contract tests of the emulator's Tasks area (``/tasks``), with raw httpx, in process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from cubicl_async.testing import Emulator, seed_demo, serve

from .conftest import NOW, Connect, FakeNow, error, ok

NONE = {"tasks": "none", "files": "none", "gantt": "none", "reports": "none"}
CLOSED = {"members": NONE, "everybody": NONE}
LIGHT_KEYS = [
    "_id",
    "name",
    "state",
    "start",
    "deadline",
    "assignees",
    "assignedBy",
    "priority",
    "priorityScore",
    "group",
    "completedAt",
    "stepType",
    "customer",
    "createdAt",
    "files",
    "tags",
    "subtasks",
    "parent",
    "private",
    "recurrent",
]
FULL_KEYS = [*LIGHT_KEYS[:2], "desc", *LIGHT_KEYS[2:7], "followers", *LIGHT_KEYS[7:]]
TWO_DONE_STATES = [
    {"name": "open", "type": "waiting", "color": "#000", "textColor": "#fff"},
    {"name": "done", "type": "completed", "color": "#000", "textColor": "#fff"},
    {"name": "shipped", "type": "completed", "color": "#000", "textColor": "#fff"},
]


@dataclass(frozen=True)
class Org:
    """The ids of the organization most tests use."""

    #: Organization admin.
    admin: str
    #: Member of `project` and `other` (default perms: manage tasks).
    member: str
    #: Member of nothing: no level anywhere.
    outsider: str
    project: str
    other: str


@pytest.fixture
def org(emu: Emulator) -> Org:
    admin = emu.add_user("Ada", "Admin", org_admin=True)
    member = emu.add_user("Mia", "Member")
    outsider = emu.add_user("Otto", "Outsider")
    project = emu.add_project("Project", members=[member])
    other = emu.add_project("Other", members=[member])
    return Org(admin, member, outsider, project, other)


@pytest.fixture
def admin(connect: Connect, org: Org) -> httpx.AsyncClient:
    return connect(user=org.admin)


@pytest.fixture
def member(connect: Connect, org: Org) -> httpx.AsyncClient:
    return connect(user=org.member)


async def create(client: httpx.AsyncClient, group: str, name: str = "T", **fields: Any) -> Any:
    """Create a task through ``POST /tasks`` and return it."""
    return ok(await client.post("tasks", json={"group": group, "name": name, **fields}))


async def task_path(client: httpx.AsyncClient, group: str, **fields: Any) -> str:
    """Create a task through ``POST /tasks`` and return its path, ``tasks/<id>``."""
    return f"tasks/{(await create(client, group, **fields))['_id']}"


async def refused(client: httpx.AsyncClient, group: str, status: int, /, **fields: Any) -> str:
    """Create a task "T" with these fields, check the error status and return its message."""
    return error(await client.post("tasks", json={"group": group, "name": "T", **fields}), status)


async def names(client: httpx.AsyncClient, **params: Any) -> list[str]:
    """Return the names of the tasks ``GET /tasks`` lists with these parameters."""
    return [task["name"] for task in ok(await client.get("tasks", params=params))]


def level_project(emu: Emulator, levels: dict[str, str]) -> str:
    """Add a project where each user of ``levels`` has that tasks level, others none."""
    users = {user: {**NONE, "tasks": level} for user, level in levels.items()}
    return emu.add_project("Levels", perms={**CLOSED, "users": users})


# Create


async def test_create_answers_the_full_task_with_defaults(
    admin: httpx.AsyncClient, emu: Emulator, org: Org
) -> None:
    """``POST /tasks`` with group and name answers the full record with every default."""
    task = await create(admin, org.project, "Write docs")
    assert list(task) == FULL_KEYS
    assert task == {
        "_id": task["_id"],
        "name": "Write docs",
        "desc": "",
        "state": "cb_waiting",
        "start": None,
        "deadline": None,
        "assignees": [],
        "assignedBy": org.admin,
        "followers": [org.admin],
        "priority": 3,
        "priorityScore": 1,
        "group": org.project,
        "completedAt": None,
        "stepType": "none",
        "customer": None,
        "createdAt": NOW,
        "files": [],
        "tags": [],
        "subtasks": [],
        "parent": None,
        "private": False,
        "recurrent": False,
    }
    assert emu.task(task["_id"]) == task
    assert (await create(admin, org.other))["priorityScore"] == 2


async def test_create_stores_every_writable_field(
    admin: httpx.AsyncClient, emu: Emulator, org: Org
) -> None:
    """Every create field is stored in its wire form; checklist items get ids."""
    client = emu.add_client("Globex")
    task = await create(
        admin,
        org.project,
        "Full",
        desc="Details",
        state="cb_active",
        start=NOW,
        deadline=NOW + 1.5,
        assignees=[org.member, org.member, org.admin],
        priority=5,
        tags=["a", "b", "a"],
        customer=client,
        files=["f1", "f2"],
        stepType="steps",
        steps=[{"name": "one", "extra": 1}, {"_id": "given", "name": "two", "checked": True}],
        recurrent=True,
        recurrence={"every": "week", "on": [1, 3]},
        private=True,
        workFlowId="wf1",
        estimatedTime=3600,
        customFields={"Size": "L"},
        sharedWithCustomer=True,
    )
    step_id = task["steps"][0]["_id"]
    assert len(step_id) == 24
    assert task == emu.task(task["_id"]) | {}
    assert {key: task[key] for key in list(task)[2:]} == {
        "desc": "Details",
        "state": "cb_active",
        "start": NOW,
        "deadline": NOW + 1.5,
        "assignees": [org.member, org.admin],
        "assignedBy": org.admin,
        "followers": [org.admin, org.member],
        "priority": 5,
        "priorityScore": 1,
        "group": org.project,
        "completedAt": None,
        "stepType": "steps",
        "steps": [
            {"_id": step_id, "name": "one", "checked": False},
            {"_id": "given", "name": "two", "checked": True},
        ],
        "customer": {"_id": client, "name": "Globex"},
        "createdAt": NOW,
        "files": [{"_id": "f1"}, {"_id": "f2"}],
        "tags": ["a", "b"],
        "subtasks": [],
        "parent": None,
        "private": True,
        "sharedWithCustomer": True,
        "workflow": {"id": "wf1"},
        "estimatedTime": 3600,
        "customFields": {"Size": "L"},
        "recurrent": True,
        "recurrence": {"every": "week", "on": [1, 3]},
    }


async def test_create_with_a_progress_bar(admin: httpx.AsyncClient, org: Org) -> None:
    """``stepType: progress`` takes a ProgressBar ``{completed, total}``, extra keys dropped."""
    bar = {"completed": 2, "total": 5.5, "unit": "%"}
    task = await create(admin, org.project, stepType="progress", steps=bar)
    assert (task["stepType"], task["steps"]) == ("progress", {"completed": 2, "total": 5.5})


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        (None, "cb_waiting"),
        ([], "cb_waiting"),
        (TWO_DONE_STATES, "open"),
        ([TWO_DONE_STATES[1], {**TWO_DONE_STATES[2], "isDefault": True}], "shipped"),
    ],
    ids=["defaults", "empty-task-states", "first-state", "is-default"],
)
async def test_create_gets_the_projects_default_state(
    admin: httpx.AsyncClient, emu: Emulator, states: list[dict[str, Any]] | None, expected: str
) -> None:
    """Without ``state``: the ``isDefault`` state, else the first, else ``cb_waiting``."""
    project = emu.add_project("States", task_states=states)
    assert (await create(admin, project))["state"] == expected


async def test_create_in_a_completed_state_sets_completed_at(
    admin: httpx.AsyncClient, org: Org
) -> None:
    """A task created in a state of type completed has ``completedAt`` now."""
    task = await create(admin, org.project, state="cb_completed")
    assert task["completedAt"] == NOW


async def test_create_dates_are_whole_seconds_of_now(
    admin: httpx.AsyncClient, org: Org, clock: FakeNow
) -> None:
    """``createdAt`` is the emulator's ``now`` as an integer."""
    clock.t = NOW + 0.75
    assert (await create(admin, org.project))["createdAt"] == NOW


async def test_create_treats_null_as_not_sent(admin: httpx.AsyncClient, org: Org) -> None:
    """Nulls in a create body leave the defaults."""
    nulls = dict.fromkeys(["desc", "state", "priority", "tags", "stepType", "workFlowId"])
    body = {"group": org.project, "name": "T", "parent": None, **nulls}
    task = ok(await admin.post("tasks", json=body))
    assert (task["desc"], task["state"], task["priority"], task["tags"]) == (
        "",
        "cb_waiting",
        3,
        [],
    )
    assert "workflow" not in task


async def test_create_ignores_unknown_and_server_keys(admin: httpx.AsyncClient, org: Org) -> None:
    """Unknown keys, server-set fields and the archive fields are ignored on create."""
    task = await create(
        admin,
        org.project,
        colour="red",
        _id="mine",
        assignedBy=org.member,
        followers=[org.member],
        completedAt=5,
        archived=True,
        archivedAt=5,
    )
    assert task["_id"] != "mine"
    assert (task["assignedBy"], task["followers"], task["completedAt"]) == (
        org.admin,
        [org.admin],
        None,
    )
    assert "archivedAt" not in task


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"group": None}, "group must be a non-empty string"),
        ({"group": 7}, "group must be a non-empty string"),
        ({"name": ""}, "name must be a non-empty string"),
        ({"name": None}, "name must be a non-empty string"),
        ({"parent": ""}, "parent must be a non-empty string"),
        ({"desc": 1}, "desc must be a string or null"),
        ({"state": 1}, "state must be a state name (a string)"),
        ({"start": "today"}, "start must be a number (Unix seconds) or null"),
        ({"deadline": True}, "deadline must be a number (Unix seconds) or null"),
        ({"assignees": "a"}, "assignees must be an array of strings or null"),
        ({"assignees": [1]}, "assignees must be an array of strings or null"),
        ({"priority": 0}, "priority must be an integer from 1 to 5 or null"),
        ({"priority": 6}, "priority must be an integer from 1 to 5 or null"),
        ({"priority": 3.0}, "priority must be an integer from 1 to 5 or null"),
        ({"priority": True}, "priority must be an integer from 1 to 5 or null"),
        ({"tags": [None]}, "tags must be an array of strings or null"),
        ({"customer": 5}, "customer must be an id (a string) or null"),
        ({"files": [""]}, "files must be an array of file ids (non-empty strings) or null"),
        ({"files": {}}, "files must be an array of file ids (non-empty strings) or null"),
        ({"stepType": "list"}, "stepType must be 'none', 'steps' or 'progress'"),
        ({"stepType": ["steps"]}, "stepType must be 'none', 'steps' or 'progress'"),
        ({"steps": "x"}, "steps must be a CheckList"),
        ({"steps": {"completed": 1}}, "steps must be a CheckList"),
        ({"steps": {"completed": "1", "total": 2}}, "steps must be a CheckList"),
        ({"steps": [{"checked": True}]}, "steps[0] must be a CheckList item"),
        ({"steps": [{"name": "a"}, "b"]}, "steps[1] must be a CheckList item"),
        ({"steps": [{"name": "a", "checked": 1}]}, "steps[0] must be a CheckList item"),
        ({"steps": [{"name": "a", "_id": ""}]}, "steps[0] must be a CheckList item"),
        ({"recurrent": "yes"}, "recurrent must be a boolean or null"),
        ({"recurrence": []}, "recurrence must be an object or null"),
        ({"private": 1}, "private must be a boolean or null"),
        ({"workFlowId": 1}, "workFlowId must be an id (a string) or null"),
        ({"estimatedTime": -1}, "estimatedTime must be a number of seconds (at least 0) or null"),
        ({"customFields": {"a": 1}}, "customFields must be an object of strings or null"),
        ({"customFields": "a"}, "customFields must be an object or null"),
        ({"sharedWithCustomer": "no"}, "sharedWithCustomer must be a boolean or null"),
    ],
)
async def test_create_wrong_types_get_400_naming_the_field(
    admin: httpx.AsyncClient, org: Org, fields: dict[str, Any], message: str
) -> None:
    """A missing required field or a wrong JSON type gets 400 naming the field."""
    assert (await refused(admin, org.project, 400, **fields)).startswith(message)


async def test_create_rejects_an_infinite_number(admin: httpx.AsyncClient, org: Org) -> None:
    """A JSON number too large for a float (infinite) is not a date."""
    content = f'{{"group": "{org.project}", "name": "T", "deadline": 1e400}}'.encode()
    message = error(await admin.post("tasks", content=content), 400)
    assert message == "deadline must be a number (Unix seconds) or null"


@pytest.mark.parametrize(
    "content",
    [b"", b"not json", b"[1, 2]", b'"text"', b"\xff\xfe", b'{"name": NaN}'],
    ids=["empty", "text", "array", "string", "bad-utf8", "nan"],
)
async def test_create_needs_a_json_object(admin: httpx.AsyncClient, content: bytes) -> None:
    """A body that is not a JSON object gets 400."""
    response = await admin.post("tasks", content=content)
    assert error(response, 400) == "The body must be a JSON object"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"steps": [{"name": "a"}]}, "steps must be left out (or null) when stepType is 'none'"),
        ({"stepType": "none", "steps": []}, "steps must be left out"),
        ({"stepType": "steps"}, "stepType 'steps' needs a CheckList (an array) in steps"),
        (
            {"stepType": "steps", "steps": {"completed": 1, "total": 2}},
            "stepType 'steps' needs a CheckList (an array) in steps",
        ),
        (
            {"stepType": "progress", "steps": []},
            "stepType 'progress' needs a ProgressBar (an object) in steps",
        ),
        ({"recurrent": True}, "a recurrent task needs a recurrence object"),
        ({"recurrence": {"every": "day"}}, "recurrence needs recurrent: true"),
        ({"recurrent": False, "recurrence": {}}, "recurrence needs recurrent: true"),
    ],
)
async def test_create_steps_and_recurrence_must_match(
    admin: httpx.AsyncClient, org: Org, fields: dict[str, Any], message: str
) -> None:
    """``steps`` must fit ``stepType`` and ``recurrence`` must come with ``recurrent``."""
    assert (await refused(admin, org.project, 400, **fields)).startswith(message)


async def test_create_in_an_unknown_project_gets_404(admin: httpx.AsyncClient) -> None:
    """An unknown ``group`` gets 404."""
    response = await admin.post("tasks", json={"group": "nope", "name": "T"})
    assert error(response, 404) == "Project 'nope' not found"


async def test_create_with_an_unknown_or_hidden_parent_gets_404(
    admin: httpx.AsyncClient, member: httpx.AsyncClient, org: Org
) -> None:
    """An unknown parent, or a private one the caller cannot see, gets 404."""
    assert await refused(admin, org.project, 404, parent="x") == "Task 'x' not found"
    secret = await create(admin, org.project, private=True)
    message = await refused(member, org.project, 404, parent=secret["_id"])
    assert message == f"Task {secret['_id']!r} not found"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"state": "cb_done"}, "State 'cb_done' is not defined in project"),
        ({"state": ""}, "State '' is not defined in project"),
        ({"state": "todo"}, "State 'todo' is not defined in project"),
        ({"assignees": ["nobody"]}, "Assignee 'nobody' is not a user of the organization"),
        ({"customer": "nobody"}, "Client 'nobody' not found"),
    ],
)
async def test_create_with_unknown_references_gets_422(
    admin: httpx.AsyncClient, org: Org, fields: dict[str, Any], message: str
) -> None:
    """An undefined state, a non-user assignee or an unknown client gets 422."""
    assert (await refused(admin, org.project, 422, **fields)).startswith(message)


async def test_removed_users_cannot_be_assigned(
    admin: httpx.AsyncClient, emu: Emulator, org: Org
) -> None:
    """An assignee who was removed from the organization gets 422."""
    emu.remove_user(org.outsider)
    assert (await refused(admin, org.project, 422, assignees=[org.outsider])).startswith("Assignee")


async def test_custom_states_replace_the_defaults(admin: httpx.AsyncClient, emu: Emulator) -> None:
    """A project with ``taskStates`` accepts only those names, not ``cb_*``."""
    project = emu.add_project("Custom", task_states=TWO_DONE_STATES)
    assert (await create(admin, project, state="shipped"))["completedAt"] == NOW
    body = {"group": project, "name": "T", "state": "cb_waiting"}
    assert (await admin.post("tasks", json=body)).status_code == 422


async def test_create_with_parent_links_both_ways(
    admin: httpx.AsyncClient, emu: Emulator, org: Org
) -> None:
    """A task created with ``parent`` is listed in the parent's ``subtasks``."""
    parent = await create(admin, org.project, "Parent")
    first = await create(admin, org.project, "First", parent=parent["_id"])
    second = await create(admin, org.project, "Second", parent=parent["_id"])
    assert first["parent"] == parent["_id"]
    assert emu.task(parent["_id"])["subtasks"] == [first["_id"], second["_id"]]
    fetched = ok(await admin.get(f"tasks/{parent['_id']}"))
    assert fetched["subtasks"] == [first["_id"], second["_id"]]
    assert [a["type"] for a in emu.activities(parent["_id"])] == ["create"]


async def test_create_with_a_parent_in_another_project_gets_422(
    admin: httpx.AsyncClient, org: Org
) -> None:
    """A subtask must be in the project of its parent."""
    parent = await create(admin, org.other)
    message = await refused(admin, org.project, 422, parent=parent["_id"])
    assert message == "A subtask must be in the project of its parent task"


# Subtasks endpoint


async def test_subtask_endpoint_creates_in_the_parents_project(
    admin: httpx.AsyncClient, emu: Emulator, org: Org
) -> None:
    """``POST /tasks/:id/subtasks`` ignores group/parent in the body and links both ways."""
    parent = await create(admin, org.project, "Parent")
    body = {"name": "Child", "group": org.other, "parent": "x", "priority": 4}
    child = ok(await admin.post(f"tasks/{parent['_id']}/subtasks", json=body))
    assert (child["group"], child["parent"], child["priority"]) == (
        org.project,
        parent["_id"],
        4,
    )
    assert emu.task(parent["_id"])["subtasks"] == [child["_id"]]
    assert [a["type"] for a in emu.activities(child["_id"])] == ["create"]


async def test_subtask_endpoint_errors(
    admin: httpx.AsyncClient, connect: Connect, emu: Emulator, org: Org
) -> None:
    """Bad body 400, unknown parent 404, no contribute level 403, bad state 422."""
    parent = await create(admin, org.project, assignees=[org.outsider])
    path = f"tasks/{parent['_id']}/subtasks"
    assert error(await admin.post(path, json={}), 400) == "name must be a non-empty string"
    assert error(await admin.post("tasks/nope/subtasks", json={"name": "C"}), 404)
    outsider = connect(user=org.outsider)  # an assignee of the parent, but no level
    message = error(await outsider.post(path, json={"name": "C"}), 403)
    assert message == f"Not permitted to create tasks in project {org.project!r}"
    assert error(await admin.post(path, json={"name": "C", "state": "x"}), 422)


# Get


async def test_get_returns_the_full_task(admin: httpx.AsyncClient, org: Org) -> None:
    """``GET /tasks/:id`` answers the full record; an unknown id 404."""
    task = await create(admin, org.project, desc="Long text")
    assert ok(await admin.get(f"tasks/{task['_id']}")) == task
    assert error(await admin.get("tasks/nope"), 404) == "Task 'nope' not found"


# Update


async def test_update_answers_activity_and_task(
    admin: httpx.AsyncClient, emu: Emulator, org: Org, clock: FakeNow
) -> None:
    """``PUT /tasks/:id`` answers ``{activity, task}``; the activity lists the changes."""
    task = await create(admin, org.project, name="Old")
    clock.t += 60
    answer = ok(
        await admin.put(
            f"tasks/{task['_id']}",
            json={"name": "New", "assignees": [org.member], "priority": 3, "workFlowId": "w"},
        )
    )
    assert list(answer) == ["activity", "task"]
    assert answer["task"] == emu.task(task["_id"])
    assert answer["task"]["name"] == "New"
    activity = answer["activity"]
    assert activity == {
        "_id": activity["_id"],
        "task": task["_id"],
        "type": "update",
        "createdBy": org.admin,
        "createdAt": NOW + 60,
        "changes": {
            "name": {"old": "Old", "new": "New"},
            "assignees": {"old": [], "new": [org.member]},
            "followers": {"old": [org.admin], "new": [org.admin, org.member]},
            "workflow": {"old": None, "new": {"id": "w"}},
        },
    }
    assert emu.activities(task["_id"])[-1] == activity


async def test_update_without_change_still_records_an_activity(
    admin: httpx.AsyncClient, emu: Emulator, org: Org
) -> None:
    """An update that changes nothing answers 200 with ``changes: {}``."""
    task = await create(admin, org.project, name="Same")
    answer = ok(await admin.put(f"tasks/{task['_id']}", json={"name": "Same", "extra": 1}))
    assert answer["activity"]["changes"] == {}
    assert answer["task"] == task
    assert [a["type"] for a in emu.activities(task["_id"])] == ["create", "update"]


async def test_update_assignees_join_followers_and_never_leave(
    admin: httpx.AsyncClient, org: Org
) -> None:
    """New assignees become followers; unassigned ones stay followers."""
    path = await task_path(admin, org.project, assignees=[org.member])
    done = ok(await admin.put(path, json={"assignees": [org.outsider]}))["task"]
    assert done["followers"] == [org.admin, org.member, org.outsider]
    assert done["assignees"] == [org.outsider]


@pytest.mark.parametrize(
    ("field", "value", "cleared"),
    [
        ("desc", None, ""),
        ("desc", "", ""),
        ("start", None, None),
        ("deadline", None, None),
        ("customer", None, None),
        ("customer", "", None),
        ("assignees", None, []),
        ("tags", None, []),
        ("files", None, []),
        ("priority", None, 3),
        ("private", None, False),
    ],
)
async def test_update_null_or_empty_clears_a_field(
    admin: httpx.AsyncClient, emu: Emulator, org: Org, field: str, value: Any, cleared: Any
) -> None:
    """Null (or "" for strings) sets a field back to its empty value."""
    client = emu.add_client("Globex")
    task = await create(
        admin,
        org.project,
        desc="d",
        start=1,
        deadline=2,
        customer=client,
        assignees=[org.member],
        tags=["t"],
        files=["f"],
        priority=5,
        private=True,
    )
    answer = ok(await admin.put(f"tasks/{task['_id']}", json={field: value}))
    assert answer["task"][field] == cleared


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("workFlowId", None),
        ("workFlowId", ""),
        ("estimatedTime", None),
        ("customFields", None),
        ("sharedWithCustomer", None),
        ("recurrence", None),
        ("steps", None),
    ],
)
async def test_update_null_removes_an_optional_field(
    admin: httpx.AsyncClient, org: Org, field: str, value: Any
) -> None:
    """Null removes an optional key; recurrent/stepType must allow it (else 400)."""
    task = await create(
        admin,
        org.project,
        workFlowId="w",
        estimatedTime=60,
        customFields={"a": "b"},
        sharedWithCustomer=False,
        recurrent=True,
        recurrence={"every": "day"},
        stepType="progress",
        steps={"completed": 1, "total": 2},
    )
    body: dict[str, Any] = {field: value}
    if field == "recurrence":
        body["recurrent"] = False
    if field == "steps":
        body["stepType"] = None  # back to "none"
    updated = ok(await admin.put(f"tasks/{task['_id']}", json=body))["task"]
    wire = "workflow" if field == "workFlowId" else field
    assert wire not in updated


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "nothing to update: the body has no writable task field"),
        ({"colour": "red"}, "nothing to update"),
        ({"group": "x"}, "group cannot be changed: tasks cannot move between projects"),
        ({"parent": None}, "parent cannot be changed"),
        ({"archived": True, "archivedAt": 5}, "send archived or archivedAt, not both"),
        ({"name": None}, "name must be a non-empty string"),
        ({"name": ""}, "name must be a non-empty string"),
        ({"state": None}, "state must be a state name (a string)"),
        ({"archived": "yes"}, "archived must be a boolean or null"),
        ({"archivedAt": "now"}, "archivedAt must be a number (Unix seconds) or null"),
        ({"priority": 9}, "priority must be an integer from 1 to 5 or null"),
    ],
)
async def test_update_bad_bodies_get_400(
    admin: httpx.AsyncClient, org: Org, body: dict[str, Any], message: str
) -> None:
    """Empty bodies, group, parent, uncleared required fields and wrong types get 400."""
    task = await create(admin, org.project)
    assert error(await admin.put(f"tasks/{task['_id']}", json=body), 400).startswith(message)


async def test_update_checks_the_body_before_the_task(admin: httpx.AsyncClient, org: Org) -> None:
    """A bad body gets 400 even for an unknown task; a good one 404."""
    assert (await admin.put("tasks/nope", json={})).status_code == 400
    assert (await admin.put("tasks/nope", content=b"[")).status_code == 400
    assert (await admin.put("tasks/nope", json={"name": "N"})).status_code == 404


async def test_update_steps_follow_the_step_type(
    admin: httpx.AsyncClient, emu: Emulator, org: Org
) -> None:
    """Steps are checked against the resulting stepType; ``none`` drops them."""
    task = await create(admin, org.project, stepType="steps", steps=[{"name": "a"}])
    path = f"tasks/{task['_id']}"
    first_id = task["steps"][0]["_id"]
    steps = [{"_id": first_id, "name": "a", "checked": True}, {"name": "b"}]
    updated = ok(await admin.put(path, json={"steps": steps}))["task"]
    assert updated["steps"][0] == {"_id": first_id, "name": "a", "checked": True}
    assert updated["steps"][1]["name"] == "b"
    bar = {"completed": 1, "total": 4}
    message = error(await admin.put(path, json={"steps": bar}), 400)
    assert message == "stepType 'steps' needs a CheckList (an array) in steps"
    message = error(await admin.put(path, json={"stepType": "progress"}), 400)
    assert message == "stepType 'progress' needs a ProgressBar (an object) in steps"
    assert error(await admin.put(path, json={"steps": None}), 400).startswith("stepType 'steps'")
    updated = ok(await admin.put(path, json={"stepType": "progress", "steps": bar}))["task"]
    assert updated["steps"] == bar
    answer = ok(await admin.put(path, json={"stepType": "none"}))
    assert "steps" not in answer["task"]
    assert answer["activity"]["changes"] == {
        "stepType": {"old": "progress", "new": "none"},
        "steps": {"old": bar, "new": None},
    }
    assert error(await admin.put(path, json={"steps": []}), 400).startswith("steps must be left")
    assert "steps" not in emu.task(task["_id"])


async def test_update_recurrence_follows_recurrent(admin: httpx.AsyncClient, org: Org) -> None:
    """A recurrence needs ``recurrent: true``; ``recurrent: false`` drops it."""
    path = await task_path(admin, org.project)
    message = error(await admin.put(path, json={"recurrence": {"every": "day"}}), 400)
    assert message == "recurrence needs recurrent: true"
    assert error(await admin.put(path, json={"recurrent": True}), 400).startswith("a recurrent")
    body = {"recurrent": True, "recurrence": {"every": "day"}}
    assert ok(await admin.put(path, json=body))["task"]["recurrence"] == {"every": "day"}
    kept = ok(await admin.put(path, json={"recurrence": {"every": "week"}}))["task"]
    assert kept["recurrence"] == {"every": "week"}
    stopped = ok(await admin.put(path, json={"recurrent": None}))["task"]
    assert (stopped["recurrent"], "recurrence" in stopped) == (False, False)


async def test_update_state_sets_completed_at(
    admin: httpx.AsyncClient, org: Org, clock: FakeNow
) -> None:
    """A state set by ``PUT /tasks/:id`` follows the completedAt rule; unknown ones 422."""
    path = await task_path(admin, org.project)
    clock.t += 10
    answer = ok(await admin.put(path, json={"state": "cb_completed"}))
    assert answer["task"]["completedAt"] == NOW + 10
    assert answer["activity"]["changes"] == {
        "state": {"old": "cb_waiting", "new": "cb_completed"},
        "completedAt": {"old": None, "new": NOW + 10},
    }
    assert error(await admin.put(path, json={"state": "todo"}), 422).startswith("State 'todo'")
    assert ok(await admin.put(path, json={"state": "cb_active"}))["task"]["completedAt"] is None


async def test_update_references_get_422(admin: httpx.AsyncClient, org: Org) -> None:
    """Unknown assignees and clients get 422 on update too."""
    path = await task_path(admin, org.project)
    assert (await admin.put(path, json={"assignees": ["x"]})).status_code == 422
    assert (await admin.put(path, json={"customer": "x"})).status_code == 422


# Archiving


async def test_archiving_through_update(admin: httpx.AsyncClient, org: Org, clock: FakeNow) -> None:
    """``archived`` sets archivedAt to now or null; ``archivedAt`` may be sent directly."""
    path = await task_path(admin, org.project)
    clock.t += 5
    answer = ok(await admin.put(path, json={"archived": True}))
    assert answer["task"]["archivedAt"] == NOW + 5
    assert answer["activity"]["changes"] == {"archivedAt": {"old": None, "new": NOW + 5}}
    clock.t += 5
    assert ok(await admin.put(path, json={"archived": True}))["task"]["archivedAt"] == NOW + 10
    unarchived = ok(await admin.put(path, json={"archived": False}))["task"]
    assert ("archivedAt", None) in unarchived.items()
    assert ok(await admin.put(path, json={"archivedAt": 42}))["task"]["archivedAt"] == 42
    assert ok(await admin.put(path, json={"archivedAt": None}))["task"]["archivedAt"] is None
    assert ok(await admin.put(path, json={"archived": None}))["task"]["archivedAt"] is None


async def test_archived_filter(admin: httpx.AsyncClient, org: Org) -> None:
    """``archived``: false (default) hides archived tasks, true lists only them, all both."""
    await create(admin, org.project, "Live")
    gone = await create(admin, org.project, "Gone")
    back = await create(admin, org.project, "Back")
    await admin.put(f"tasks/{gone['_id']}", json={"archived": True})
    await admin.put(f"tasks/{back['_id']}", json={"archived": True})
    await admin.put(f"tasks/{back['_id']}", json={"archived": False})
    assert await names(admin) == ["Live", "Back"]
    assert await names(admin, archived="false") == ["Live", "Back"]
    assert await names(admin, archived="true") == ["Gone"]
    assert await names(admin, archived="all") == ["Live", "Gone", "Back"]
    response = await admin.get("tasks", params={"archived": "True"})
    assert error(response, 400) == "archived must be 'true', 'false' or 'all', not 'True'"


# State


async def test_state_change_answers_activity_and_task(
    admin: httpx.AsyncClient, emu: Emulator, org: Org, clock: FakeNow
) -> None:
    """``PUT /tasks/:id/state`` answers ``{activity, task}`` with a ``state`` activity."""
    task = await create(admin, org.project)
    clock.t += 30
    answer = ok(await admin.put(f"tasks/{task['_id']}/state", json={"state": "cb_active"}))
    assert answer["task"] == emu.task(task["_id"])
    assert answer["task"]["state"] == "cb_active"
    assert answer["activity"] == {
        "_id": answer["activity"]["_id"],
        "task": task["_id"],
        "type": "state",
        "createdBy": org.admin,
        "createdAt": NOW + 30,
        "changes": {"state": {"old": "cb_waiting", "new": "cb_active"}},
    }
    again = ok(await admin.put(f"tasks/{task['_id']}/state", json={"state": "cb_active"}))
    assert again["activity"]["changes"] == {"state": {"old": "cb_active", "new": "cb_active"}}


async def test_completed_at_follows_the_state_type(
    admin: httpx.AsyncClient, emu: Emulator, clock: FakeNow
) -> None:
    """Entering a completed state sets completedAt, moving on keeps it, leaving clears it."""
    project = emu.add_project("Flow", task_states=TWO_DONE_STATES)
    task = await create(admin, project)
    path = f"tasks/{task['_id']}/state"

    async def move(state: str) -> Any:
        clock.t += 100
        return ok(await admin.put(path, json={"state": state}))["task"]["completedAt"]

    assert await move("done") == NOW + 100
    assert await move("shipped") == NOW + 100
    assert await move("open") is None
    assert await move("shipped") == NOW + 400


@pytest.mark.parametrize(
    ("content", "status", "message"),
    [
        (b"{}", 400, "state must be a state name (a string)"),
        (b'{"state": 3}', 400, "state must be a state name (a string)"),
        (b"oops", 400, "The body must be a JSON object"),
        (b'{"state": "todo"}', 422, "State 'todo' is not defined in project"),
    ],
)
async def test_state_change_errors(
    admin: httpx.AsyncClient, org: Org, content: bytes, status: int, message: str
) -> None:
    """A missing or non-string state gets 400, a name the project lacks 422."""
    task = await create(admin, org.project)
    response = await admin.put(f"tasks/{task['_id']}/state", content=content)
    assert error(response, status).startswith(message)


# Delete


async def test_delete_cascades_to_subtasks(
    admin: httpx.AsyncClient, emu: Emulator, org: Org
) -> None:
    """DELETE answers 204, empty; subtasks go too and the parent forgets the task."""
    root = await create(admin, org.project, "Root")
    middle = await create(admin, org.project, "Middle", parent=root["_id"])
    leaf = await create(admin, org.project, "Leaf", parent=middle["_id"], private=True)
    sibling = await create(admin, org.project, "Sibling", parent=root["_id"])
    response = await admin.delete(f"tasks/{middle['_id']}")
    assert (response.status_code, response.content) == (204, b"")
    for gone in (middle, leaf):
        assert (await admin.get(f"tasks/{gone['_id']}")).status_code == 404
        with pytest.raises(ValueError, match="unknown task"):
            emu.activities(gone["_id"])
    assert emu.task(root["_id"])["subtasks"] == [sibling["_id"]]
    assert await names(admin) == ["Root", "Sibling"]
    assert (await admin.delete(f"tasks/{middle['_id']}")).status_code == 404


def test_delete_task_survives_a_subtask_cycle(emu: Emulator, org: Org) -> None:
    """``delete_task`` stops on subtask cycles and unlinks a sparse parent."""
    a = emu.add_task(org.project, "A", created_by=org.admin, id="a", subtasks=["a", "b"])
    emu.add_task(org.project, "B", created_by=org.admin, id="b", subtasks=["a"])
    parent = emu.add_task(org.project, "P", created_by=org.admin, sparse=True)
    child = emu.add_task(org.project, "C", created_by=org.admin, parent=parent)
    emu.delete_task(a)
    assert [emu.tasks.find(i) for i in ("a", "b")] == [None, None]
    emu.delete_task(child)
    assert emu.task(parent)["subtasks"] == []


# Activities


async def test_activities_list_every_kind_oldest_first(
    admin: httpx.AsyncClient, org: Org, clock: FakeNow
) -> None:
    """``GET /tasks/:id/activities`` lists create, update, state and comment in order."""
    task = await create(admin, org.project)
    path = f"tasks/{task['_id']}"
    clock.t += 1
    await admin.put(path, json={"desc": "d"})
    clock.t += 1
    await admin.put(f"{path}/state", json={"state": "cb_active"})
    clock.t += 1
    comment = ok(await admin.post(f"{path}/activities", json={"content": "Hi"}))
    activities = ok(await admin.get(f"{path}/activities"))
    assert [(a["type"], a["createdAt"]) for a in activities] == [
        ("create", NOW),
        ("update", NOW + 1),
        ("state", NOW + 2),
        ("comment", NOW + 3),
    ]
    assert activities[0] == {
        "_id": activities[0]["_id"],
        "task": task["_id"],
        "type": "create",
        "createdBy": org.admin,
        "createdAt": NOW,
    }
    assert activities[-1] == comment
    assert error(await admin.get("tasks/nope/activities"), 404)


async def test_comment_answers_the_activity(admin: httpx.AsyncClient, org: Org) -> None:
    """A comment has content, files as ``[{_id}]`` and ``visibleToCustomer`` false."""
    task = await create(admin, org.project)
    path = f"tasks/{task['_id']}/activities"
    comment = ok(await admin.post(path, json={"content": "See file", "files": ["f1"]}))
    assert comment == {
        "_id": comment["_id"],
        "task": task["_id"],
        "type": "comment",
        "createdBy": org.admin,
        "createdAt": NOW,
        "content": "See file",
        "files": [{"_id": "f1"}],
        "visibleToCustomer": False,
    }
    files_only = ok(await admin.post(path, json={"files": ["f2"], "content": None}))
    assert (files_only["content"], files_only["files"]) == ("", [{"_id": "f2"}])
    assert ok(await admin.post(path, json={"content": "x", "files": None}))["files"] == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{}", "a comment needs content or files"),
        (b'{"content": "", "files": []}', "a comment needs content or files"),
        (b'{"content": 5}', "content must be a string or null"),
        (b'{"content": "x", "files": "f"}', "files must be an array of file ids"),
        (b"nope", "The body must be a JSON object"),
    ],
)
async def test_comment_bad_bodies_get_400(
    admin: httpx.AsyncClient, org: Org, content: bytes, message: str
) -> None:
    """A comment needs content or files, of the right types."""
    task = await create(admin, org.project)
    response = await admin.post(f"tasks/{task['_id']}/activities", content=content)
    assert error(response, 400).startswith(message)


async def test_comment_visibility_can_be_changed_by_its_author(
    admin: httpx.AsyncClient, member: httpx.AsyncClient, emu: Emulator, org: Org
) -> None:
    """The author sets ``visibleToCustomer``; the answer is the comment."""
    task = await create(admin, org.project)
    comment = ok(await member.post(f"tasks/{task['_id']}/activities", json={"content": "Hi"}))
    path = f"tasks/{task['_id']}/activities/{comment['_id']}"
    shown = ok(await member.put(path, json={"visibleToCustomer": True}))
    assert shown == {**comment, "visibleToCustomer": True}
    assert emu.activities(task["_id"])[-1] == shown
    hidden = ok(await member.put(path, json={"visibleToCustomer": False}))
    assert hidden["visibleToCustomer"] is False


async def test_comment_visibility_rules(
    admin: httpx.AsyncClient, member: httpx.AsyncClient, connect: Connect, org: Org
) -> None:
    """400 bad body, 404 unknown or other task's activity, 422 not a comment, 403 not author."""
    task = await create(admin, org.project)
    other = await create(admin, org.project)
    base = f"tasks/{task['_id']}/activities"
    comment = ok(await member.post(base, json={"content": "Hi"}))
    created = ok(await admin.get(base))[0]
    body = {"visibleToCustomer": True}
    assert error(await member.put(f"{base}/{comment['_id']}", json={}), 400) == (
        "visibleToCustomer must be a boolean"
    )
    assert error(await member.put(f"{base}/nope", json=body), 404).startswith("Activity 'nope'")
    wrong_task = f"tasks/{other['_id']}/activities/{comment['_id']}"
    assert error(await member.put(wrong_task, json=body), 404)
    assert error(await member.put(f"tasks/nope/activities/{comment['_id']}", json=body), 404)
    message = error(await admin.put(f"{base}/{created['_id']}", json=body), 422)
    assert message == "Only a comment can be made visible to the client"
    message = error(await admin.put(f"{base}/{comment['_id']}", json=body), 403)
    assert message == "Only the author of a comment may change its visibility"
    outsider = connect(user=org.outsider)
    message = error(await outsider.put(f"{base}/{comment['_id']}", json=body), 403)
    assert message == f"Not permitted to see task {task['_id']!r}"


def test_set_visible_to_customer_needs_a_comment(emu: Emulator, org: Org) -> None:
    """The store helper raises ValueError for anything but a comment of that task."""
    task = emu.add_task(org.project, "T", created_by=org.admin)
    created = emu.activities(task)[0]["_id"]
    with pytest.raises(ValueError, match="has no comment"):
        emu.tasks.set_visible_to_customer(task, created, True)
    with pytest.raises(ValueError, match="has no comment"):
        emu.tasks.set_visible_to_customer("nope", created, True)


# Search: filters


@pytest.fixture
async def spread(
    admin: httpx.AsyncClient, member: httpx.AsyncClient, emu: Emulator, org: Org
) -> str:
    """Add tasks with different assignees, creators, clients, tags and dates; return Globex."""
    globex = emu.add_client("Globex")
    await create(admin, org.project, "Alpha", assignees=[org.member], tags=["red"], start=100)
    await create(admin, org.other, "beta", customer=globex, tags=["blue", "red"], deadline=200)
    await create(member, org.project, "Gamma ALPHA", tags=["Red"], start=300, deadline=400)
    return globex


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["Alpha", "beta", "Gamma ALPHA"]),
        ({"assignee": "MEMBER"}, ["Alpha"]),
        ({"assignee": "nobody"}, []),
        ({"assignedBy": "MEMBER"}, ["Gamma ALPHA"]),
        ({"assignedBy": "ADMIN"}, ["Alpha", "beta"]),
        ({"customer": "GLOBEX"}, ["beta"]),
        ({"customer": "unknown"}, []),
        ({"tag": "red"}, ["Alpha", "beta"]),
        ({"tag": "Red"}, ["Gamma ALPHA"]),
        ({"search": "alpha"}, ["Alpha", "Gamma ALPHA"]),
        ({"search": "A A"}, ["Gamma ALPHA"]),
        ({"search": ""}, ["Alpha", "beta", "Gamma ALPHA"]),
        ({"group": "PROJECT"}, ["Alpha", "Gamma ALPHA"]),
        ({"group": "PROJECT", "tag": "red"}, ["Alpha"]),
        ({"tag": "red", "search": "BETA"}, ["beta"]),
    ],
)
async def test_search_filters(
    admin: httpx.AsyncClient, org: Org, spread: str, params: dict[str, str], expected: list[str]
) -> None:
    """Each filter keeps the matching tasks; filters combine; no filter lists all."""
    ids = {"MEMBER": org.member, "ADMIN": org.admin, "GLOBEX": spread, "PROJECT": org.project}
    resolved = {key: ids.get(value, value) for key, value in params.items()}
    assert await names(admin, **resolved) == expected


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ((100, 100), ["Alpha"]),
        ((101, 199), []),
        ((150, 200), ["beta"]),
        ((200, 300), ["beta", "Gamma ALPHA"]),
        ((350, 500), ["Gamma ALPHA"]),
        ((0, 1000), ["Alpha", "beta", "Gamma ALPHA"]),
        ((400, 100), []),
        (("99.5", "100.0"), ["Alpha"]),
        (("-5", "100"), ["Alpha"]),
    ],
)
async def test_search_date_window(
    admin: httpx.AsyncClient, spread: str, window: tuple[Any, Any], expected: list[str]
) -> None:
    """A task matches when its start or deadline lies in the window, bounds included."""
    start, end = window
    assert await names(admin, startDate=start, endDate=end) == expected


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"startDate": "1"}, "startDate and endDate must be sent together"),
        ({"endDate": "1"}, "startDate and endDate must be sent together"),
        ({"startDate": "x", "endDate": "1"}, "startDate must be a number (Unix seconds), not 'x'"),
        (
            {"startDate": "1", "endDate": "1e3"},
            "endDate must be a number (Unix seconds), not '1e3'",
        ),
        ({"startDate": "", "endDate": "1"}, "startDate must be a number (Unix seconds), not ''"),
        ({"startDate": "nan", "endDate": "1"}, "startDate must be a number"),
    ],
)
async def test_search_bad_window_gets_400(
    admin: httpx.AsyncClient, params: dict[str, str], message: str
) -> None:
    """Only one bound, or a bound that is not a decimal number, gets 400."""
    assert error(await admin.get("tasks", params=params), 400).startswith(message)


async def test_search_recursive_adds_descendant_projects(
    admin: httpx.AsyncClient, emu: Emulator, org: Org
) -> None:
    """``recursive=true`` adds the tasks of every descendant once, even through a cycle."""
    child = emu.add_project("Child", parents=[org.project])
    grandchild = emu.add_project("Grandchild", parents=[child, org.project])
    emu.add_parent(org.project, grandchild)  # a cycle
    for project, name in [(org.project, "Top"), (child, "Mid"), (grandchild, "Low")]:
        await create(admin, project, name)
    await create(admin, org.other, "Elsewhere")
    assert await names(admin, group=org.project, recursive="true") == ["Top", "Mid", "Low"]
    assert await names(admin, group=child, recursive="true") == ["Top", "Mid", "Low"]
    for flag in ("false", ""):
        assert await names(admin, group=org.project, recursive=flag) == ["Top"]
    assert await names(admin, recursive="true") == ["Top", "Mid", "Low", "Elsewhere"]


async def test_search_recursive_walks_through_invisible_projects(
    member: httpx.AsyncClient, emu: Emulator, org: Org
) -> None:
    """Descendants below a project the caller cannot see are searched too."""
    hidden = emu.add_project("Hidden", parents=[org.project], perms=CLOSED)
    below = emu.add_project("Below", parents=[hidden], members=[org.member])
    emu.add_task(hidden, "Invisible", created_by=org.admin)
    emu.add_task(below, "Deep", created_by=org.admin)
    assert await names(member, group=org.project, recursive="true") == ["Deep"]


@pytest.mark.parametrize("value", ["True", "1", "yes"])
async def test_search_bad_recursive_gets_400(admin: httpx.AsyncClient, value: str) -> None:
    """``recursive`` must be ``true``, ``false`` or empty, even without group."""
    message = error(await admin.get("tasks", params={"recursive": value}), 400)
    assert message == f"recursive must be 'true', 'false' or empty, not {value!r}"


async def test_search_unknown_or_invisible_group(
    admin: httpx.AsyncClient, connect: Connect, emu: Emulator, org: Org
) -> None:
    """An unknown ``group`` gets 404, one the caller cannot see 403."""
    message = error(await admin.get("tasks", params={"group": "nope"}), 404)
    assert message == "Project 'nope' not found"
    outsider = connect(user=org.outsider)
    message = error(await outsider.get("tasks", params={"group": org.project}), 403)
    assert message == f"Not permitted to see project {org.project!r}"
    emu.add_task(org.project, "Mine", created_by=org.outsider)
    assert await names(outsider) == ["Mine"]


async def test_search_checks_the_query_before_the_group(admin: httpx.AsyncClient) -> None:
    """A bad parameter gets 400 even with an unknown group."""
    response = await admin.get("tasks", params={"group": "nope", "limit": "0"})
    assert response.status_code == 400


# Search: pagination


@pytest.fixture
def many(emu: Emulator, org: Org) -> list[str]:
    """Add 230 tasks named 000 to 229 to the project."""
    return [emu.add_task(org.project, f"{n:03d}", created_by=org.admin) for n in range(230)]


@pytest.mark.parametrize(
    ("params", "first", "count"),
    [
        ({}, "000", 50),
        ({"limit": "200"}, "000", 200),
        ({"limit": "1"}, "000", 1),
        ({"skip": "50"}, "050", 50),
        ({"skip": "200", "limit": "30"}, "200", 30),
        ({"skip": "220", "limit": "20"}, "220", 10),
        ({"skip": "0", "limit": "10"}, "000", 10),
    ],
)
async def test_search_pages(
    admin: httpx.AsyncClient, many: list[str], params: dict[str, str], first: str, count: int
) -> None:
    """Default page 50, maximum 200; ``skip`` starts later; the last page is short."""
    found = await names(admin, **params)
    assert found == [f"{n:03d}" for n in range(int(first), int(first) + count)]


async def test_search_page_past_the_end_is_empty(admin: httpx.AsyncClient, many: list[str]) -> None:
    """A ``skip`` at or past the end gives an empty list."""
    assert await names(admin, skip="230") == []
    assert await names(admin, skip="99999999999999999999") == []


async def test_paging_by_skip_visits_every_task_once(
    admin: httpx.AsyncClient, many: list[str], emu: Emulator
) -> None:
    """Paging with ``skip += len(page)`` until a short page sees each task once, in order."""
    seen: list[str] = []
    while True:
        page = ok(await admin.get("tasks", params={"skip": len(seen), "limit": 100}))
        seen += [task["_id"] for task in page]
        if len(page) < 100:
            break
    assert seen == many
    assert [emu.task(task_id)["priorityScore"] for task_id in seen] == list(range(1, 231))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "0"}, "limit must be an integer from 1 to 200, not '0'"),
        ({"limit": "201"}, "limit must be an integer from 1 to 200, not '201'"),
        ({"limit": "ten"}, "limit must be an integer from 1 to 200, not 'ten'"),
        ({"limit": ""}, "limit must be an integer from 1 to 200, not ''"),
        ({"skip": "-1"}, "skip must be an integer of at least 0, not '-1'"),
        ({"skip": "1.5"}, "skip must be an integer of at least 0, not '1.5'"),
        ({"skip": "+2"}, "skip must be an integer of at least 0, not '+2'"),
    ],
)
async def test_search_bad_page_gets_400(
    admin: httpx.AsyncClient, params: dict[str, str], message: str
) -> None:
    """``skip`` must be an integer >= 0 and ``limit`` one from 1 to 200."""
    assert error(await admin.get("tasks", params=params), 400) == message


# Search: projection


@pytest.fixture
async def rich(admin: httpx.AsyncClient, org: Org) -> Any:
    """Add one task with every optional field set; return it (full record)."""
    return await create(
        admin,
        org.project,
        "Rich",
        desc="Long",
        stepType="steps",
        steps=[{"name": "s"}],
        customFields={"k": "v"},
        recurrent=True,
        recurrence={"every": "day"},
        workFlowId="w",
        estimatedTime=5,
        sharedWithCustomer=True,
    )


async def test_search_returns_the_light_record(
    admin: httpx.AsyncClient, emu: Emulator, rich: Any
) -> None:
    """The list leaves out desc, steps, customFields, followers, portalFollowers, recurrence."""
    emu.add_task(rich["group"], "Portal", created_by=rich["assignedBy"], portalFollowers=["p1"])
    listed = ok(await admin.get("tasks"))
    heavy = {"desc", "steps", "customFields", "followers", "portalFollowers", "recurrence"}
    assert listed[0] == {key: value for key, value in rich.items() if key not in heavy}
    assert "portalFollowers" not in listed[1]
    assert "portalFollowers" in ok(await admin.get(f"tasks/{listed[1]['_id']}"))
    assert ok(await admin.get(f"tasks/{rich['_id']}")) == rich


@pytest.mark.parametrize(
    ("include", "expected"),
    [
        ("name,desc", ["_id", "name", "desc"]),
        ("desc, name ,steps", ["_id", "name", "desc", "steps"]),
        ("_id", ["_id"]),
        ("followers,nonsense", ["_id", "followers"]),
        ("email", ["_id"]),
        ("recurrence,customFields", ["_id", "customFields", "recurrence"]),
    ],
)
async def test_search_include_returns_just_those_fields(
    admin: httpx.AsyncClient, rich: Any, include: str, expected: list[str]
) -> None:
    """``include`` picks fields of the full record, plus ``_id``, in record order."""
    listed = ok(await admin.get("tasks", params={"include": include}))
    assert listed == [{key: rich[key] for key in expected}]
    assert list(listed[0]) == expected


@pytest.mark.parametrize(
    ("exclude", "removed"),
    [
        ("state,tags", {"state", "tags"}),
        ("_id,name", {"name"}),
        ("nonsense", set()),
        ("desc", set()),
    ],
)
async def test_search_exclude_trims_the_light_record(
    admin: httpx.AsyncClient, rich: Any, exclude: str, removed: set[str]
) -> None:
    """``exclude`` removes fields from the light record; ``_id`` and unknown names stay."""
    light = ok(await admin.get("tasks"))[0]
    listed = ok(await admin.get("tasks", params={"exclude": exclude}))
    assert listed == [{key: value for key, value in light.items() if key not in removed}]


async def test_search_include_with_exclude_gets_400(admin: httpx.AsyncClient, rich: Any) -> None:
    """``include`` and ``exclude`` together get 400; an empty one counts as absent."""
    both = await admin.get("tasks", params={"include": "name", "exclude": "tags"})
    assert error(both, 400) == "include and exclude cannot be combined"
    light = ok(await admin.get("tasks"))
    trimmed = ok(await admin.get("tasks", params={"include": "", "exclude": "tags"}))
    assert trimmed == [{key: value for key, value in light[0].items() if key != "tags"}]
    assert ok(await admin.get("tasks", params={"include": " , "})) == light


# Permissions: levels

#: Each action: method, path (``{id}`` is the task), JSON body, and the level it needs.
ACTIONS: dict[str, tuple[str, str, Any, str]] = {
    "get": ("GET", "tasks/{id}", None, "view"),
    "activities": ("GET", "tasks/{id}/activities", None, "view"),
    "comment": ("POST", "tasks/{id}/activities", {"content": "Hi"}, "contribute"),
    "state": ("PUT", "tasks/{id}/state", {"state": "cb_active"}, "contribute"),
    "create": ("POST", "tasks", {"name": "New", "group": "{group}"}, "contribute"),
    "subtask": ("POST", "tasks/{id}/subtasks", {"name": "Sub"}, "contribute"),
    "update": ("PUT", "tasks/{id}", {"desc": "changed"}, "edit"),
    "archive": ("PUT", "tasks/{id}", {"archived": True}, "edit"),
    "delete": ("DELETE", "tasks/{id}", None, "manage"),
}
LEVELS = ["none", "view", "contribute", "edit", "manage"]


async def act(client: httpx.AsyncClient, action: str, task_id: str, group: str) -> int:
    """Do one of `ACTIONS` on a task and return the status."""
    method, path, body, _ = ACTIONS[action]
    if isinstance(body, dict):
        body = {key: group if value == "{group}" else value for key, value in body.items()}
    response = await client.request(method, path.replace("{id}", task_id), json=body)
    return response.status_code


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("action", list(ACTIONS))
async def test_each_action_needs_its_level(
    connect: Connect, emu: Emulator, org: Org, action: str, level: str
) -> None:
    """view: read; contribute: create, comment, state; edit: update; manage: delete."""
    project = level_project(emu, {org.member: level})
    task = emu.add_task(project, "T", created_by=org.admin)
    allowed = LEVELS.index(level) >= LEVELS.index(ACTIONS[action][3])
    expected = (204 if action == "delete" else 200) if allowed else 403
    assert await act(connect(user=org.member), action, task, project) == expected


@pytest.mark.parametrize("level", LEVELS)
async def test_listing_needs_view(connect: Connect, emu: Emulator, org: Org, level: str) -> None:
    """Only tasks the caller may view are listed; a project it cannot see gets 403."""
    project = level_project(emu, {org.member: level})
    emu.add_task(project, "T", created_by=org.admin)
    client = connect(user=org.member)
    expected = [] if level == "none" else ["T"]
    assert await names(client) == expected
    response = await client.get("tasks", params={"group": project})
    assert response.status_code == (403 if level == "none" else 200)


async def test_refusals_say_what_was_refused(connect: Connect, emu: Emulator, org: Org) -> None:
    """A 403 names the action and the task."""
    project = level_project(emu, {org.member: "view"})
    task = emu.add_task(project, "T", created_by=org.admin)
    client = connect(user=org.member)
    messages = [
        error(await client.request(m, p.replace("{id}", task), json=b), 403)
        for m, p, b, _ in (ACTIONS["comment"], ACTIONS["state"], ACTIONS["update"])
    ]
    assert messages == [
        f"Not permitted to comment on task {task!r}",
        f"Not permitted to change the state of task {task!r}",
        f"Not permitted to update task {task!r}",
    ]
    message = error(await connect(user=org.outsider).delete(f"tasks/{task}"), 403)
    assert message == f"Not permitted to delete task {task!r}"


# Permissions: exceptions


#: Per action: the status for the creator, and for an assignee, of a task in a project
#: where neither has any level.
WITHOUT_LEVEL = {
    "get": (200, 200),
    "activities": (200, 200),
    "comment": (200, 200),
    "state": (200, 200),
    "update": (200, 403),
    "archive": (200, 403),
    "delete": (204, 403),
    "create": (403, 403),
    "subtask": (403, 403),
}


async def act_without_level(
    connect: Connect, emu: Emulator, org: Org, action: str, name: str, **fields: Any
) -> int:
    """Add a task to a project where nobody has a level; do ``action`` on it as the outsider."""
    project = level_project(emu, {})
    task = emu.add_task(project, name, **fields)
    return await act(connect(user=org.outsider), action, task, project)


@pytest.mark.parametrize("action", list(WITHOUT_LEVEL))
async def test_the_creator_may_do_most_things_without_a_level(
    connect: Connect, emu: Emulator, org: Org, action: str
) -> None:
    """The creator may view, comment, change state, update, archive and delete."""
    status = await act_without_level(connect, emu, org, action, "Mine", created_by=org.outsider)
    assert status == WITHOUT_LEVEL[action][0]


@pytest.mark.parametrize("action", list(WITHOUT_LEVEL))
async def test_an_assignee_may_view_comment_and_change_state(
    connect: Connect, emu: Emulator, org: Org, action: str
) -> None:
    """An assignee without a level may view, comment and change state, not more."""
    fields = {"created_by": org.admin, "assignees": [org.outsider]}
    status = await act_without_level(connect, emu, org, action, "Theirs", **fields)
    assert status == WITHOUT_LEVEL[action][1]


async def test_creator_and_assignee_see_their_tasks_in_lists(
    connect: Connect, emu: Emulator, org: Org
) -> None:
    """``GET /tasks`` lists the tasks the caller created or is assigned to, whatever the level."""
    project = level_project(emu, {})
    emu.add_task(project, "Created", created_by=org.outsider)
    emu.add_task(project, "Assigned", created_by=org.admin, assignees=[org.outsider])
    emu.add_task(project, "Other", created_by=org.admin)
    assert await names(connect(user=org.outsider)) == ["Created", "Assigned"]


async def test_private_tasks_are_visible_to_few(connect: Connect, emu: Emulator, org: Org) -> None:
    """A private task: its creator, assignees and project admins see it; others get 404."""
    lead = emu.add_user("Lea", "Lead")
    top_admin = emu.add_user("Tom", "Top")
    assignee = emu.add_user("Ann", "Assignee")
    top = emu.add_project("Top", admins=[top_admin])
    project = emu.add_project("Private", parents=[top], admins=[lead], members=[org.member])
    task = emu.add_task(
        project, "Secret", created_by=org.outsider, assignees=[assignee], private=True
    )
    for user in (org.outsider, assignee, lead, top_admin, org.admin):
        client = connect(user=user)
        assert (await client.get(f"tasks/{task}")).status_code == 200
        assert await names(client) == ["Secret"]
    member = connect(user=org.member)  # manage level, but neither admin nor involved
    assert error(await member.get(f"tasks/{task}"), 404) == f"Task {task!r} not found"
    assert await names(member, group=project) == []
    for action in ACTIONS:
        if action != "create":
            assert await act(member, action, task, project) == 404


async def test_a_private_task_gives_no_hint_of_existence(
    connect: Connect, emu: Emulator, org: Org
) -> None:
    """A hidden private task answers exactly like an unknown id."""
    task = emu.add_task(org.project, "Secret", created_by=org.admin, private=True)
    client = connect(user=org.member)
    hidden = await client.put(f"tasks/{task}/state", json={"state": "nope"})
    unknown = await client.put("tasks/nope/state", json={"state": "nope"})
    assert (hidden.status_code, unknown.status_code) == (404, 404)


@pytest.mark.parametrize("action", [name for name in ACTIONS if name != "create"])
async def test_unknown_task_gets_404_even_for_outsiders(
    connect: Connect, org: Org, action: str
) -> None:
    """Existence is checked before permission: an unknown id is 404 for anyone."""
    assert await act(connect(user=org.outsider), action, "0" * 24, org.project) == 404


async def test_outsiders_get_403_for_a_visible_task(
    connect: Connect, emu: Emulator, org: Org
) -> None:
    """A task that exists and is not private gets 403 for someone without a level."""
    task = emu.add_task(org.project, "Open", created_by=org.admin)
    message = error(await connect(user=org.outsider).get(f"tasks/{task}"), 403)
    assert message == f"Not permitted to see task {task!r}"


# Helpers


async def test_add_task_matches_post(admin: httpx.AsyncClient, emu: Emulator, org: Org) -> None:
    """``add_task`` fills in the same defaults and activity as ``POST /tasks``."""
    posted = await create(admin, org.project, "Same", state="cb_completed", assignees=[org.member])
    added = emu.add_task(
        org.project, "Same", created_by=org.admin, state="cb_completed", assignees=[org.member]
    )
    record = emu.task(added)
    assert record == {**posted, "_id": added, "priorityScore": 2}
    assert [a["type"] for a in emu.activities(added)] == ["create"]


def test_add_task_stores_fields_as_given(emu: Emulator, org: Org) -> None:
    """Wire fields are stored as given, unusual ones included, and given values win."""
    task = emu.add_task(
        org.project,
        "Mail",
        created_by=org.member,
        email={"emailUserId": "e1"},
        support={"portalUser": "p1"},
        lastCopy=True,
        completedAt=5,
        followers=[],
        stepType="steps",
        steps=[{"name": "x", "checked": False}],
        zzz="kept",
        id="t-1",
    )
    record = emu.task(task)
    assert task == "t-1"
    assert (record["email"], record["support"], record["lastCopy"]) == (
        {"emailUserId": "e1"},
        {"portalUser": "p1"},
        True,
    )
    assert (record["completedAt"], record["followers"], list(record)[-1]) == (5, [], "zzz")
    assert len(record["steps"][0]["_id"]) == 24


async def test_sparse_tasks_work_through_the_api(
    admin: httpx.AsyncClient, emu: Emulator, org: Org
) -> None:
    """``sparse=True`` stores only _id, name, group and the given fields; the API copes."""
    task = emu.add_task(org.project, "Bare", created_by=org.admin, sparse=True, priority=1)
    assert emu.task(task) == {"_id": task, "name": "Bare", "priority": 1, "group": org.project}
    assert emu.activities(task) == []
    assert ok(await admin.get(f"tasks/{task}")) == emu.task(task)
    assert await names(admin, tag="x", assignee="y") == []
    emu.add_task(org.project, "Raw", created_by=org.admin, sparse=True, customer="c-raw")
    assert await names(admin, customer="c-raw") == ["Raw"]
    assert await names(admin, startDate=0, endDate=NOW) == []
    assert await names(admin) == ["Bare", "Raw"]
    answer = ok(await admin.put(f"tasks/{task}", json={"assignees": [org.member]}))
    assert answer["task"]["followers"] == [org.member]
    state = ok(await admin.put(f"tasks/{task}/state", json={"state": "cb_completed"}))
    assert state["activity"]["changes"] == {"state": {"old": None, "new": "cb_completed"}}
    assert state["task"]["completedAt"] == NOW
    child = ok(await admin.post(f"tasks/{task}/subtasks", json={"name": "Child"}))
    assert emu.task(task)["subtasks"] == [child["_id"]]
    assert (await admin.delete(f"tasks/{task}")).status_code == 204
    assert emu.tasks.find(child["_id"]) is None


@pytest.mark.parametrize(
    ("action", "match"),
    [
        (lambda emu, org: emu.add_task("nope", "T", created_by=org.admin), "unknown project"),
        (lambda emu, org: emu.add_task(org.project, "T", created_by="nope"), "unknown user"),
        (
            lambda emu, org: emu.add_task(org.project, "T", created_by=org.admin, parent="x"),
            "unknown task",
        ),
        (lambda emu, org: emu.add_task(org.project, "T", created_by=org.admin, _id="x"), "id="),
        (
            lambda emu, org: emu.add_task(org.project, "T", created_by=org.admin, id=org.admin),
            "used",
        ),
        (lambda emu, org: emu.task("nope"), "unknown task"),
        (lambda emu, org: emu.activities("nope"), "unknown task"),
        (lambda emu, org: emu.delete_task("nope"), "unknown task"),
        (lambda emu, org: emu.client("nope"), "unknown client"),
        (lambda emu, org: emu.add_client("Dup", id=org.admin), "already used"),
    ],
)
def test_task_helpers_raise_value_error(
    emu: Emulator, org: Org, action: Callable[[Emulator, Org], Any], match: str
) -> None:
    """The task and client helpers raise ValueError for unknown or taken ids."""
    with pytest.raises(ValueError, match=match):
        action(emu, org)


def test_helpers_return_copies(emu: Emulator, org: Org) -> None:
    """Changing what a helper returned, or gave, never changes the store."""
    tags = ["a"]
    task = emu.add_task(org.project, "T", created_by=org.admin, tags=tags)
    tags.append("b")
    emu.task(task)["tags"].append("c")
    emu.activities(task)[0]["type"] = "changed"
    client = emu.add_client("Globex", id="c-1")
    emu.client(client)["name"] = "Other"
    assert (emu.task(task)["tags"], emu.activities(task)[0]["type"]) == (["a"], "create")
    assert (client, emu.client(client), emu.customers.has(client)) == (
        "c-1",
        {"_id": "c-1", "name": "Globex"},
        True,
    )


# Demo


async def test_seed_demo_tasks(connect: Connect, emu: Emulator) -> None:
    """The demo has Globex and the documented tasks, visible as documented."""
    demo = seed_demo(emu)
    assert list(demo.tasks) == [
        "Set up CI",
        "Design endpoints",
        "Write OpenAPI spec",
        "Launch campaign",
        "Spring newsletter",
        "Acquisition plan",
        "Landing page copy",
    ]
    assert emu.client(demo.client) == {"_id": demo.client, "name": "Globex"}
    task = {name: emu.task(task_id) for name, task_id in demo.tasks.items()}
    design = task["Design endpoints"]
    assert (design["stepType"], [s["checked"] for s in design["steps"]]) == ("steps", [True, False])
    assert design["customer"] == {"_id": demo.client, "name": "Globex"}
    assert design["subtasks"] == [demo.tasks["Write OpenAPI spec"]]
    assert task["Write OpenAPI spec"]["state"] == "todo"
    assert task["Spring newsletter"]["archivedAt"] == NOW
    assert task["Spring newsletter"]["completedAt"] == NOW
    assert task["Acquisition plan"]["private"] is True
    admin, member, outsider = (connect(user=u) for u in (demo.admin, demo.member, demo.outsider))
    assert await names(outsider) == ["Launch campaign", "Landing page copy"]
    visible = await names(member)
    assert "Acquisition plan" not in visible
    assert "Spring newsletter" not in visible
    assert await names(admin, archived="all") == list(demo.tasks)
    assert await names(admin, archived="true") == ["Spring newsletter"]


# Routing and loopback


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("tasks", "GET, HEAD, POST"),
        ("tasks/x", "DELETE, GET, HEAD, PUT"),
        ("tasks/x/subtasks", "POST"),
        ("tasks/x/state", "PUT"),
        ("tasks/x/activities", "GET, HEAD, POST"),
        ("tasks/x/activities/y", "PUT"),
    ],
)
async def test_task_paths_answer_405_with_every_allowed_method(
    admin: httpx.AsyncClient, path: str, allow: str
) -> None:
    """A wrong method on a task path gets 405 listing all its methods."""
    response = await admin.patch(path)
    assert response.status_code == 405
    assert response.headers["Allow"] == allow


async def test_head_is_answered_on_task_lists(admin: httpx.AsyncClient, org: Org) -> None:
    """HEAD works where GET does, with no body."""
    response = await admin.head("tasks")
    assert (response.status_code, response.content) == (200, b"")


async def test_create_and_get_over_loopback(emu: Emulator, org: Org) -> None:
    """Over real HTTP, a created task reads back the same."""
    headers = {"Authorization": f"Bearer {emu.token(org.admin)}"}
    with serve(emu) as base_url:
        async with httpx.AsyncClient(base_url=base_url, headers=headers) as client:
            task = await create(client, org.project, "Remote", tags=["net"])
            assert ok(await client.get(f"tasks/{task['_id']}")) == task
            assert (await client.delete(f"tasks/{task['_id']}")).content == b""
