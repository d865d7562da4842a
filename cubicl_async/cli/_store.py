"""The export's working store: SQLite tables, and a pass's state committed with each page.

An export runs in passes. A pass's progress lives in two tables: `export_state` (one row
per listing stage: done, cursor, note) and `export_units` (one row per unit of fan-out
work: a task's activities, a thread's messages, a Files directory, a file's content).
Every batch (a page's records, the cursor that follows it, the units it adds) is one
transaction, so whatever stops an export leaves the store as it was after some page,
and the next run goes on from there. A pass that completes prunes the rows no longer
seen (`export_pass` older than its number); the next run starts a new pass.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ._tables import TABLES, Table, dumps

__all__ = ["Batch", "Store", "StoreError"]

SCHEMA_VERSION = "1"
FILENAME = "cubicl.sqlite"

_STATE = """
CREATE TABLE IF NOT EXISTS export_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS export_state (
    stage TEXT PRIMARY KEY, done INTEGER NOT NULL DEFAULT 0, cursor TEXT, note TEXT);
CREATE TABLE IF NOT EXISTS export_units (
    area TEXT NOT NULL, key TEXT NOT NULL, cursor TEXT, done INTEGER NOT NULL DEFAULT 0,
    note TEXT, PRIMARY KEY (area, key));
"""


class StoreError(Exception):
    """DEST cannot be used: not an export of this tool, or an unfinished one with other options."""


def _create(table: Table) -> str:
    columns = ", ".join(f"{c.name} {c.sql}" for c in table.columns)
    return (
        f"CREATE TABLE IF NOT EXISTS {table.name} (id TEXT PRIMARY KEY, {columns}, "
        "json TEXT NOT NULL, export_pass INTEGER NOT NULL)"
    )


def _upsert(table: Table) -> str:
    names = ["id", *(c.name for c in table.columns), "json", "export_pass"]
    updates = ", ".join(f"{n} = excluded.{n}" for n in names[1:])
    marks = ", ".join("?" for _ in names)
    return (
        f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks}) "  # noqa: S608 - our names
        f"ON CONFLICT (id) DO UPDATE SET {updates}"
    )


class Batch:
    """The writes of one transaction: records, a stage's cursor, units added or finished."""

    def __init__(self, db: sqlite3.Connection, pass_number: int) -> None:
        self._db = db
        self._pass = pass_number
        #: Keys of the units this batch added (not there before), by area.
        self.added: dict[str, list[str]] = {}

    def upsert(self, table: str, records: Iterable[Any], **context: Any) -> None:
        """Insert or replace records by id; `context` fills the columns the records lack."""
        spec = TABLES[table]
        rows = [(*spec.row(record, context), self._pass) for record in records]
        self._db.executemany(_upsert(spec), rows)

    def stage(self, stage: str, *, done: bool = False, cursor: str | None = None,
              note: str | None = None) -> None:  # fmt: skip
        """Set a listing stage's cursor (the next page's start), note, and whether it is done."""
        self._db.execute(
            "INSERT OR REPLACE INTO export_state (stage, done, cursor, note) VALUES (?, ?, ?, ?)",
            (stage, int(done), cursor, note),
        )

    def units(self, area: str, keys: Iterable[str]) -> list[str]:
        """Add pending units (those already known keep their state); return the new keys."""
        new = []
        for key in keys:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO export_units (area, key) VALUES (?, ?)", (area, key)
            )
            if cursor.rowcount:
                new.append(key)
        self.added.setdefault(area, []).extend(new)
        return new

    def unit(self, area: str, key: str, *, cursor: str | None = None, done: bool = True,
             note: str | None = None) -> None:  # fmt: skip
        """Record a unit's progress: its cursor, or that it is done (`note`: why it was skipped)."""
        self._db.execute(
            "UPDATE export_units SET cursor = ?, done = ?, note = ? WHERE area = ? AND key = ?",
            (cursor, int(done), note, area, key),
        )


