"""Paging without scanning: records in order by sequence number, resume points, sorted runs.

A list endpoint's page costs what it returns plus an index step (see docs/emulator.md,
Paging): `Ordered` keeps an area's record ids in creation order, overall and per key
(a task's project), and yields them from any sequence number after a bisection;
`Resume` remembers, per listing, how many matches lie before a sequence number, so that
the next page of a ``skip``/``limit`` listing resumes there (`page`); `Sorted` keeps
records sorted by a key (chat messages by when they were sent) for cursors.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Any, Generic, TypeVar

R = TypeVar("R")


class _Run:
    """Record ids with their ascending sequence numbers, in two parallel lists."""

    __slots__ = ("ids", "seqs")

    def __init__(self) -> None:
        self.seqs: list[int] = []
        self.ids: list[str] = []

    def add(self, seq: int, record_id: str) -> None:
        """Put a record in its place (at the end, unless it is an older one moved here)."""
        at = len(self.seqs) if not self.seqs or seq > self.seqs[-1] else bisect_left(self.seqs, seq)
        self.seqs.insert(at, seq)
        self.ids.insert(at, record_id)

    def remove(self, seq: int) -> None:
        """Take the record of ``seq`` out."""
        at = bisect_left(self.seqs, seq)
        del self.seqs[at], self.ids[at]

    def since(self, seq: int) -> Iterator[tuple[int, str]]:
        """Yield ``(seq, id)`` from the first record at or after ``seq``, in order."""
        seqs, ids = self.seqs, self.ids
        at = bisect_left(seqs, seq)
        while at < len(seqs):
            yield seqs[at], ids[at]
            at += 1


class Ordered:
    """An area's record ids in creation order, overall and per key (a task's project).

    Each record gets the next sequence number when added; `since` yields the records
    from a sequence number on after a bisection (O(log n)), merging the runs of several
    keys by sequence number. Removing a record costs a bisection and a list deletion.
    """

    def __init__(self) -> None:
        self._next = 0
        self._all = _Run()
        self._keys: dict[str, _Run] = {}
        #: Per record id: its sequence number and key.
        self._where: dict[str, tuple[int, str]] = {}

    def add(self, record_id: str, key: str = "") -> None:
        """Add a record after every other one, under ``key``."""
        self._next += 1
        self._where[record_id] = (self._next, key)
        self._all.add(self._next, record_id)
        self._keys.setdefault(key, _Run()).add(self._next, record_id)

    def remove(self, record_id: str) -> None:
        """Take a record out (it must be held)."""
        seq, key = self._where.pop(record_id)
        self._all.remove(seq)
        self._keys[key].remove(seq)

    def rekey(self, record_id: str, key: str) -> None:
        """Move a record under another key; it keeps its place in the order."""
        seq, old = self._where[record_id]
        if old != key:
            self._keys[old].remove(seq)
            self._keys.setdefault(key, _Run()).add(seq, record_id)
            self._where[record_id] = (seq, key)

    def since(self, seq: int, keys: Iterable[str] | None = None) -> Iterator[tuple[int, str]]:
        """Yield ``(seq, id)`` in order from ``seq`` on: every record, or those of ``keys``."""
        if keys is None:
            return self._all.since(seq)
        runs = [self._keys[key].since(seq) for key in dict.fromkeys(keys) if key in self._keys]
        return runs[0] if len(runs) == 1 else heapq.merge(*runs)


class Resume:
    """Where the next pages of recent ``skip``/``limit`` listings start (`page` uses it).

    Per listing (a key: the caller and the query without ``skip`` and ``limit``), marks
    ``matched -> seq``: exactly ``matched`` records of the listing lie before sequence
    number ``seq``. A page at ``skip`` resumes at the greatest mark of at most ``skip``.
    Marks hold until `forget`, which the area calls on every write that may change a
    listing's records or their order (its version: `version` counts them). At most
    `size` listings are kept, the least recently used going first.
    """

    def __init__(self, size: int = 64, marks: int = 4096) -> None:
        self.size = size
        #: The most marks one listing keeps (a page's end is not noted past them).
        self.marks = marks
        #: How many times the marks were forgotten: the store's version for the listings.
        self.version = 0
        self._listings: OrderedDict[Hashable, tuple[list[int], dict[int, int]]] = OrderedDict()

    def forget(self) -> None:
        """Forget every mark: the records or their order may have changed."""
        self.version += 1
        self._listings.clear()

    def start(self, key: Hashable, skip: int) -> tuple[int, int]:
        """Return ``(seq, matched)``: resume at ``seq`` with ``matched <= skip`` passed."""
        found = self._listings.get(key)
        if found is None:
            return 0, 0
        self._listings.move_to_end(key)
        counts, seqs = found
        at = bisect_right(counts, skip)
        return (0, 0) if at == 0 else (seqs[counts[at - 1]], counts[at - 1])

    def note(self, key: Hashable, matched: int, seq: int) -> None:
        """Remember that ``matched`` records of the listing lie before ``seq``."""
        counts, seqs = self._listings.setdefault(key, ([], {}))
        self._listings.move_to_end(key)
        if matched in seqs:
            seqs[matched] = max(seqs[matched], seq)
        elif len(counts) < self.marks:
            counts.insert(bisect_left(counts, matched), matched)
            seqs[matched] = seq
        while len(self._listings) > self.size:
            self._listings.popitem(last=False)


def page(
    records: Callable[[int], Iterator[tuple[int, R]]],
    keep: Callable[[R], bool],
    resume: Resume,
    key: Hashable,
    skip: int,
    limit: int,
) -> list[R]:
    """Return the ``limit`` records ``keep`` takes from its ``skip``-th on, in order.

    ``records(seq)`` yields ``(seq, record)`` in order from ``seq`` on. The scan starts
    at the listing's mark for ``skip`` (`Resume`), and notes where it stopped, so that
    the next page (``skip + limit``) starts there.
    """
    cursor, matched = resume.start(key, skip)
    found: list[R] = []
    for seq, record in records(cursor):
        cursor = seq + 1
        if not keep(record):
            continue
        if matched < skip:
            matched += 1
            continue
        found.append(record)
        if len(found) == limit:
            break
    resume.note(key, matched + len(found), cursor)
    return found


#: A sort key: tuples compare item by item (chat: ``(createdAt, _id)``).
Key = tuple[Any, ...]


class Sorted(Generic[R]):
    """Records sorted by a unique key (chat messages by ``(createdAt, _id)``), for cursors.

    Adding costs a bisection and a list insertion; `before` and `after` start after a
    bisection, then yield one record a step.
    """

    def __init__(self, key: Callable[[R], Key]) -> None:
        self._key = key
        self._keys: list[Key] = []
        self._records: list[R] = []

    def add(self, record: R) -> None:
        """Put a record in its place."""
        key = self._key(record)
        at = bisect_right(self._keys, key)
        self._keys.insert(at, key)
        self._records.insert(at, record)

    def __iter__(self) -> Iterator[R]:
        """Yield every record, in order."""
        return iter(self._records)

    def last(self) -> R | None:
        """Return the greatest record, or None."""
        return self._records[-1] if self._records else None

    def before(self, key: Key | None = None) -> Iterator[R]:
        """Yield the records below ``key`` (None: every one), the greatest first."""
        at = len(self._keys) if key is None else bisect_left(self._keys, key)
        while at > 0:
            at -= 1
            yield self._records[at]

    def after(self, key: Key) -> Iterator[R]:
        """Yield the records above ``key``, the least first."""
        at = bisect_right(self._keys, key)
        while at < len(self._records):
            yield self._records[at]
            at += 1
