"""The export's SQLite tables: one per record type, typed columns, each record's raw JSON."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from .._convert import unstructure

__all__ = ["TABLES", "Column", "Table", "dumps"]

Getter = Callable[[Any], Any]


def dumps(data: Any) -> str:
    """Return compact JSON text (the `json` column, and a JSON Lines line)."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def _when(value: datetime | None) -> str | None:
    """Return a date as ISO 8601 text in UTC (`2026-01-31T09:30:00+00:00`), as SQLite reads it."""
    return None if value is None else value.isoformat()


def _money(value: Decimal | None) -> str | None:
    """Return an amount as TEXT, the exact decimal the SDK read (`"1200.50"` stays exact)."""
    return None if value is None else str(value)


def _ids(values: tuple[str, ...]) -> str:
    return dumps(list(values))


def _text(value: object) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class Column:
    """A typed column: its SQL type, and how its value is read from a record.

    `get=None` takes the value from the context of the upsert (what the record itself
    may not say: the task of an activity, the thread of a message, the owner of a node).
    """

    name: str
    sql: str
    get: Getter | None = None


def _col(name: str, sql: str = "TEXT", get: Getter | None = None) -> Column:
    """Make a column of the record's attribute `name` (as text), unless `get` says otherwise."""
    if get is None:
        return Column(name, sql, lambda record: _text(getattr(record, name)))
    return Column(name, sql, get)


def _date(name: str) -> Column:
    return Column(name, "TEXT", lambda record: _when(getattr(record, name)))


def _ctx(name: str, sql: str = "TEXT") -> Column:
    return Column(name, sql, None)


@dataclass(frozen=True)
class Table:
    """A record type's table: `id` (the primary key), typed columns, `json`, `export_pass`."""

    name: str
    columns: tuple[Column, ...]
    #: How the primary key is read (`None`: from the context, as `kind` of the totals).
    key: Getter | None = lambda record: record.id
    #: The raw JSON of a record (`unstructure(record)`, the wire form).
    json: Getter = unstructure
    #: What the key is called in a JSON Lines line when it comes from the context.
    key_name: str = "id"

    def row(self, record: Any, context: Mapping[str, Any]) -> tuple[Any, ...]:
        """Return the values of `id`, the columns, `json` (the last two added by the store)."""
        raw = dumps(self.json(record))
        key = context["id"] if self.key is None else self.key(record)
        if key is None:  # the docs list no id for bookkeeping records: a stable one from the data
            key = "sha1:" + hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()
        values = [c.get(record) if c.get is not None else context[c.name] for c in self.columns]
        return (key, *values, raw)


_NAMES = (_col("firstname"), _col("lastname"), _col("name"))

TABLES: dict[str, Table] = {
    table.name: table
    for table in (
        Table(
            "me",
            (
                *_NAMES,
                _col("org_name", get=lambda m: m.org.name),
                _col("org_admin", "INTEGER", lambda m: int(m.org.is_admin)),
            ),
        ),
        Table("users", (*_NAMES, _col("email"))),
        Table(
            "projects",
            (
                _col("name"),
                _col("parents", get=lambda p: _ids(p.parents)),
                _col("children", get=lambda p: _ids(p.children)),
            ),
        ),
        Table(
            "tasks",
            (
                _col("name"),
                _col("project"),
                _col("state"),
                _col("parent"),
                _col("customer", get=lambda t: t.customer.id if t.customer else None),
                _col("assigned_by"),
                _col("assignees", get=lambda t: _ids(t.assignees)),
                _col("priority", "INTEGER", lambda t: t.priority),
                _date("start"),
                _date("deadline"),
                _date("created_at"),
                _date("completed_at"),
                _date("archived_at"),
            ),
        ),
        Table(
            "task_activities",
            (_ctx("task"), _col("type"), _col("created_by"), _date("created_at"), _col("content")),
        ),
        Table(
            "customers",
            (_col("name"), _col("fullname"), _col("email"), _col("phone"), _date("created_at")),
        ),
        Table(
            "bookkeeping_entries",
            (
                _col("customer"),
                _col("type"),
                _col("name"),
                _col("currency"),
                _col("amount", get=lambda e: _money(e.amount)),
                _col("paid_amount", get=lambda e: _money(e.paid_amount)),
                _col("is_paid", "INTEGER", lambda e: int(e.is_paid)),
                _date("due_at"),
                _col("created_by"),
                _date("created_at"),
            ),
        ),
        Table(
            "bookkeeping_activities",
            (
                _col("customer"),
                _col("entry"),
                _col("payment"),
                _col("type"),
                _col("amount", get=lambda a: _money(a.data.amount)),
                _col("currency", get=lambda a: _text(a.data.currency)),
                _col("created_by"),
                _date("created_at"),
            ),
        ),
        Table(
            "bookkeeping_totals",
            (
                _col("currency"),
                _col("total", get=lambda t: _money(t.total)),
                _col("outstanding", get=lambda t: _money(t.outstanding)),
                _col("overdue", get=lambda t: _money(t.overdue)),
            ),
            key=None,
            key_name="kind",
        ),
        Table(
            "chat_threads",
            (
                _col("type"),
                _col("project"),
                _col("name"),
                _col("users", get=lambda t: _ids(t.users)),
                _date("activity"),
                _date("created_at"),
            ),
        ),
        Table(
            "chat_messages",
            (
                _ctx("thread"),
                _col("sender"),
                _col("content"),
                _col("reply_to"),
                _date("created_at"),
            ),
        ),
        Table(
            "webhooks",
            (_col("type"), _col("url"), _col("project"), _col("user"), _date("created_at")),
        ),
        Table(
            "file_nodes",
            (
                _ctx("owner_type"),
                _ctx("owner"),
                _col("parent"),
                _col("type"),
                _col("name", get=lambda n: n.display_name),
                _ctx("path"),
                _col("file_id", get=lambda n: n.file.id if n.file else None),
                _date("created_at"),
            ),
        ),
    )
}
