"""The Tasks area's request bodies: its field kinds, the writable fields, a `Body` per endpoint.

The parsers return values ready to store: ``files`` as ``[{"_id"}]``, ``workFlowId`` as
``{"id"}`` (stored as ``workflow``, see `record_keys`), checklist items as
``{"_id"?, "name", "checked"}``. A null clears a field (see docs/emulator.md); on
create, nulls count as not sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._fields import (
    ANY_OBJECT,
    ARRAY,
    BOOLEAN_ONLY,
    DATE,
    FLAG,
    INTEGER,
    NAME,
    NULL,
    NUMBER,
    OBJECT,
    OPTIONAL_FLAG,
    OPTIONAL_ID,
    STRING,
    STRINGS,
    TEXT,
    Body,
    Field,
    fail,
    is_number,
    kind,
    non_empty_strings,
)
from .._http import ApiError

#: The values of ``stepType``, with the Python type of the ``steps`` each one takes.
STEP_SHAPES: dict[str, type | None] = {"none": None, "steps": list, "progress": dict}


def _priority(value: int) -> bool:
    return 1 <= value <= 5


def _files(key: str, value: list[str] | None) -> list[dict[str, str]]:
    return [{"_id": file_id} for file_id in dict.fromkeys(value or [])]


def _workflow(key: str, value: str | None) -> dict[str, str] | None:
    return {"id": value} if value else None


def _steps(value: Any) -> bool:
    """Accept a CheckList (its items are checked by `_check_list`) or a ProgressBar."""
    return isinstance(value, list) or all(is_number(value.get(k)) for k in ("completed", "total"))


def _check_list(key: str, value: Any) -> list[dict[str, Any]] | dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return {"completed": value["completed"], "total": value["total"]}
    return [_check_item(f"{key}[{index}]", item) for index, item in enumerate(value)]


def _check_item(key: str, item: Any) -> dict[str, Any]:
    if (
        not isinstance(item, dict)
        or not isinstance(item.get("name"), str)
        or not isinstance(item.get("checked", False), bool)
        or not (item.get("_id") is None or (isinstance(item["_id"], str) and item["_id"] != ""))
    ):
        fail(key, 'a CheckList item {"name": string, "checked"?: boolean, "_id"?: string}')
    found = {"_id": item["_id"]} if item.get("_id") is not None else {}
    return found | {"name": item["name"], "checked": item.get("checked", False)}


def _strings_only(key: str, value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is not None and not all(isinstance(item, str) for item in value.values()):
        fail(key, "an object of strings or null")
    return value


#: A state name (whether the project has it is checked later: 422).
STATE = kind("a state name (a string)", STRING)
PRIORITY = kind(
    "an integer from 1 to 5 or null",
    INTEGER,
    NULL,
    valid=_priority,
    convert=lambda key, value: 3 if value is None else value,
)
FILES = kind(
    "an array of file ids (non-empty strings) or null",
    ARRAY,
    NULL,
    valid=non_empty_strings,
    convert=_files,
)
STEP_TYPE = kind(
    "'none', 'steps' or 'progress'",
    STRING,
    NULL,
    valid=lambda value: value in STEP_SHAPES,
    convert=lambda key, value: value or "none",
)
STEPS = kind(
    'a CheckList (an array), a ProgressBar ({"completed", "total"}) or null',
    ARRAY,
    OBJECT,
    NULL,
    valid=_steps,
    convert=_check_list,
)
DURATION = kind(
    "a number of seconds (at least 0) or null",
    INTEGER,
    NUMBER,
    NULL,
    valid=lambda value: is_number(value) and value >= 0,
)
CUSTOM_FIELDS = kind("an object or null", OBJECT, NULL, convert=_strings_only)
WORKFLOW = kind(OPTIONAL_ID.expected, *OPTIONAL_ID.types, convert=_workflow)

#: The writable fields of a task, in the order they are checked.
WRITABLE: dict[str, Field] = {
    "name": NAME,
    "desc": TEXT,
    "state": STATE,
    "start": DATE,
    "deadline": DATE,
    "assignees": STRINGS,
    "priority": PRIORITY,
    "tags": STRINGS,
    "customer": OPTIONAL_ID,
    "files": FILES,
    "stepType": STEP_TYPE,
    "steps": STEPS,
    "recurrent": FLAG,
    "recurrence": ANY_OBJECT,
    "private": FLAG,
    "workFlowId": WORKFLOW,
    "estimatedTime": DURATION,
    "customFields": CUSTOM_FIELDS,
    "sharedWithCustomer": OPTIONAL_FLAG,
}

#: Update-only fields: archiving.
ARCHIVING: dict[str, Field] = {"archived": FLAG, "archivedAt": DATE}


def _update_shape(body: Mapping[str, Any]) -> None:
    """Refuse the keys ``PUT /tasks/:id`` cannot change, and archived with archivedAt."""
    if "group" in body:
        raise ApiError(400, "group cannot be changed: tasks cannot move between projects")
    if "parent" in body:
        raise ApiError(400, "parent cannot be changed")
    if "archived" in body and "archivedAt" in body:
        raise ApiError(400, "send archived or archivedAt, not both")


#: ``POST /tasks``: group and name required; nulls count as not sent.
CREATE = Body(
    {"group": NAME, "parent": NAME, **WRITABLE},
    required=frozenset({"group", "name"}),
    null_is_absent=True,
)
#: ``POST /tasks/:id/subtasks``: as `CREATE`, without group and parent (ignored if sent).
SUBTASK = Body(WRITABLE, required=frozenset({"name"}), null_is_absent=True)
#: ``PUT /tasks/:id``: any writable field, or archiving; a null clears.
UPDATE = Body({**WRITABLE, **ARCHIVING}, check=_update_shape)
#: ``PUT /tasks/:id/state``.
STATE_CHANGE = Body({"state": STATE}, required=frozenset({"state"}))
#: ``POST /tasks/:id/activities``: a comment (content and/or files, checked by the handler).
COMMENT = Body({"content": TEXT, "files": FILES})
#: ``PUT /tasks/:taskId/activities/:activityId``.
VISIBILITY = Body({"visibleToCustomer": BOOLEAN_ONLY}, required=frozenset({"visibleToCustomer"}))

#: Body names that differ from the record's.
_RECORD_NAMES = {"workFlowId": "workflow"}


def record_keys(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Return parsed body fields under the record's names (``workFlowId`` -> ``workflow``)."""
    return {_RECORD_NAMES.get(key, key): value for key, value in fields.items()}


