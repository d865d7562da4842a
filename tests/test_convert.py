"""The converter: wire names, sparse records, strict scalars, timestamps and open enums."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cubicl_async import UNSET, PermissionLevel, Project, TaskState, TaskStateType
from cubicl_async._convert import StructureFailure, structure, unstructure


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
    assert perms.everybody.tasks is PermissionLevel.VIEW


def test_unstructure_keeps_sparse_records_sparse() -> None:
    """Unstructuring omits defaults, so a project without custom states sends no taskStates."""
    assert unstructure(Project(id="p", name="P")) == {"_id": "p", "name": "P"}


project_payloads = st.fixed_dictionaries(
    {"_id": st.text(min_size=1)},
    optional={
        "name": st.text(),
        "parents": st.lists(st.text(min_size=1)),
        "admins": st.lists(st.text(min_size=1)),
        "groups": st.lists(st.text(min_size=1)),
        "taskStates": st.lists(
            st.fixed_dictionaries(
                {"name": st.text(min_size=1)},
                optional={
                    "type": st.sampled_from(["waiting", "active", "completed", "x"]),
                    "color": st.text(),
                    "isDefault": st.booleans(),
                },
            ),
            min_size=1,
        ),
        "unknownKey": st.integers(),
    },
)


@given(payload=project_payloads)
def test_projects_round_trip_without_loss(payload: dict[str, Any]) -> None:
    """Structure, unstructure, structure again: the same record, under the same wire keys."""
    project = structure(payload, Project)
    back = unstructure(project)
    assert structure(back, Project) == project
    for key in ("_id", "name", "parents", "admins", "groups", "taskStates"):
        if payload.get(key) not in (None, []):
            assert key in back


def test_valid_records_take_the_fast_path() -> None:
    """A valid payload is structured by the compiled hook, never by the slow diagnostic twin."""
    from cubicl_async import Task
    from cubicl_async._convert import _fast

    payload = {
        "_id": "t", "name": "n", "start": 1, "assignees": ["u"], "stepType": "steps",
        "steps": [{"_id": "s", "name": "x", "checked": True}], "customFields": {"k": None},
        "customer": {"_id": "c", "name": "Globex"}, "files": [{"_id": "f"}], "zzz": 1,
    }  # fmt: skip
    assert _fast.structure(payload, Task) == structure(payload, Task)


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        ({"_id": "t", "steps": "x"}, "$.steps"),
        ({"_id": "t", "steps": [{"checked": "yes"}]}, "$.steps[0].checked"),
        ({"_id": "t", "steps": {"completed": "1"}}, "$.steps.completed"),
        ({"_id": "t", "stepType": 5}, "$.step_type"),
        ({"_id": "t", "customFields": []}, "$.custom_fields"),
        ({"_id": "t", "customFields": {"a": 1}}, "$.custom_fields['a']"),
        ({"_id": "t", "files": {"_id": "f"}}, "$.files"),
        ({"_id": "t", "start": "2024-01-01"}, "$.start"),
    ],
    ids=["steps-str", "checklist-item", "progress", "enum-int", "fields-list", "field-int",
         "files-object", "date-str"],
)  # fmt: skip
def test_task_decode_failures_name_their_path(payload: dict[str, Any], where: str) -> None:
    """A task that does not fit names the path that failed, through the diagnostic twin."""
    from cubicl_async import Task

    with pytest.raises(StructureFailure, match=re.escape(f"@ {where}")):
        structure(payload, Task)


def test_null_steps_and_step_type_read_as_none() -> None:
    """`steps: null` and `stepType: null` are accepted as absent values."""
    from cubicl_async import Task

    task = structure({"_id": "t", "steps": None, "stepType": None}, Task)
    assert (task.steps, task.step_type) == (None, None)


def test_activities_keep_unknown_keys_both_ways() -> None:
    """Keys an activity record does not know land in `extra` and go back out unchanged."""
    from cubicl_async import TaskActivity

    payload = {"_id": "a", "type": "mention", "createdAt": 5, "whom": ["u1"], "data": {"x": 1}}
    activity = structure(payload, TaskActivity)
    assert activity.extra == {"whom": ["u1"], "data": {"x": 1}}
    assert activity.type == "mention"
    assert unstructure(activity) == payload
    with pytest.raises(StructureFailure, match=re.escape("@ $.created_at")):
        structure({**payload, "createdAt": "soon"}, TaskActivity)
