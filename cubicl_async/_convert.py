"""The cattrs converter that turns the API's JSON into records and back, and `UNSET`.

Rules, applied to every attrs record (its hooks are generated once, on first use):

- Wire names: `id` is `_id`; other attributes are the camelCase of their snake_case name,
  unless the field's metadata names its wire key (`attrs.field(metadata={"wire": ...})`).
  An attrs `alias` renames only the `__init__` keyword, never the wire key.
- The API is sparse: a missing key takes the attribute's default; unknown keys are ignored.
- A record is read only from a JSON object: an array, a string or a number where a record
  is expected is refused (it never reads as a record of defaults).
- Attributes declared `init=False` are derived by the class: never read, never sent.
- Scalars are strict: `"1"` is not an int, `1` is not a str, `0` is not a bool.
- A collection is read only from its JSON type (an array for tuples and lists, an object
  for dicts); a `null` reads as an empty collection.
- `datetime` travels as Unix seconds (int or float) and is always aware UTC; `timedelta`
  travels as seconds.
- Money is `Decimal`: a JSON number reads as the decimal it was written as (`1234.56`
  reads as `Decimal("1234.56")`: the shortest text of the parsed float, exact for up to
  15 significant digits), and a `Decimal` goes out as the same number (one that a JSON
  number cannot carry exactly, over 15 significant digits, raises `ValueError`).
- A field typed `SomeStrEnum | str` keeps unknown values as plain strings.
- A field typed `tuple[Item, ...] | Record | None` takes the tuple for a JSON array and
  the record for a JSON object (the API's `steps`: a checklist or a progress bar).
- A field marked `attrs.field(metadata={"extra": True})` receives, as raw JSON, every key
  the record does not know (for shapes the API docs do not capture), and gives them back
  when unstructured.
- A field typed `Record | str` takes the record for a JSON object and the string for a
  string (the chat API answers a sent message as either).
- A field whose metadata names a `structure` hook is read with it
  (`attrs.field(metadata={"structure": never_if_zero})`: `0` means "never").
- Unstructuring omits attributes that still hold their default, so sparse stays sparse.

There is one structuring path: cattrs' generated record functions, the strict hooks above,
and detailed validation always on. On CPython 3.11+ its `try` blocks cost next to nothing
until something fails (benchmarks/decode.py: the same ratio either way), so a refused
payload names every bad path (`cattrs.transform_error`), and no second converter can disagree.
"""

from __future__ import annotations

import enum
import re
import types
import typing
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final, TypeVar, get_args, get_origin

import attrs
import cattrs
from cattrs.cols import homogenous_tuple_structure_factory
from cattrs.cols import list_structure_factory as list_factory
from cattrs.cols import mapping_structure_factory as dict_factory
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from cattrs.v import format_exception

from ._scalars import (
    JSON_KINDS,
    Refused,
    never_if_zero,
    seconds,
    strict,
    structure_datetime,
    structure_decimal,
    unstructure_datetime,
    unstructure_decimal,
    whole,
)

__all__ = [
    "UNSET",
    "StructureFailure",
    "Unset",
    "never_if_zero",
    "request_body",
    "structure",
    "unstructure",
    "unstructure_decimal",
    "wire_name",
]

T = TypeVar("T")
Hook = Callable[[Any, Any], Any]


class Unset(enum.Enum):
    """The type of `UNSET`: "leave this field unchanged" (distinct from `None`, "clear it")."""

    UNSET = "UNSET"

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "UNSET"


#: Default of every optional request argument: the key is not sent at all.
UNSET: Final = Unset.UNSET


class StructureFailure(ValueError):
    """A payload did not fit the record type; the message lists the readable paths."""


def _describe(exc: BaseException, tp: Any) -> str:
    """Format one failure for `cattrs.transform_error`: ours say what came instead."""
    return str(exc) if isinstance(exc, Refused) else format_exception(exc, tp)


def wire_name(field: attrs.Attribute[Any]) -> str:
    """Return the JSON key of a record attribute."""
    explicit = field.metadata.get("wire")
    if explicit is not None:
        return str(explicit)
    return _camel(field.name)


def _camel(name: str) -> str:
    return "_id" if name == "id" else re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)


def _union_args(tp: Any) -> tuple[list[Any], bool]:
    """Return the members of a union other than `None`, and whether `None` is one."""
    if get_origin(tp) not in (typing.Union, types.UnionType):
        return [], False
    args = get_args(tp)
    return [a for a in args if a is not type(None)], type(None) in args


