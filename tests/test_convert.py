"""The converter: wire names, sparse records, strict scalars, timestamps and open enums."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import cattrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cubicl_async import (
    UNSET,
    PermissionLevel,
    Project,
    Task,
    TaskActivity,
    TaskLevel,
    TaskState,
    TaskStateType,
    _convert,
)
from cubicl_async._convert import StructureFailure, structure, unstructure

from .strategies import (
    SDK_RECORDS,
    invalid_payloads,
    project_payloads,
    wire_path,
    wire_payloads,
    wire_values,
)


@attrs.frozen(kw_only=True)
class Stamp:
    """A record with the time types the API uses."""

    id: str
    created_at: datetime | None = None
    estimated_time: timedelta | None = None
    work_flow_id: str | None = attrs.field(default=None, metadata={"wire": "workFlowId"})


def test_unset_is_a_falsy_singleton_with_a_clear_repr() -> None:
    """UNSET is falsy, distinct from None, and prints as UNSET."""
    assert not UNSET
    assert UNSET is not None
    assert repr(UNSET) == "UNSET"


def test_wire_names_are_camel_case_and_underscore_id() -> None:
    """`id` reads `_id`, snake_case attributes read camelCase keys, metadata overrides."""
    stamp = structure({"_id": "s", "createdAt": 0, "workFlowId": "w"}, Stamp)
    assert stamp == Stamp(id="s", created_at=datetime(1970, 1, 1, tzinfo=UTC), work_flow_id="w")
    assert unstructure(stamp) == {"_id": "s", "createdAt": 0, "workFlowId": "w"}


@given(seconds=st.integers(0, 2**33))
def test_timestamps_round_trip_as_aware_utc(seconds: int) -> None:
    """Unix seconds become aware UTC datetimes and travel back as the same integer."""
    stamp = structure({"_id": "s", "createdAt": seconds}, Stamp)
    assert stamp.created_at is not None
    assert stamp.created_at.tzinfo is UTC
    assert unstructure(stamp)["createdAt"] == seconds


def test_fractional_timestamps_and_durations_are_tolerated() -> None:
    """A float timestamp or duration from the server keeps its fraction."""
    stamp = structure({"_id": "s", "createdAt": 1.5, "estimatedTime": 90.5}, Stamp)
    assert stamp.created_at == datetime(1970, 1, 1, 0, 0, 1, 500000, tzinfo=UTC)
    assert stamp.estimated_time == timedelta(seconds=90.5)
    assert unstructure(stamp) == {"_id": "s", "createdAt": 1.5, "estimatedTime": 90.5}


def test_a_timestamp_that_is_not_a_number_is_refused() -> None:
    """A date sent as a string (or a bool) is a decode failure, not a guess."""
    for bad in ("1700000000", True):
        with pytest.raises(StructureFailure, match=re.escape("@ $.created_at")):
            structure({"_id": "s", "createdAt": bad}, Stamp)


def test_aware_datetimes_in_any_zone_send_the_same_instant() -> None:
    """A datetime in another zone is sent as the Unix seconds of the same instant."""
    local = datetime(1970, 1, 1, 2, 0, 0, tzinfo=timezone(timedelta(hours=2)))
    assert unstructure(Stamp(id="s", created_at=local))["createdAt"] == 0


def test_naive_datetimes_are_refused_on_the_way_out() -> None:
    """Sending a naive datetime raises ValueError instead of guessing a zone."""
    with pytest.raises(ValueError, match="naive datetime"):
        unstructure(Stamp(id="s", created_at=datetime(2024, 1, 1)))


def test_missing_fields_take_defaults_and_unknown_keys_are_ignored() -> None:
    """A sparse project with unknown keys structures without error."""
    project = structure({"_id": "p", "somethingNew": {"x": 1}}, Project)
    assert project == Project(id="p")
    assert project.parents == ()
    assert project.perms is None


def test_null_collections_read_as_empty() -> None:
    """`parents: null` (the root project) reads as an empty tuple."""
    assert structure({"_id": "p", "parents": None}, Project).parents == ()


def test_null_collections_read_as_new_empty_ones() -> None:
    """A `null` dict or list reads as a new empty one each time, never a shared instance."""
    first, second = (structure({"_id": "p", "perms": {"users": None}}, Project) for _ in "ab")
    assert first.perms is not None
    assert second.perms is not None
    assert first.perms.users == {}
    assert first.perms.users is not second.perms.users
    assert structure(None, list[Project]) == []
    assert structure(None, list[Project]) is not structure(None, list[Project])


@pytest.mark.parametrize(
    "payload", [{}, {"_id": "p"}, "p", 1], ids=["empty", "object", "str", "int"]
)
def test_a_list_is_read_from_a_json_array_only(payload: Any) -> None:
    """An answer typed `list[Project]` refuses an object (never the list of its keys)."""
    with pytest.raises(StructureFailure, match=re.escape("expected an array")):
        structure(payload, list[Project])


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        ({"_id": 7}, "$.id"),
        ({"_id": "p", "name": 1}, "$.name"),
        ({"_id": "p", "admins": "u1"}, "$.admins"),
        ({"_id": "p", "admins": [1]}, "$.admins[0]"),
        ({"_id": "p", "taskStates": [{"name": "x", "isDefault": "false"}]},
         "$.task_states[0].is_default"),
        ({"_id": "p", "taskStates": [{"name": "x", "isDefault": 1}]},
         "$.task_states[0].is_default"),
        ({"_id": "p", "perms": {"users": {"u": {"tasks": 3}}}}, "$.perms.users['u'].tasks"),
        ({"_id": "p", "perms": {"users": []}}, "$.perms.users"),
        ({"name": "no id"}, "$.id"),
    ],
    ids=["int-id", "int-name", "str-list", "int-item", "str-bool", "int-bool", "int-enum",
         "list-dict", "missing-id"],
)  # fmt: skip
def test_wrong_types_raise_with_a_readable_path(payload: dict[str, Any], where: str) -> None:
    """No silent coercion: a wrong scalar or container names its path."""
    with pytest.raises(StructureFailure, match=re.escape(f"@ {where}")):
        structure(payload, Project)


def test_numbers_are_strict_but_ints_are_floats() -> None:
    """An int is accepted where a float is expected; a bool never counts as a number."""

    @attrs.frozen
    class Amount:
        value: float
        count: int = 0

    assert structure({"value": 3}, Amount) == Amount(3.0)
    with pytest.raises(StructureFailure, match="value"):
        structure({"value": True}, Amount)
    with pytest.raises(StructureFailure, match="count"):
        structure({"value": 1.0, "count": 2.0}, Amount)


def test_unknown_enum_values_stay_plain_strings() -> None:
    """Known values become enum members; a value added to the API later stays a string."""
    states = structure(
        [{"name": "a", "type": "waiting"}, {"name": "b", "type": "blocked"}], list[TaskState]
    )
    assert states[0].type is TaskStateType.WAITING
    assert states[1].type == "blocked"
    assert type(states[1].type) is str
    assert structure({"name": "c", "type": None}, TaskState).type is None
    perms = structure({"_id": "p", "perms": {"everybody": {"tasks": "view"}}}, Project).perms
    assert perms is not None
    assert perms.everybody is not None
    assert perms.everybody.tasks is TaskLevel.VIEW  # each feature has its own ordered scale
    assert perms.everybody.tasks == PermissionLevel.VIEW


def test_unstructure_keeps_sparse_records_sparse() -> None:
    """Unstructuring omits defaults, so a project without custom states sends no taskStates."""
    assert unstructure(Project(id="p", name="P")) == {"_id": "p", "name": "P"}


@given(payload=project_payloads)
def test_projects_round_trip_without_loss(payload: dict[str, Any]) -> None:
    """Structure, unstructure, structure again: the same record, under the same wire keys."""
    project = structure(payload, Project)
    back = unstructure(project)
    assert structure(back, Project) == project
    for key in ("_id", "name", "parents", "admins", "groups", "taskStates"):
        if payload.get(key) not in (None, []):
            assert key in back


def test_valid_records_take_the_one_converter_path() -> None:
    """A valid payload is structured by the module's one converter, detailed validation on."""
    converters = [v for v in vars(_convert).values() if isinstance(v, cattrs.BaseConverter)]
    assert converters == [_convert._CONVERTER]
    assert _convert._CONVERTER.detailed_validation
    payload = {
        "_id": "t", "name": "n", "start": 1, "assignees": ["u"], "stepType": "steps",
        "steps": [{"_id": "s", "name": "x", "checked": True}], "customFields": {"k": None},
        "customer": {"_id": "c", "name": "Globex"}, "files": [{"_id": "f"}], "zzz": 1,
    }  # fmt: skip
    assert _convert._CONVERTER.structure(payload, Task) == structure(payload, Task)


