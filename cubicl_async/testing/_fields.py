"""Request bodies as tables: each field's JSON types and rule, and the kinds areas share.

An endpoint reads its body through a `Body`: a table of field name -> `Field`, checked
in order. A `Field` names the JSON types it takes and the phrase of its 400
(``"<field> must be <expected>"``); a further check and a conversion to the stored value
are optional. The tables are data, so the contract tests generate their wrong-type cases
from them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

from ._http import ApiError

#: The JSON type names a `Field` takes (``integer`` is a number without a fraction).
NULL, BOOLEAN, INTEGER, NUMBER, STRING, ARRAY, OBJECT = (
    "null",
    "boolean",
    "integer",
    "number",
    "string",
    "array",
    "object",
)
JSON_TYPES = (NULL, BOOLEAN, INTEGER, NUMBER, STRING, ARRAY, OBJECT)

#: The JSON type of each Python type ``json.loads`` returns.
_TYPE_OF: dict[type, str] = {
    type(None): NULL,
    bool: BOOLEAN,
    int: INTEGER,
    float: NUMBER,
    str: STRING,
    list: ARRAY,
    dict: OBJECT,
}


def fail(key: str, expected: str) -> NoReturn:
    """Answer 400: ``<key> must be <expected>``."""
    raise ApiError(400, f"{key} must be {expected}")


@dataclass(frozen=True)
class Field:
    """How one body field is read (see the module docstring)."""

    #: What the 400 says the value must be: ``"a boolean or null"``.
    expected: str
    #: The JSON types taken (`JSON_TYPES`); any other type gets the 400.
    types: frozenset[str]
    #: A further check of a value that is not null (same 400 when it fails); None: none.
    valid: Callable[[Any], bool] | None = None
    #: The value to store, from ``(key, value)``; may answer its own 400 (`fail`).
    #: None: the value as sent.
    convert: Callable[[str, Any], Any] | None = None
    #: A value it takes, for the generated tests, when a value of each JSON type will not
    #: do (an enumeration such as ``"receivable"``); None: one of those does.
    example: Any = None

    def parse(self, key: str, value: Any) -> Any:
        """Check ``value`` (400 naming ``key``) and return the value to store."""
        if _TYPE_OF[type(value)] not in self.types or (
            value is not None and self.valid is not None and not self.valid(value)
        ):
            fail(key, self.expected)
        return value if self.convert is None else self.convert(key, value)


def kind(
    expected: str,
    *types: str,
    valid: Callable[[Any], bool] | None = None,
    convert: Callable[[str, Any], Any] | None = None,
    example: Any = None,
) -> Field:
    """Build a `Field` taking ``types`` (a shorthand for the tables)."""
    return Field(expected, frozenset(types), valid, convert, example)


def one_of(*values: str) -> Field:
    """Build a `Field` taking one of these strings (never null): ``'a' or 'b'``."""
    names = [repr(value) for value in values]
    expected = " or ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else names[0]
    return kind(expected, STRING, valid=lambda value: value in values, example=values[0])


@dataclass(frozen=True)
class Body:
    """An endpoint's JSON object body: its fields in the order they are checked."""

    #: Field name (as sent) -> how to read it; keys not listed are ignored.
    fields: Mapping[str, Field]
    #: Fields that must be sent: a missing one gets the field's 400.
    required: frozenset[str] = field(default_factory=frozenset)
    #: Whether a null counts as not sent (so a required field sent as null is missing).
    null_is_absent: bool = False
    #: A check of the whole body (rules on several keys), run before the fields.
    check: Callable[[Mapping[str, Any]], None] | None = None

    def parse(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Return the parsed fields that were sent, keyed as sent (400 for a bad one)."""
        if self.check is not None:
            self.check(body)
        found: dict[str, Any] = {}
        for key, reader in self.fields.items():
            if key in body and not (self.null_is_absent and body[key] is None):
                found[key] = reader.parse(key, body[key])
            elif key in self.required:
                fail(key, reader.expected)
        return found


def is_number(value: Any) -> bool:
    """Tell whether a JSON value is a finite number (``true`` is not one)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def non_empty(value: str) -> bool:
    """Tell whether a string is not empty (a `Field` check: ids, names)."""
    return value != ""


def non_empty_strings(value: list[Any]) -> bool:
    """Tell whether every item of an array is a non-empty string (a `Field` check: ids)."""
    return all(isinstance(item, str) and item != "" for item in value)


def _unique(key: str, value: list[str] | None) -> list[str]:
    return [] if value is None else list(dict.fromkeys(value))


def _all_strings(value: list[Any]) -> bool:
    return all(isinstance(item, str) for item in value)


def _finite(value: float) -> bool:
    return math.isfinite(value)


def _text(key: str, value: str | None) -> str:
    return "" if value is None else value


def _flag(key: str, value: bool | None) -> bool:
    return bool(value)


def _id_or_none(key: str, value: str | None) -> str | None:
    return value or None


#: A non-empty string: names and required ids.
NAME = kind("a non-empty string", STRING, valid=non_empty)
#: A string; null clears it to "".
TEXT = kind("a string or null", STRING, NULL, convert=_text)
#: A string or null, kept as sent.
OPTIONAL_TEXT = kind("a string or null", STRING, NULL)
#: A boolean; null clears it to false.
FLAG = kind("a boolean or null", BOOLEAN, NULL, convert=_flag)
#: A boolean or null, kept as sent (null: absent).
OPTIONAL_FLAG = kind("a boolean or null", BOOLEAN, NULL)
#: A boolean, never null.
BOOLEAN_ONLY = kind("a boolean", BOOLEAN)
#: Unix seconds (integer or float, as sent), or null.
DATE = kind("a number (Unix seconds) or null", INTEGER, NUMBER, NULL, valid=_finite)
#: An array of strings, repeats dropped; null clears it to [].
STRINGS = kind("an array of strings or null", ARRAY, NULL, valid=_all_strings, convert=_unique)
#: An id; null or "" clears it to null.
OPTIONAL_ID = kind("an id (a string) or null", STRING, NULL, convert=_id_or_none)
#: Any JSON object, or null.
ANY_OBJECT = kind("an object or null", OBJECT, NULL)
