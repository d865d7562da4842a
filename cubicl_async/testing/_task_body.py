"""Validation of task request bodies: JSON types and ranges, each failure a 400 naming the field.

The parsers return wire-ready values: ``files`` as ``[{"_id"}]``, ``workFlowId`` as
``workflow: {"id"}``, checklist items as ``{"_id"?, "name", "checked"}``. A null clears
a field (see the package docstring); on create, nulls count as not sent.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from ._http import ApiError

#: The values of ``stepType``, with the Python type of the ``steps`` each one takes.
STEP_SHAPES: dict[str, type | None] = {"none": None, "steps": list, "progress": dict}


def _fail(key: str, expected: str) -> NoReturn:
    raise ApiError(400, f"{key} must be {expected}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _name(key: str, value: Any) -> str:
    if not _is_id(value):
        _fail(key, "a non-empty string")
    name: str = value
    return name


def _text(key: str, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        _fail(key, "a string or null")
    return value


def _state(key: str, value: Any) -> str:
    if not isinstance(value, str):
        _fail(key, "a state name (a string)")
    return value


def _date(key: str, value: Any) -> float | None:
    if value is not None and not _is_number(value):
        _fail(key, "a number (Unix seconds) or null")
    date: float | None = value
    return date


def _strings(key: str, value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        _fail(key, "an array of strings or null")
    return list(dict.fromkeys(value))


def _files(key: str, value: Any) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(_is_id(item) for item in value):
        _fail(key, "an array of file ids (non-empty strings) or null")
    return [{"_id": file_id} for file_id in dict.fromkeys(value)]


def _priority(key: str, value: Any) -> int:
    if value is None:
        return 3
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        _fail(key, "an integer from 1 to 5 or null")
    return value


def _optional_id(key: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        _fail(key, "an id (a string) or null")
    return value


def _workflow(key: str, value: Any) -> dict[str, str] | None:
    workflow_id = _optional_id(key, value)
    return None if workflow_id is None else {"id": workflow_id}


def _step_type(key: str, value: Any) -> str:
    if value is None:
        return "none"
    if not isinstance(value, str) or value not in STEP_SHAPES:
        _fail(key, "'none', 'steps' or 'progress'")
    step_type: str = value
    return step_type


def _steps(key: str, value: Any) -> list[dict[str, Any]] | dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, list):
        return [_check_item(f"{key}[{index}]", item) for index, item in enumerate(value)]
    if isinstance(value, dict) and all(_is_number(value.get(k)) for k in ("completed", "total")):
        return {"completed": value["completed"], "total": value["total"]}
    _fail(key, 'a CheckList (an array), a ProgressBar ({"completed", "total"}) or null')


def _check_item(key: str, item: Any) -> dict[str, Any]:
    if (
        not isinstance(item, dict)
        or not isinstance(item.get("name"), str)
        or not isinstance(item.get("checked", False), bool)
        or not (item.get("_id") is None or _is_id(item["_id"]))
    ):
        _fail(key, 'a CheckList item {"name": string, "checked"?: boolean, "_id"?: string}')
    found = {"_id": item["_id"]} if item.get("_id") is not None else {}
    return found | {"name": item["name"], "checked": item.get("checked", False)}


def _flag(key: str, value: Any) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        _fail(key, "a boolean or null")
    return value


def _optional_flag(key: str, value: Any) -> bool | None:
    return None if value is None else _flag(key, value)


def _object(key: str, value: Any) -> dict[str, Any] | None:
    if value is not None and not isinstance(value, dict):
        _fail(key, "an object or null")
    found: dict[str, Any] | None = value
    return found


def _duration(key: str, value: Any) -> float | None:
    if value is not None and not (_is_number(value) and value >= 0):
        _fail(key, "a number of seconds (at least 0) or null")
    duration: float | None = value
    return duration


def _custom_fields(key: str, value: Any) -> dict[str, str] | None:
    found = _object(key, value)
    if found is not None and not all(isinstance(item, str) for item in found.values()):
        _fail(key, "an object of strings or null")
    return found


Parser = Callable[[str, Any], Any]

#: The writable fields of a task, in the order they are checked, with their parsers.
WRITABLE: dict[str, Parser] = {
    "name": _name,
    "desc": _text,
    "state": _state,
    "start": _date,
    "deadline": _date,
    "assignees": _strings,
    "priority": _priority,
    "tags": _strings,
    "customer": _optional_id,
    "files": _files,
    "stepType": _step_type,
    "steps": _steps,
    "recurrent": _flag,
    "recurrence": _object,
    "private": _flag,
    "workFlowId": _workflow,
    "estimatedTime": _duration,
    "customFields": _custom_fields,
    "sharedWithCustomer": _optional_flag,
}

#: Update-only fields: archiving.
ARCHIVING: dict[str, Parser] = {"archived": _flag, "archivedAt": _date}

#: Body names that differ from the record's.
_WIRE_NAMES = {"workFlowId": "workflow"}


def _parse(body: Mapping[str, Any], parsers: Mapping[str, Parser]) -> dict[str, Any]:
    """Parse the known fields of ``body``; unknown keys are ignored."""
    return {
        _WIRE_NAMES.get(key, key): parse(key, body[key])
        for key, parse in parsers.items()
        if key in body
    }


def create_fields(body: Mapping[str, Any], *, subtask: bool = False) -> dict[str, Any]:
    """Parse a ``POST /tasks`` body (or, ``subtask=True``, a ``POST /tasks/:id/subtasks`` one).

    Nulls count as not sent. ``group`` and ``parent`` are returned only for ``POST /tasks``.
    """
    given = {key: value for key, value in body.items() if value is not None}
    head: dict[str, Any] = {}
    if not subtask:
        head["group"] = _name("group", given.get("group"))
        if "parent" in given:
            head["parent"] = _name("parent", given["parent"])
    head["name"] = _name("name", given.get("name"))
    return head | _parse(given, WRITABLE)


def update_fields(body: Mapping[str, Any]) -> dict[str, Any]:
    """Parse a ``PUT /tasks/:id`` body: any writable fields, ``archived`` or ``archivedAt``."""
    if "group" in body:
        raise ApiError(400, "group cannot be changed: tasks cannot move between projects")
    if "parent" in body:
        raise ApiError(400, "parent cannot be changed")
    if "archived" in body and "archivedAt" in body:
        raise ApiError(400, "send archived or archivedAt, not both")
    fields = _parse(body, WRITABLE) | _parse(body, ARCHIVING)
    if not fields:
        raise ApiError(400, "nothing to update: the body has no writable task field")
    return fields


def check_pairs(task: Mapping[str, Any], fields: dict[str, Any]) -> None:
    """Check that ``steps`` fits ``stepType`` and ``recurrence`` fits ``recurrent`` (else 400).

    ``task`` is the current record (empty on create), ``fields`` the parsed changes. A
    ``stepType`` of ``none`` drops the steps; ``recurrent: false`` drops the recurrence.
    """
    if "stepType" in fields or "steps" in fields:
        kind = fields.get("stepType", task.get("stepType", "none"))
        steps = fields["steps"] if "steps" in fields else task.get("steps")
        shape = STEP_SHAPES[kind]
        if shape is None:
            if steps is not None and "steps" in fields:
                raise ApiError(400, "steps must be left out (or null) when stepType is 'none'")
            fields["steps"] = None
        elif not isinstance(steps, shape):
            wanted = "a CheckList (an array)" if shape is list else "a ProgressBar (an object)"
            raise ApiError(400, f"stepType {kind!r} needs {wanted} in steps")
    if "recurrent" in fields or "recurrence" in fields:
        recurrent = fields.get("recurrent", task.get("recurrent", False))
        recurrence = fields["recurrence"] if "recurrence" in fields else task.get("recurrence")
        if not recurrent:
            if recurrence is not None and "recurrence" in fields:
                raise ApiError(400, "recurrence needs recurrent: true")
            fields["recurrence"] = None
        elif recurrence is None:
            raise ApiError(400, "a recurrent task needs a recurrence object")


def comment_fields(body: Mapping[str, Any]) -> tuple[str, list[dict[str, str]]]:
    """Parse a ``POST /tasks/:id/activities`` body: ``content`` and/or ``files``."""
    content = _text("content", body.get("content"))
    files = _files("files", body.get("files"))
    if not content and not files:
        raise ApiError(400, "a comment needs content or files")
    return content, files


def state_field(body: Mapping[str, Any]) -> str:
    """Parse a ``PUT /tasks/:id/state`` body: ``{"state": "<name>"}``."""
    return _state("state", body.get("state"))


def visibility_field(body: Mapping[str, Any]) -> bool:
    """Parse a ``PUT /tasks/:taskId/activities/:activityId`` body: ``{"visibleToCustomer"}``."""
    value = body.get("visibleToCustomer")
    if not isinstance(value, bool):
        _fail("visibleToCustomer", "a boolean")
    return value