class Store:
    """`DEST/cubicl.sqlite`: the exported records and the state of the current pass."""

    def __init__(self, dest: Path) -> None:
        dest.mkdir(parents=True, exist_ok=True)
        #: The database file.
        self.path = dest / FILENAME
        self._db = sqlite3.connect(self.path, isolation_level=None)
        try:
            self._db.execute("PRAGMA journal_mode = WAL")  # a commit is an append, not a rewrite
            self._db.execute("PRAGMA synchronous = NORMAL")  # durable across a crash of ours
            self._db.executescript(_STATE)
            self._check_version()
            with self.batch(0):
                for table in TABLES.values():
                    self._db.execute(_create(table))
                self._set("schema", SCHEMA_VERSION)
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise StoreError(f"{self.path} is not a cubicl export database: {exc}") from exc
        except BaseException:
            self._db.close()
            raise
        #: The number of the current pass (set by `open_pass`).
        self.pass_number = int(self.meta("pass") or 0)

    def _check_version(self) -> None:
        version = self.meta("schema")
        if version not in (None, SCHEMA_VERSION):
            raise StoreError(f"{self.path} is an export of another version ({version})")

    def close(self) -> None:
        """Close the database (what was committed stays)."""
        self._db.close()

    def meta(self, key: str) -> str | None:
        """Return a value of the export's metadata (`pass`, `status`, `options`, ...)."""
        row = self._db.execute("SELECT value FROM export_meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set(self, key: str, value: object) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO export_meta (key, value) VALUES (?, ?)", (key, str(value))
        )

    @contextmanager
    def batch(self, pass_number: int | None = None) -> Iterator[Batch]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield Batch(self._db, self.pass_number if pass_number is None else pass_number)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def open_pass(self, options: Mapping[str, Any], *, restart: bool = False) -> bool:
        """Resume the unfinished pass, or start a new one; return whether it resumes.

        An unfinished pass with other options is refused (`StoreError`) unless `restart`.
        """
        wanted = dumps(dict(options))
        if self.meta("status") == "running" and not restart:
            if self.meta("options") != wanted:
                raise StoreError(
                    f"{self.path.parent} holds an unfinished export with other options "
                    f"({self.meta('options')}): run it again with those, or add --restart"
                )
            return True
        with self.batch() as _:
            self._db.execute("DELETE FROM export_state")
            self._db.execute("DELETE FROM export_units")
            self.pass_number += 1
            self._set("pass", self.pass_number)
            self._set("status", "running")
            self._set("options", wanted)
            self._set("requests", 0)
        return False

    def add_requests(self, count: int) -> int:
        """Add a run's requests to the pass's total; return the total."""
        total = int(self.meta("requests") or 0) + count
        with self.batch():
            self._set("requests", total)
        return total

    def state(self, stage: str) -> tuple[bool, str | None, str | None]:
        """Return a stage's (done, cursor, note)."""
        row = self._db.execute(
            "SELECT done, cursor, note FROM export_state WHERE stage = ?", (stage,)
        ).fetchone()
        return (False, None, None) if row is None else (bool(row[0]), row[1], row[2])

    def pending(self, area: str) -> list[tuple[str, str | None]]:
        """Return the units of an area not done yet, (key, cursor), in the order they came."""
        rows = self._db.execute(
            "SELECT key, cursor FROM export_units WHERE area = ? AND done = 0 ORDER BY rowid",
            (area,),
        )
        return [(str(key), cursor) for key, cursor in rows]

    def skipped(self) -> dict[str, int]:
        """Return the units skipped in this pass (not found, not permitted), by area."""
        rows = self._db.execute(
            "SELECT area, COUNT(*) FROM export_units WHERE note IS NOT NULL GROUP BY area"
        )
        return {str(area): int(n) for area, n in rows}

    def value(self, sql: str, *args: Any) -> Any:
        """Return the first column of the first row of a query."""
        return self._db.execute(sql, args).fetchone()[0]

    def column(self, sql: str, *args: Any) -> list[Any]:
        """Return the first column of every row of a query."""
        return [row[0] for row in self._db.execute(sql, args)]

    def counts(self) -> dict[str, int]:
        """Return the rows of each table."""
        return {name: int(self.value(f"SELECT COUNT(*) FROM {name}")) for name in TABLES}  # noqa: S608 - our names

    def finish_pass(self) -> None:
        """Complete the pass: drop the rows it did not see again, mark it complete."""
        with self.batch():
            for name in TABLES:
                self._db.execute(f"DELETE FROM {name} WHERE export_pass < ?", (self.pass_number,))  # noqa: S608
            self._set("status", "complete")

    def write_jsonl(self, dest: Path) -> list[Path]:
        """Write `DEST/<table>.jsonl` from the store, each through a temporary file, renamed."""
        written = []
        for name, table in TABLES.items():
            final = dest / f"{name}.jsonl"
            partial = dest / f".{name}.jsonl.part"
            with partial.open("w", encoding="utf-8") as out:
                for key, raw in self._db.execute(f"SELECT id, json FROM {name} ORDER BY rowid"):  # noqa: S608
                    if table.key is None:
                        raw = dumps({table.key_name: key, **json.loads(raw)})
                    out.write(raw + "\n")
            os.replace(partial, final)
            written.append(final)
        return written
