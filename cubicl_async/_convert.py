"""The one cattrs converter that turns the API's JSON into records and back, and `UNSET`.

Rules, applied to every attrs record (built once, at import):

- Wire names: `id` is `_id`; other attributes are the camelCase of their snake_case name,
  unless the field's metadata names its wire key (`attrs.field(metadata={"wire": ...})`).
- The API is sparse: a missing key takes the attribute's default; unknown keys are ignored.
- Scalars are strict: `"1"` is not an int, `1` is not a str, `0` is not a bool.
- A `null` where a collection is expected reads as an empty collection.
- `datetime` travels as Unix seconds (int or float) and is always aware UTC; `timedelta`
  travels as seconds.
- A field typed `SomeStrEnum | str` keeps unknown values as plain strings.
- A field typed `tuple[Item, ...] | Record | None` takes the tuple for a JSON array and
  the record for a JSON object (the API's `steps`: a checklist or a progress bar).
- A field marked `attrs.field(metadata={"extra": True})` receives, as raw JSON, every key
  the record does not know (for shapes the API docs do not capture), and gives them back
  when unstructured.
- Unstructuring omits attributes that still hold their default, so sparse stays sparse.

Structuring runs a converter without detailed validation (fast); only when it fails is
the payload structured again by a twin with detailed validation, for readable paths.
"""

from __future__ import annotations

import enum
import re
import types
import typing
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeVar, get_args, get_origin

import attrs
import cattrs
from cattrs.cols import homogenous_tuple_structure_factory, mapping_structure_factory
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

__all__ = [
    "UNSET",
    "StructureFailure",
    "Unset",
    "request_body",
    "structure",
    "unstructure",
    "wire_name",
]

T = TypeVar("T")


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


def wire_name(field: attrs.Attribute[Any]) -> str:
    """Return the JSON key of a record attribute."""
    explicit = field.metadata.get("wire")
    if explicit is not None:
        return str(explicit)
    return _camel(field.name)


def _camel(name: str) -> str:
    return "_id" if name == "id" else re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)


def _strict(kind: type) -> Callable[[Any, Any], Any]:
    """Build a hook accepting exactly `kind` (and int for float); bool is never a number."""
    if kind is float:

        def structure_float(value: Any, _: Any) -> float:
            if type(value) is float:
                return value
            if type(value) is int:
                return float(value)
            raise TypeError(f"expected a number, got {type(value).__name__}")

        return structure_float

    def structure_exact(value: Any, _: Any) -> Any:
        if type(value) is kind:
            return value
        raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")

    return structure_exact


def _seconds(value: Any) -> float:
    if type(value) is int or type(value) is float:
        return value
    raise TypeError(f"expected seconds as a number, got {type(value).__name__}")


def _structure_datetime(value: Any, _: Any) -> datetime:
    return datetime.fromtimestamp(_seconds(value), UTC)


def _unstructure_datetime(value: datetime) -> int | float:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: give it a timezone (e.g. UTC)")
    return _whole(value.timestamp())


def _whole(seconds: float) -> int | float:
    return int(seconds) if seconds == int(seconds) else seconds


def _open_enum_kind(tp: Any) -> type[enum.StrEnum] | None:
    """Return E for `E | str` or `E | str | None` with E a `StrEnum`, else `None`."""
    if get_origin(tp) not in (typing.Union, types.UnionType):
        return None
    args = set(get_args(tp)) - {type(None)}
    if len(args) != 2 or str not in args:
        return None
    (kind,) = args - {str}
    return kind if isinstance(kind, type) and issubclass(kind, enum.StrEnum) else None


def _open_enum_hook(tp: Any) -> Callable[[Any, Any], Any]:
    members = typing.cast(type[enum.StrEnum], _open_enum_kind(tp))._value2member_map_
    nullable = type(None) in get_args(tp)

    def structure_open_enum(value: Any, _: Any) -> Any:
        if isinstance(value, str):
            return members.get(value, value)
        if value is None and nullable:
            return None
        raise TypeError(f"expected str, got {type(value).__name__}")

    return structure_open_enum


def _is_tuple(tp: Any) -> bool:
    args = get_args(tp)
    return get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis


def _is_dict(tp: Any) -> bool:
    return get_origin(tp) is dict