def _open_enum_kind(tp: Any) -> type[enum.StrEnum] | None:
    """Return E for `E | str` or `E | str | None` with E a `StrEnum`, else `None`."""
    args, _ = _union_args(tp)
    kinds = [a for a in args if a is not str]
    if len(args) != 2 or len(kinds) != 1 or not isinstance(kinds[0], type):
        return None
    return kinds[0] if issubclass(kinds[0], enum.StrEnum) else None


def _open_enum_hook(tp: Any) -> Hook:
    members = typing.cast(type[enum.StrEnum], _open_enum_kind(tp))._value2member_map_
    nullable = _union_args(tp)[1]

    def structure_open_enum(value: Any, _: Any) -> Any:
        if isinstance(value, str):
            return members.get(value, value)
        if value is None and nullable:
            return None
        raise Refused("a string", value)

    return structure_open_enum


def _is_tuple(tp: Any) -> bool:
    args = get_args(tp)
    return get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis


def _collection_factory(
    conv: cattrs.Converter, json_type: type, empty: Callable[[], Any], make: Any
) -> Callable[[Any], Hook]:
    """Wrap cattrs' hook factory `make`: only `json_type` is read, and `null` reads as empty."""

    def factory(tp: Any) -> Hook:
        inner = make(tp, conv)

        def structure_collection(value: Any, tp: Any) -> Any:
            if value is None:
                return empty()  # a new one each time: lists and dicts are mutable
            if not isinstance(value, json_type):
                raise Refused(JSON_KINDS[json_type], value)
            return inner(value, tp)

        return structure_collection

    return factory


def _optional_of(tp: Any) -> Any:
    """Return T for `T | None`, else `None` (wider unions have hooks of their own)."""
    args, nullable = _union_args(tp)
    return args[0] if nullable and len(args) == 1 else None


def _late_hook(conv: cattrs.Converter, tp: Any) -> Hook:
    """Return the structure hook of `tp`, or a late lookup for a record that nests itself."""
    try:
        return conv.get_structure_hook(tp)
    except RecursionError:  # cattrs is still generating `tp`'s own hook
        return conv.structure


def _optional_hook(conv: cattrs.Converter, tp: Any) -> Hook:
    """Structure `T | None` with T's hook, found once (cattrs looks it up on every call)."""
    inner = _optional_of(tp)
    hook = _late_hook(conv, inner)

    def structure_optional(value: Any, _: Any) -> Any:
        return None if value is None else hook(value, inner)

    return structure_optional


def _array_or_record(tp: Any) -> tuple[Any, Any] | None:
    """Return (tuple type, record type) for `tuple[X, ...] | Record [| None]`, else None."""
    args, _ = _union_args(tp)
    arrays = [a for a in args if _is_tuple(a)]
    records = [a for a in args if attrs.has(a)]
    if len(args) == 2 and len(arrays) == 1 and len(records) == 1:
        return arrays[0], records[0]
    return None


def _record_or_str(tp: Any) -> Any:
    """Return the record type of `Record | str [| None]`, else None."""
    args, _ = _union_args(tp)
    records = [a for a in args if attrs.has(a)]
    return records[0] if len(args) == 2 and str in args and len(records) == 1 else None


def _record_or_str_hook(conv: cattrs.Converter, tp: Any) -> Hook:
    record = _record_or_str(tp)
    record_hook = _late_hook(conv, record)
    nullable = _union_args(tp)[1]

    def structure_record_or_str(value: Any, _: Any) -> Any:
        if isinstance(value, str):
            return value
        if isinstance(value, dict):
            return record_hook(value, record)
        if value is None and nullable:
            return None
        raise Refused("a string or an object", value)

    return structure_record_or_str


def _array_or_record_hook(conv: cattrs.Converter, tp: Any) -> Hook:
    array, record = typing.cast(tuple[Any, Any], _array_or_record(tp))
    array_hook, record_hook = _late_hook(conv, array), _late_hook(conv, record)
    nullable = _union_args(tp)[1]

    def structure_array_or_record(value: Any, _: Any) -> Any:
        if isinstance(value, list):
            return array_hook(value, array)
        if isinstance(value, dict):
            return record_hook(value, record)
        if value is None and nullable:
            return None
        raise Refused("an array or an object", value)

    return structure_array_or_record


#: The key under which a record's unknown keys reach its `extra` field while structuring.
_EXTRA_KEY = "\x00extra"


def _extra_field(cls: type) -> attrs.Attribute[Any] | None:
    return next((f for f in attrs.fields(cls) if f.metadata.get("extra")), None)