def check_pairs(task: Mapping[str, Any], fields: dict[str, Any]) -> None:
    """Check that ``steps`` fits ``stepType`` and ``recurrence`` fits ``recurrent`` (else 400).

    ``task`` is the current record (empty on create), ``fields`` the parsed changes. A
    ``stepType`` of ``none`` drops the steps; ``recurrent: false`` drops the recurrence.
    """
    if "stepType" in fields or "steps" in fields:
        step_type = fields.get("stepType", task.get("stepType", "none"))
        steps = fields["steps"] if "steps" in fields else task.get("steps")
        shape = STEP_SHAPES[step_type]
        if shape is None:
            if steps is not None and "steps" in fields:
                raise ApiError(400, "steps must be left out (or null) when stepType is 'none'")
            fields["steps"] = None
        elif not isinstance(steps, shape):
            wanted = "a CheckList (an array)" if shape is list else "a ProgressBar (an object)"
            raise ApiError(400, f"stepType {step_type!r} needs {wanted} in steps")
    if "recurrent" in fields or "recurrence" in fields:
        recurrent = fields.get("recurrent", task.get("recurrent", False))
        recurrence = fields["recurrence"] if "recurrence" in fields else task.get("recurrence")
        if not recurrent:
            if recurrence is not None and "recurrence" in fields:
                raise ApiError(400, "recurrence needs recurrent: true")
            fields["recurrence"] = None
        elif recurrence is None:
            raise ApiError(400, "a recurrent task needs a recurrence object")