def _null_is_empty(
    expected: type, empty: Any, inner: Callable[[Any, Any], Any]
) -> Callable[[Any, Any], Any]:
    """Wrap a collection hook: `null` reads as empty, and a wrong container type raises."""

    def structure_collection(value: Any, tp: Any) -> Any:
        if value is None:
            return empty
        if not isinstance(value, expected):
            raise TypeError(f"expected {expected.__name__}, got {type(value).__name__}")
        return inner(value, tp)

    return structure_collection


def _array_or_record(tp: Any) -> tuple[Any, Any] | None:
    """Return (tuple type, record type) for `tuple[X, ...] | Record [| None]`, else None."""
    if get_origin(tp) not in (typing.Union, types.UnionType):
        return None
    args = [a for a in get_args(tp) if a is not type(None)]
    arrays = [a for a in args if _is_tuple(a)]
    records = [a for a in args if attrs.has(a)]
    if len(args) == 2 and len(arrays) == 1 and len(records) == 1:
        return arrays[0], records[0]
    return None


def _array_or_record_hook(conv: cattrs.Converter, tp: Any) -> Callable[[Any, Any], Any]:
    array, record = typing.cast(tuple[Any, Any], _array_or_record(tp))
    nullable = type(None) in get_args(tp)

    def structure_array_or_record(value: Any, _: Any) -> Any:
        if isinstance(value, list):
            return conv.structure(value, array)
        if isinstance(value, dict):
            return conv.structure(value, record)
        if value is None and nullable:
            return None
        raise TypeError(f"expected a list or an object, got {type(value).__name__}")

    return structure_array_or_record


#: The key under which a record's unknown keys reach its `extra` field while structuring.
_EXTRA_KEY = "\x00extra"


def _record_hooks(
    conv: cattrs.Converter,
) -> tuple[Callable[[type], Callable[..., Any]], Callable[[type], Callable[..., Any]]]:
    """Return the structure and unstructure hook factories of attrs records."""

    def renames(cls: type) -> dict[str, Any]:
        return {
            f.name: override(rename=_EXTRA_KEY if f.metadata.get("extra") else wire_name(f))
            for f in attrs.fields(cls)
            if f.metadata.get("extra") or wire_name(f) != f.name
        }

    def extra_field(cls: type) -> attrs.Attribute[Any] | None:
        return next((f for f in attrs.fields(cls) if f.metadata.get("extra")), None)

    def structure_factory(cls: type) -> Callable[..., Any]:
        if not conv.detailed_validation:
            return _compile_record(conv, cls)
        base: Callable[..., Any] = make_dict_structure_fn(cls, conv, **renames(cls))
        extra = extra_field(cls)
        if extra is None:
            return base
        known = {wire_name(f) for f in attrs.fields(cls) if f is not extra}

        def structure_with_extra(data: Any, tp: Any) -> Any:
            if isinstance(data, dict):
                data = {**data, _EXTRA_KEY: {k: v for k, v in data.items() if k not in known}}
            return base(data, tp)

        return structure_with_extra

    def unstructure_factory(cls: type) -> Callable[..., Any]:
        extra = extra_field(cls)
        overrides = renames(cls)
        if extra is not None:
            overrides[extra.name] = override(omit=True)
        base: Callable[..., Any] = make_dict_unstructure_fn(
            cls, conv, _cattrs_omit_if_default=True, **overrides
        )
        if extra is None:
            return base
        name = extra.name

        def unstructure_with_extra(value: Any) -> Any:
            return {**getattr(value, name), **base(value)}

        return unstructure_with_extra

    return structure_factory, unstructure_factory


def _optional_of(tp: Any) -> Any:
    """Return T for `T | None` (T not itself a union handled elsewhere), else None."""
    if get_origin(tp) not in (typing.Union, types.UnionType):
        return None
    args = get_args(tp)
    if len(args) != 2 or type(None) not in args:
        return None
    (inner,) = (a for a in args if a is not type(None))
    return inner


_INLINE = {str: "str", int: "int", bool: "bool"}