def _renames(cls: type) -> dict[str, Any]:
    """Return the cattrs overrides that map every attribute to its wire key."""
    return {
        f.name: override(
            rename=_EXTRA_KEY if f.metadata.get("extra") else wire_name(f),
            struct_hook=f.metadata.get("structure"),
        )
        for f in attrs.fields(cls)
    }


def _record_structure_hook(conv: cattrs.Converter, cls: type) -> Hook:
    """Build the structure hook of a record: cattrs' generated function, for objects only."""
    generated: Hook = make_dict_structure_fn(cls, conv, **_renames(cls))
    extra = _extra_field(cls)
    known = frozenset(wire_name(f) for f in attrs.fields(cls) if f.init and f is not extra)
    name = cls.__name__

    def structure_record(data: Any, _: Any) -> Any:
        if not isinstance(data, dict):
            raise Refused(f"an object ({name})", data)
        if extra is not None:
            data = {**data, _EXTRA_KEY: {k: v for k, v in data.items() if k not in known}}
        return generated(data, cls)

    return structure_record


def _record_unstructure_hook(conv: cattrs.Converter, cls: type) -> Callable[[Any], Any]:
    """Build the unstructure hook of a record: wire keys, defaults left out, `extra` merged."""
    extra = _extra_field(cls)
    overrides = _renames(cls)
    if extra is not None:
        overrides[extra.name] = override(omit=True)
    generated: Callable[[Any], Any] = make_dict_unstructure_fn(
        cls, conv, _cattrs_omit_if_default=True, **overrides
    )
    if extra is None:
        return generated
    name = extra.name

    def unstructure_with_extra(value: Any) -> Any:
        return {**getattr(value, name), **generated(value)}

    return unstructure_with_extra


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(detailed_validation=True, forbid_extra_keys=False)
    for kind in (str, int, float, bool):
        conv.register_structure_hook(kind, strict(kind))
    conv.register_unstructure_hook(enum.StrEnum, str)
    conv.register_structure_hook(datetime, structure_datetime)
    conv.register_unstructure_hook(datetime, unstructure_datetime)
    conv.register_structure_hook(timedelta, lambda v, _: timedelta(seconds=seconds(v)))
    conv.register_unstructure_hook(timedelta, lambda v: whole(v.total_seconds()))
    conv.register_structure_hook(Decimal, structure_decimal)
    conv.register_unstructure_hook(Decimal, unstructure_decimal)
    factories: list[tuple[Callable[[Any], bool], Callable[[Any], Any]]] = [
        (_is_tuple, _collection_factory(conv, list, tuple, homogenous_tuple_structure_factory)),
        (lambda tp: get_origin(tp) is list, _collection_factory(conv, list, list, list_factory)),
        (lambda tp: get_origin(tp) is dict, _collection_factory(conv, dict, dict, dict_factory)),
        (lambda tp: _optional_of(tp) is not None, lambda tp: _optional_hook(conv, tp)),
        (lambda tp: _open_enum_kind(tp) is not None, _open_enum_hook),
        (
            lambda tp: _array_or_record(tp) is not None,
            lambda tp: _array_or_record_hook(conv, tp),
        ),
        (lambda tp: _record_or_str(tp) is not None, lambda tp: _record_or_str_hook(conv, tp)),
        (attrs.has, lambda cls: _record_structure_hook(conv, cls)),
    ]
    for predicate, factory in factories:
        conv.register_structure_hook_factory(predicate, factory)
    conv.register_unstructure_hook_factory(
        attrs.has, lambda cls: _record_unstructure_hook(conv, cls)
    )
    return conv


#: The converter: every record's hooks are generated once, on first use, and kept.
_CONVERTER: Final = _make_converter()


def structure(data: Any, tp: type[T] | Any) -> T:
    """Structure JSON data into `tp`; raise `StructureFailure` naming every bad path."""
    try:
        return _CONVERTER.structure(data, tp)  # type: ignore[no-any-return]
    except Exception as exc:
        messages = cattrs.transform_error(exc, format_exception=_describe)
        raise StructureFailure("; ".join(messages)) from exc


def unstructure(value: Any) -> Any:
    """Turn records (and collections of them) into JSON-ready data with wire names."""
    return _CONVERTER.unstructure(value)


def request_body(fields: dict[str, Any]) -> dict[str, Any]:
    """Build a JSON body from keyword arguments: camelCase keys, `UNSET` left out.

    `None` stays (it sends `null`, which clears a field); datetimes become Unix seconds,
    durations seconds, records their wire form.
    """
    return {
        _camel(name): unstructure(value)
        for name, value in fields.items()
        if not isinstance(value, Unset)
    }
