"""Hypothesis strategies shared by the tests: JSON wire payloads, valid or not, per record type.

`wire_payloads(Record)` draws payloads the API could send for any attrs record of the SDK,
read from the record's fields and their types alone: sparse (a defaulted key may be
missing), with `null` where that is allowed, and with unknown keys. `invalid_payloads`
draws the same payloads with exactly one thing wrong (a value of the wrong JSON type, an
array where an object is expected, a `null` where none is allowed, a required key missing)
together with the path, in `cattrs.transform_error` form, that a refusal must name.
These follow the rules of `cubicl_async._convert` independently of its code, so they can
test it. A type they do not know raises `NotImplementedError`: teach them, do not skip it.
`wire_path` spells such paths from wire keys. `project_payloads` and `task_payloads` are
written by hand, in the exact form the server sends back, for tests that compare keys.
"""

from __future__ import annotations

import enum
import functools
import types
import typing
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, get_args, get_origin

import attrs
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

import cubicl_async
from cubicl_async._convert import wire_name

__all__ = [
    "SDK_RECORDS",
    "ids",
    "invalid_payloads",
    "json_values",
    "money",
    "project_payloads",
    "stamps",
    "task_payloads",
    "wire_path",
    "wire_payloads",
    "wire_values",
]

#: Object ids as the API prints them.
ids = st.text(alphabet="0123456789abcdef", min_size=1, max_size=24)
#: Unix seconds, whole.
stamps = st.integers(min_value=0, max_value=2**32)
#: Unix seconds or durations, whole or in quarters (exact in binary, so they round-trip).
_seconds = stamps | st.integers(min_value=0, max_value=2**34).map(lambda q: q / 4)
#: Amounts as the server writes them: whole, or with cents (JSON numbers, up to 15 digits).
money = st.integers(0, 10**9) | st.integers(0, 10**13).map(lambda cents: cents / 100)

#: Any JSON value (small).
json_values: SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=6,
)

#: The response records the SDK exports: its keyword-only attrs classes (DESIGN.md section 4)
#: without validators (the configuration records validate, and never come from the wire).
SDK_RECORDS: tuple[type, ...] = tuple(
    kind
    for kind in (getattr(cubicl_async, name) for name in cubicl_async.__all__)
    if isinstance(kind, type)
    and attrs.has(kind)
    and all(f.kw_only and f.validator is None for f in attrs.fields(attrs.resolve_types(kind)))
)

_NONE = type(None)


def _union(tp: Any) -> tuple[list[Any], bool] | None:
    """Return the members other than `None` of a union, and whether `None` is one."""
    if get_origin(tp) not in (typing.Union, types.UnionType):
        return None
    return [a for a in get_args(tp) if a is not _NONE], _NONE in get_args(tp)


def _read_fields(cls: type) -> list[attrs.Attribute[Any]]:
    """Return the fields read from wire keys (not those `init=False`, nor the `extra` bag)."""
    fields = attrs.fields(attrs.resolve_types(cls))
    return [f for f in fields if f.init and not f.metadata.get("extra")]


def _is_array(tp: Any) -> bool:
    """Tell whether `tp` is read from a JSON array: `list[X]` or `tuple[X, ...]`."""
    return get_origin(tp) is list or (get_origin(tp) is tuple and get_args(tp)[1:] == (Ellipsis,))


def _scalar(tp: Any) -> SearchStrategy[Any] | None:
    """Return valid JSON for a scalar type (or a closed enum), else `None`."""
    table: dict[Any, SearchStrategy[Any]] = {
        str: st.text(max_size=8),
        bool: st.booleans(),
        int: st.integers(),
        float: st.integers() | st.floats(allow_nan=False, allow_infinity=False),
        datetime: _seconds,
        timedelta: _seconds,
        Decimal: money,
    }
    if tp in table:
        return table[tp]
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return st.sampled_from([m.value for m in tp])
    return None


def wire_values(tp: Any) -> SearchStrategy[Any]:
    """Draw JSON that a field typed `tp` accepts."""
    if tp is Any:
        return json_values
    scalar = _scalar(tp)
    if scalar is not None:
        return scalar
    if attrs.has(tp):
        return wire_payloads(tp)
    union = _union(tp)
    if union is not None:
        args, nullable = union
        return st.one_of(*(wire_values(a) for a in args), *([st.none()] if nullable else []))
    if _is_array(tp):
        return st.none() | st.lists(wire_values(get_args(tp)[0]), max_size=3)
    if get_origin(tp) is dict:
        values = wire_values(get_args(tp)[1])
        return st.none() | st.dictionaries(st.text(max_size=5), values, max_size=3)
    raise NotImplementedError(f"no wire strategy for {tp!r}: add one to tests/strategies.py")