def _field_code(
    conv: cattrs.Converter, scope: dict[str, Any], i: str, kind: Any, indent: str
) -> list[str]:
    """Return the lines that check and convert `v{i}` (already read) into `kind`.

    Inlined: strict scalars, timestamps, open enums, string maps of strings, string
    tuples, tuples of records, array-or-record choices, and the optional forms of these
    and of records; anything else calls its hook, found once.
    """
    var, optional = f"v{i}", _optional_of(kind)
    lines = []
    choice = _array_or_record(kind)
    if choice is not None:  # a JSON array or a JSON object, e.g. a checklist or a progress bar
        array_item, record = get_args(choice[0])[0], choice[1]
        scope[f"ha{i}"], scope[f"ta{i}"] = conv.get_structure_hook(array_item), array_item
        scope[f"hr{i}"], scope[f"tr{i}"] = conv.get_structure_hook(record), record
        lines += [f"{indent}if {var} is not None:"] if type(None) in get_args(kind) else []
        inner = indent + "  " if lines else indent
        return [
            *lines,
            f"{inner}if {var}.__class__ is list:",
            f"{inner}  {var} = tuple([ha{i}(x, ta{i}) for x in {var}])",
            f"{inner}elif {var}.__class__ is dict:",
            f"{inner}  {var} = hr{i}({var}, tr{i})",
            f"{inner}else:",
            f"{inner}  raise TypeError('expected a list or an object')",
        ]
    if optional is not None and _open_enum_kind(kind) is None:
        lines.append(f"{indent}if {var} is not None:")
        indent, kind = indent + "  ", optional
    if kind in _INLINE:
        name = _INLINE[kind]
        return [
            *lines,
            f"{indent}if {var}.__class__ is not {name}:",
            f"{indent}  raise TypeError('expected {name}')",
        ]
    enum_kind = _open_enum_kind(kind)
    if enum_kind is not None:  # known values become members, others stay strings
        scope[f"members{i}"] = enum_kind._value2member_map_
        none_ok = f"{var} is not None and " if type(None) in get_args(kind) else ""
        return [
            *lines,
            f"{indent}if {none_ok}{var}.__class__ is not str:",
            f"{indent}  raise TypeError('expected str')",
            f"{indent}{var} = members{i}.get({var}, {var})",
        ]
    if (
        get_origin(kind) is dict
        and get_args(kind)[0] is str
        and get_args(kind)[1]
        in (
            str,
            str | None,
        )
    ):  # string-keyed maps of strings (custom fields): checked in place, not copied
        none_ok = "x is not None and " if get_args(kind)[1] is not str else ""
        return [
            *lines,
            f"{indent}if {var} is None:",
            f"{indent}  {var} = {{}}",
            f"{indent}elif {var}.__class__ is not dict:",
            f"{indent}  raise TypeError('expected an object')",
            f"{indent}else:",
            f"{indent}  for k, x in {var}.items():",
            f"{indent}    if k.__class__ is not str or ({none_ok}x.__class__ is not str):",
            f"{indent}      raise TypeError('expected an object of str')",
        ]
    if kind is datetime:
        scope["from_seconds"], scope["UTC"] = datetime.fromtimestamp, UTC
        return [
            *lines,
            f"{indent}if {var}.__class__ is not int and {var}.__class__ is not float:",
            f"{indent}  raise TypeError('expected seconds')",
            f"{indent}{var} = from_seconds({var}, UTC)",
        ]
    if _is_tuple(kind):
        item = get_args(kind)[0]
        lines += [
            f"{indent}if {var} is None:",
            f"{indent}  {var} = ()",
            f"{indent}elif {var}.__class__ is not list:",
            f"{indent}  raise TypeError('expected a list')",
        ]
        if item is str:
            return [
                *lines,
                f"{indent}else:",
                f"{indent}  for x in {var}:",
                f"{indent}    if x.__class__ is not str:",
                f"{indent}      raise TypeError('expected a list of str')",
                f"{indent}  {var} = tuple({var})",
            ]
        scope[f"h{i}"], scope[f"t{i}"] = conv.get_structure_hook(item), item
        return [
            *lines,
            f"{indent}else:",
            f"{indent}  {var} = tuple([h{i}(x, t{i}) for x in {var}])",
        ]
    scope[f"h{i}"], scope[f"t{i}"] = conv.get_structure_hook(kind), kind
    return [*lines, f"{indent}{var} = h{i}({var}, t{i})"]