@pytest.mark.parametrize(
    ("payload", "keys"),
    [
        ({"_id": "t", "steps": "x"}, ("steps",)),
        ({"_id": "t", "steps": [{"checked": "yes"}]}, ("steps", 0, "checked")),
        ({"_id": "t", "steps": {"completed": "1"}}, ("steps", "completed")),
        ({"_id": "t", "stepType": 5}, ("stepType",)),
        ({"_id": "t", "customFields": []}, ("customFields",)),
        ({"_id": "t", "customFields": {"a": 1}}, ("customFields", "a")),
        ({"_id": "t", "files": {"_id": "f"}}, ("files",)),
        ({"_id": "t", "start": "2024-01-01"}, ("start",)),
    ],
    ids=["steps-str", "checklist-item", "progress", "enum-int", "fields-list", "field-int",
         "files-object", "date-str"],
)  # fmt: skip
def test_task_decode_failures_name_their_path(
    payload: dict[str, Any], keys: tuple[str | int, ...]
) -> None:
    """A task that does not fit names the path that failed (`$.steps[0].checked`, ...)."""
    with pytest.raises(StructureFailure, match=re.escape(f"@ {wire_path(Task, *keys)}")):
        structure(payload, Task)


def test_null_steps_and_step_type_read_as_none() -> None:
    """`steps: null` and `stepType: null` are accepted as absent values."""
    task = structure({"_id": "t", "steps": None, "stepType": None}, Task)
    assert (task.steps, task.step_type) == (None, None)