@functools.cache
def wire_payloads(cls: type) -> SearchStrategy[dict[str, Any]]:
    """Draw wire payloads of record `cls`: sparse, some nulls, some unknown keys."""
    fields = _read_fields(cls)
    known = {wire_name(f) for f in fields}
    required = {wire_name(f): st.deferred(lambda f=f: wire_values(f.type)) for f in fields
                if f.default is attrs.NOTHING}  # fmt: skip
    optional = {wire_name(f): st.deferred(lambda f=f: wire_values(f.type)) for f in fields
                if f.default is not attrs.NOTHING}  # fmt: skip
    unknown = st.dictionaries(st.text(max_size=6).filter(lambda k: k not in known), json_values,
                              max_size=2)  # fmt: skip
    return st.builds(
        lambda payload, extra: {**extra, **payload},
        st.fixed_dictionaries(required, optional=optional),
        unknown,
    )


#: JSON values of each kind, for drawing one of the wrong kind.
_KINDS: dict[str, SearchStrategy[Any]] = {
    "null": st.none(),
    "bool": st.booleans(),
    "int": st.integers(),
    "float": st.floats(allow_nan=False, allow_infinity=False),
    "str": st.text(max_size=5),
    "array": st.lists(st.integers() | st.text(max_size=3), max_size=2),
    "object": st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
}


def _not(*accepted: str) -> SearchStrategy[Any]:
    """Draw a JSON value of none of the `accepted` kinds."""
    return st.one_of(*(s for kind, s in _KINDS.items() if kind not in accepted))


def _wrong_kinds(tp: Any, nullable: bool) -> SearchStrategy[Any] | None:
    """Draw a value of a JSON kind that a field typed `tp` refuses, if there is one."""
    null = ("null",) if nullable else ()
    table: dict[Any, tuple[str, ...]] = {
        str: ("str",), bool: ("bool",), int: ("int",), float: ("int", "float"),
        datetime: ("int", "float"), timedelta: ("int", "float"), Decimal: ("int", "float"),
    }  # fmt: skip
    if tp is Any:
        return None
    if tp in table:
        return _not(*table[tp], *null)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):  # a closed enum: unknown strings too
        values = {m.value for m in tp}
        return _not("str", *null) | st.text(max_size=5).filter(lambda s: s not in values)
    if attrs.has(tp):
        return _not("object", *null)
    if _is_array(tp):
        return _not("array", "null")
    if get_origin(tp) is dict:
        return _not("object", "null")
    raise NotImplementedError(f"no wrong-value strategy for {tp!r}: add one to tests/strategies.py")


#: (a wrong JSON value, the path below the value's own place: "", ".name", "[0].id", ...)
Wrong = SearchStrategy[tuple[Any, str]]


@functools.cache
def _invalid(tp: Any, nullable: bool = False) -> Wrong | None:
    """Draw JSON a field typed `tp` refuses, with the path the refusal names, if any."""
    union = _union(tp)
    if union is not None:
        args, with_null = union
        null = ("null",) if with_null else ()
        if len(args) == 1:
            return _invalid(args[0], nullable=with_null)
        if str in args and any(isinstance(a, type) and issubclass(a, enum.StrEnum) for a in args):
            return _not("str", *null).map(lambda v: (v, ""))  # an open enum
        arrays, records = [a for a in args if _is_array(a)], [a for a in args if attrs.has(a)]
        if len(args) != 2 or len(arrays) != 1 or len(records) != 1:
            raise NotImplementedError(f"no wrong-value strategy for {tp!r}")
        choices = [
            _not("array", "object", *null).map(lambda v: (v, "")),
            _invalid_item(get_args(arrays[0])[0]),
            _invalid_record(records[0]),
        ]  # `tuple[Item, ...] | Record`: an array or an object, either one wrong inside
        return st.one_of(*(c for c in choices if c is not None))
    wrong = _wrong_kinds(tp, nullable)
    if wrong is None:
        return None
    choices = [wrong.map(lambda v: (v, ""))]
    if _is_array(tp):
        choices.append(_invalid_item(get_args(tp)[0]))
    elif get_origin(tp) is dict:
        choices.append(_invalid_value(get_args(tp)[1]))
    elif attrs.has(tp):
        choices.append(_invalid_record(tp))
    return st.one_of(*(c for c in choices if c is not None))


def _invalid_item(item: Any) -> Wrong | None:
    """Draw a JSON array of valid items but one, and the path of that one."""
    wrong = _invalid(item)
    if wrong is None:
        return None

    @st.composite
    def draw(draw: st.DrawFn) -> tuple[Any, str]:
        items = draw(st.lists(wire_values(item), max_size=3))
        at = draw(st.integers(0, len(items)))
        bad, below = draw(wrong)
        return [*items[:at], bad, *items[at:]], f"[{at}]{below}"

    return draw()


