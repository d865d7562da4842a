"""`Record`, the base of the SDK's records: `to_dict()`, `to_json()` and short notebook cards.

`to_dict()` gives Python names and Python values (datetimes, Decimals, nested records as
dicts, tuples as lists): a list of records goes straight into `pandas.DataFrame`.
`to_json()` gives the wire form, as the API sends it (camelCase keys, Unix seconds), as
JSON text. In IPython and Jupyter a record shows as one short line (`_repr_pretty_`) or a
small card (`_repr_html_`), never the whole nested `repr`; `repr()` itself is unchanged.
"""

from __future__ import annotations

import html
import json
from datetime import datetime
from typing import Any, ClassVar, Protocol

import attr  # the classic namespace: its asdict turns tuples into lists
import attrs

from ._convert import unstructure

__all__ = ["Record", "card_html", "short"]

#: The longest text a card shows for one value.
_WIDTH = 60


class Printer(Protocol):
    """The part of IPython's pretty printer a `_repr_pretty_` uses."""

    def text(self, text: str) -> None:
        """Add `text` to the output."""


def short(value: Any) -> str:
    """Return a value as a card shows it: dates as dates, collections by their size."""
    if isinstance(value, datetime):
        return (
            value.strftime("%Y-%m-%d %H:%M") if value.hour or value.minute else f"{value:%Y-%m-%d}"
        )
    if isinstance(value, tuple | list | dict | set | frozenset):
        return f"{len(value)} item{'s' * (len(value) != 1)}"
    if attrs.has(type(value)):
        return getattr(value, "name", None) or getattr(value, "id", None) or type(value).__name__
    text = str(value)
    return text if len(text) <= _WIDTH else text[: _WIDTH - 1] + "…"


def card_html(title: str, rows: list[tuple[str, str]]) -> str:
    """Return a small HTML card: a title and name/value rows, every text escaped."""
    cells = "".join(
        f"<tr><th style='text-align:left;padding-right:1em'>{html.escape(k)}</th>"
        f"<td>{html.escape(v)}</td></tr>"
        for k, v in rows
    )
    return f"<div><b>{html.escape(title)}</b><table>{cells}</table></div>"


class Record:
    """What every record of the SDK can do besides holding its fields (see the module doc)."""

    __slots__ = ()
    #: The fields a card shows after the name and id (the others are a `repr` away).
    _card: ClassVar[tuple[str, ...]] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the fields by their Python names, with Python values (nested: dicts)."""
        return attr.asdict(self, retain_collection_types=False)  # type: ignore[arg-type]

    def to_json(self) -> str:
        """Return the record in its wire form, as the API sends it, as JSON text."""
        return json.dumps(unstructure(self))

    def _rows(self) -> list[tuple[str, str]]:
        rows = [("id", str(getattr(self, "id", None)))] if getattr(self, "id", None) else []
        for name in self._card:
            value = getattr(self, name)
            if value not in (None, (), {}, ""):
                rows.append((name, short(value)))
        return rows

    def _title(self) -> str:
        name = getattr(self, "name", None)
        return f"{type(self).__name__} {short(name)!r}" if name else type(self).__name__

    def _repr_pretty_(self, printer: Printer, cycle: bool) -> None:
        details = ", ".join(f"{k}={v}" for k, v in self._rows())
        printer.text(f"{self._title()} ({details})" if details else self._title())

    def _repr_html_(self) -> str:
        return card_html(self._title(), self._rows())