def test_activities_keep_unknown_keys_both_ways() -> None:
    """Keys an activity record does not know land in `extra` and go back out unchanged."""
    payload = {"_id": "a", "type": "mention", "createdAt": 5, "whom": ["u1"], "data": {"x": 1}}
    activity = structure(payload, TaskActivity)
    assert activity.extra == {"whom": ["u1"], "data": {"x": 1}}
    assert activity.type == "mention"
    assert unstructure(activity) == payload
    with pytest.raises(StructureFailure, match=re.escape("@ $.created_at")):
        structure({**payload, "createdAt": "soon"}, TaskActivity)


# --- records come from JSON objects only; aliases, init=False, nesting ----------------------


@pytest.mark.parametrize(
    ("kind", "payload", "keys"),
    [
        (Task, {"_id": "t", "email": []}, ("email",)),
        (Task, {"_id": "t", "workflow": [1, 2]}, ("workflow",)),
        (Task, {"_id": "t", "steps": [[]]}, ("steps", 0)),
        (Project, {"_id": "p", "perms": {"members": ["x"]}}, ("perms", "members")),
        (Project, {"_id": "p", "perms": "custom"}, ("perms",)),
        (Project, {"_id": "p", "taskStates": [7]}, ("taskStates", 0)),
        (Project, [], ()),
    ],
    ids=["task-email", "task-workflow", "task-steps-item", "project-perms-members",
         "perms-str", "state-int", "top-level-array"],
)  # fmt: skip
def test_a_json_array_or_scalar_is_never_a_record(
    kind: type, payload: Any, keys: tuple[str | int, ...]
) -> None:
    """Where a record is expected, anything but a JSON object is refused (not read as defaults)."""
    with pytest.raises(StructureFailure, match="expected an object") as caught:
        structure(payload, kind)
    assert str(caught.value).endswith(f"@ {wire_path(kind, *keys)}")


@attrs.frozen(kw_only=True)
class Aliased:
    """A record whose attribute has an attrs alias (the `__init__` keyword)."""

    id: str
    display_name: str | None = attrs.field(default=None, alias="label")
    when: datetime | None = attrs.field(default=None, alias="at", metadata={"wire": "ts"})