def _compile_record(conv: cattrs.Converter, cls: type) -> Callable[..., Any]:
    """Generate the fast structure function of an attrs record, once per class.

    cattrs' generated code calls a hook per field and collects a dict for `cls(**res)`;
    here the checks are inlined (see `_field_code`), the other hooks are looked up once,
    and the keywords go straight to the class. Any failure is diagnosed again by the
    detailed twin, so the messages here stay short.
    """
    attrs.resolve_types(cls)  # annotations are strings under `from __future__ import annotations`
    scope: dict[str, Any] = {"cls": cls, "TypeError": TypeError}
    lines = [
        "def structure_record(o, _=None):",
        "  if o.__class__ is not dict:",
        f"    raise TypeError('expected an object for {cls.__name__}')",
    ]
    arguments = []
    for i, field in enumerate(attrs.fields(cls)):
        var = f"v{i}"
        arguments.append(f"{field.name}={var}")
        if field.metadata.get("extra"):
            known = frozenset(wire_name(f) for f in attrs.fields(cls) if f is not field)
            scope[f"known{i}"] = known
            lines.append(f"  {var} = {{k: v for k, v in o.items() if k not in known{i}}}")
            continue
        key, indent = wire_name(field), "  "
        if field.default is attrs.NOTHING:
            lines.append(f"  {var} = o[{key!r}]")
        else:
            default = field.default
            factory = isinstance(default, attrs.Factory)  # type: ignore[arg-type]
            scope[f"d{i}"] = default.factory if factory else default
            lines += [f"  if {key!r} not in o:", f"    {var} = d{i}{'()' if factory else ''}"]
            lines += ["  else:", f"    {var} = o[{key!r}]"]
            indent = "    "
        lines += _field_code(conv, scope, f"{i}", field.type, indent)
    lines.append(f"  return cls({', '.join(arguments)})")
    source = "\n".join(lines)
    exec(compile(source, f"<cubicl_async structure {cls.__name__}>", "exec"), scope)  # noqa: S102 - our own code, generated from the record's fields
    hook: Callable[..., Any] = scope["structure_record"]
    return hook


def _make_converter(*, detailed: bool) -> cattrs.Converter:
    conv = cattrs.Converter(detailed_validation=detailed, forbid_extra_keys=False)
    for kind in (str, int, float, bool):
        conv.register_structure_hook(kind, _strict(kind))
    conv.register_unstructure_hook(enum.StrEnum, str)
    conv.register_structure_hook(datetime, _structure_datetime)
    conv.register_unstructure_hook(datetime, _unstructure_datetime)
    conv.register_structure_hook(timedelta, lambda v, _: timedelta(seconds=_seconds(v)))
    conv.register_unstructure_hook(timedelta, lambda v: _whole(v.total_seconds()))
    conv.register_structure_hook_factory(
        lambda tp: _open_enum_kind(tp) is not None, _open_enum_hook
    )
    conv.register_structure_hook_factory(
        _is_tuple,
        lambda tp: _null_is_empty(list, (), homogenous_tuple_structure_factory(tp, conv)),
    )
    conv.register_structure_hook_factory(
        _is_dict, lambda tp: _null_is_empty(dict, {}, mapping_structure_factory(tp, conv))
    )
    conv.register_structure_hook_factory(
        lambda tp: _array_or_record(tp) is not None, lambda tp: _array_or_record_hook(conv, tp)
    )
    structure_factory, unstructure_factory = _record_hooks(conv)
    conv.register_structure_hook_factory(attrs.has, structure_factory)
    conv.register_unstructure_hook_factory(attrs.has, unstructure_factory)
    return conv


_fast = _make_converter(detailed=False)
_detailed = _make_converter(detailed=True)


def structure(data: Any, tp: type[T] | Any) -> T:
    """Structure JSON data into `tp`; raise `StructureFailure` naming every bad path."""
    try:
        return _fast.structure(data, tp)  # type: ignore[no-any-return]
    except Exception:  # noqa: S110 - any failure is diagnosed again, with paths, just below
        pass
    try:
        return _detailed.structure(data, tp)  # type: ignore[no-any-return]
    except Exception as exc:
        raise StructureFailure("; ".join(cattrs.transform_error(exc))) from exc


def unstructure(value: Any) -> Any:
    """Turn records (and collections of them) into JSON-ready data with wire names."""
    return _fast.unstructure(value)


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