def _invalid_value(value: Any) -> Wrong | None:
    """Draw a JSON object of valid values but one, and the path of that one."""
    wrong = _invalid(value)
    if wrong is None:
        return None

    @st.composite
    def draw(draw: st.DrawFn) -> tuple[Any, str]:
        good = draw(st.dictionaries(st.text(max_size=5), wire_values(value), max_size=2))
        key = draw(st.text(max_size=5).filter(lambda k: k not in good))
        bad, below = draw(wrong)
        return {**good, key: bad}, f"[{key!r}]{below}"

    return draw()


def _invalid_record(cls: type) -> Wrong | None:
    """Draw a payload of `cls` with one field wrong or one required key missing."""
    fields = _read_fields(cls)
    wrong = {f.name: _invalid(f.type) for f in fields}
    required = [f.name for f in fields if f.default is attrs.NOTHING]
    choices = [name for name, strategy in wrong.items() if strategy is not None] + required
    if not choices:
        return None
    keys = {f.name: wire_name(f) for f in fields}

    @st.composite
    def draw(draw: st.DrawFn) -> tuple[Any, str]:
        payload = dict(draw(wire_payloads(cls)))
        name = draw(st.sampled_from(choices))
        strategy = wrong[name]
        if strategy is None or (name in required and draw(st.booleans())):
            payload.pop(keys[name], None)  # a required key missing
            return payload, f".{name}"
        payload[keys[name]], below = draw(strategy)
        return payload, f".{name}{below}"

    return draw()


def invalid_payloads(tp: Any) -> SearchStrategy[tuple[Any, str]]:
    """Draw (JSON for `tp`, a record or e.g. `list[Record]`, with one thing wrong, its path)."""
    wrong = typing.cast(Wrong, _invalid(tp))
    return wrong.map(lambda bad: (bad[0], f"${bad[1]}"))


def wire_path(cls: type, *keys: str | int) -> str:
    """Return the path a refusal names for the value at these wire keys of a `cls` payload.

    `wire_path(Task, "steps", 0, "checked")` is `"$.steps[0].checked"`: object keys become
    attribute names, so tests need not spell attribute names that may be renamed.
    """
    path, tp = "$", cls
    for key in keys:
        members = (_union(tp) or ([tp], False))[0]
        if isinstance(key, int):
            tp = get_args(next(a for a in members if _is_array(a)))[0]
            path += f"[{key}]"
        elif any(get_origin(a) is dict for a in members):
            tp = get_args(next(a for a in members if get_origin(a) is dict))[1]
            path += f"[{key!r}]"
        else:
            record = next(a for a in members if attrs.has(a))
            field = next(f for f in _read_fields(record) if wire_name(f) == key)
            tp, path = field.type, f"{path}.{field.name}"
    return path


#: Project payloads written by hand (the round-trip test checks their keys come back).
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

#: Task payloads written by hand, every value in the form the server sends back (the
#: tasks round-trip test compares each key after unstructuring).
task_payloads = st.fixed_dictionaries(
    {"_id": ids},
    optional={
        "name": st.text(), "desc": st.text(), "state": st.sampled_from(["cb_waiting", "x"]),
        "start": stamps | st.none(), "deadline": stamps | st.none(), "assignees": st.lists(ids),
        "assignedBy": ids, "followers": st.lists(ids), "priority": st.integers(1, 5),
        "priorityScore": st.integers(0, 10**6), "group": ids, "completedAt": stamps | st.none(),
        "archivedAt": stamps, "stepType": st.sampled_from(["none", "steps", "progress", "new"]),
        "customer": st.fixed_dictionaries({"_id": ids, "name": st.text()}) | st.none(),
        "createdAt": stamps, "files": st.lists(st.fixed_dictionaries({"_id": ids})),
        "tags": st.lists(st.text()), "subtasks": st.lists(ids), "parent": ids | st.none(),
        "email": st.fixed_dictionaries({"emailUserId": ids}), "private": st.booleans(),
        "estimatedTime": st.integers(0, 10**6),
        "customFields": st.dictionaries(st.text(), st.text()),
        "steps": st.lists(st.fixed_dictionaries({"_id": ids, "name": st.text(),
                                                  "checked": st.booleans()}), min_size=1)
                 | st.fixed_dictionaries({"completed": st.integers(0, 9),
                                          "total": st.integers(1, 9)}),
        "recurrence": st.dictionaries(st.text(), st.integers()),
    },
)  # fmt: skip