def test_aliases_rename_the_init_keyword_not_the_wire_key() -> None:
    """An aliased attribute reads and writes its wire name; the alias is only for `__init__`."""
    record = structure({"_id": "a", "displayName": "Ada", "ts": 0, "label": "no"}, Aliased)
    assert record == Aliased(id="a", label="Ada", at=datetime(1970, 1, 1, tzinfo=UTC))
    assert unstructure(record) == {"_id": "a", "displayName": "Ada", "ts": 0}
    with pytest.raises(StructureFailure, match=re.escape("@ $.display_name")):
        structure({"_id": "a", "displayName": 1}, Aliased)


@attrs.frozen(kw_only=True)
class Derived:
    """A record with an attribute the class computes (`init=False`)."""

    id: str
    first: str | None = None
    initial: str = attrs.field(init=False)
    extra: dict[str, Any] = attrs.field(factory=dict, metadata={"extra": True})

    @initial.default
    def _initial(self) -> str:
        return (self.first or "?")[:1]


def test_init_false_attributes_are_neither_read_nor_sent() -> None:
    """An `init=False` attribute is the class's own: its wire key is unknown, never sent."""
    record = structure({"_id": "d", "first": "Ada", "initial": "Z"}, Derived)
    assert (record.initial, record.extra) == ("A", {"initial": "Z"})
    assert structure({"_id": "d"}, Derived).initial == "?"
    assert unstructure(structure({"_id": "d", "first": "Bo"}, Derived)) == {
        "_id": "d",
        "first": "Bo",
    }


@attrs.frozen(kw_only=True)
class Node:
    """A record that nests itself, through an optional field and a tuple."""

    id: str
    parent: Node | None = None
    children: tuple[Node, ...] = ()


def test_a_record_may_nest_itself() -> None:
    """Self-nesting records structure and unstructure; their paths still name the failure."""
    payload = {"_id": "a", "parent": {"_id": "r"}, "children": [{"_id": "b", "children": None}]}
    node = structure(payload, Node)
    assert node == Node(id="a", parent=Node(id="r"), children=(Node(id="b"),))
    assert unstructure(node) == {"_id": "a", "parent": {"_id": "r"}, "children": [{"_id": "b"}]}
    with pytest.raises(StructureFailure, match=re.escape("@ $.children[0].parent.id")):
        structure({"_id": "a", "children": [{"_id": "b", "parent": {"_id": 3}}]}, Node)


# --- the single-path guarantee, over every record of the SDK --------------------------------

records = pytest.mark.parametrize("kind", SDK_RECORDS, ids=lambda kind: kind.__name__)
#: Nested records are drawn again inside their parents, so 50 examples each suffice.
thorough = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@records
@thorough
@given(data=st.data())
def test_every_valid_payload_is_accepted_and_round_trips(kind: type, data: st.DataObject) -> None:
    """Sparse payloads with nulls and unknown keys structure, and survive unstructuring."""
    record = structure(data.draw(wire_payloads(kind)), kind)
    assert structure(unstructure(record), kind) == record


@records
@thorough
@given(data=st.data())
def test_one_wrong_value_is_refused_at_its_path(kind: type, data: st.DataObject) -> None:
    """One wrong value (array for object, wrong scalar, null, missing key): refused, its path named.

    With the test above, this is the guarantee of the one structuring path: exactly the
    payloads that follow the rules are accepted, and each refusal says where it failed.
    """
    payload, path = data.draw(invalid_payloads(kind))
    with pytest.raises(StructureFailure) as caught:
        structure(payload, kind)
    messages = cattrs.transform_error(caught.value.__cause__)
    assert len(messages) == 1, messages
    assert messages[0].endswith(f" @ {path}"), messages


@pytest.mark.parametrize(
    "kind", [list[Project], list[TaskActivity]], ids=["projects", "activities"]
)
@thorough
@given(data=st.data())
def test_lists_of_records_accept_and_refuse_alike(kind: Any, data: st.DataObject) -> None:
    """Answers typed `list[Record]` follow the same rules, item paths included (`$[2].id`)."""
    assert isinstance(structure(data.draw(wire_values(kind)), kind), list)
    payload, path = data.draw(invalid_payloads(kind))
    with pytest.raises(StructureFailure) as caught:
        structure(payload, kind)
    assert str(caught.value).endswith(f" @ {path}")
