"""What every area shares: the organization's name and id, the id counter, the clock, helpers."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from typing import Any, TypeVar

R = TypeVar("R")

#: A subscriber to an area's events: ``listener(event, data)`` (see `Events`).
Listener = Callable[[str, Mapping[str, Any]], None]

#: The organization's id (records that name it: bookkeeping's ``org``); never a record's id.
ORG_ID = "0" * 24


class Store:
    """The state the areas share; each area keeps its own records (see `Emulator`).

    ``now`` gives the Unix time (seconds) of the dates the emulator sets.
    """

    def __init__(self, org_name: str, *, now: Callable[[], float]) -> None:
        #: The organization's name, also the name of its main project.
        self.org_name = org_name
        #: The organization's id: fixed, outside the counter (`ORG_ID`).
        self.org_id = ORG_ID
        #: The wall clock: Unix seconds.
        self.now = now
        self._counter = 0
        self._ids: set[str] = {ORG_ID}

    def new_id(self, wanted: str | None = None) -> str:
        """Return ``wanted`` if it is free, else the next free counter id (24 hex digits).

        One counter serves every record of every area; ids chosen with ``wanted`` are
        skipped by it. A taken ``wanted`` id raises ValueError.
        """
        if wanted is not None:
            if wanted in self._ids:
                raise ValueError(f"id {wanted!r} is already used")
            new = wanted
        else:
            new = ""
            while not new or new in self._ids:
                self._counter += 1
                new = f"{self._counter:024x}"
        self._ids.add(new)
        return new

    def timestamp(self) -> int:
        """Return the current Unix time in whole seconds, as the emulator's dates are sent."""
        return int(self.now())


class Events:
    """The subscribers to an area's events, told in the order they subscribed.

    An area publishes what its endpoints did (``"task-created"`` with the task, ...);
    another area subscribes without either importing the other (webhooks do).
    """

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(event, data)`` after each event published from now on."""
        self._listeners.append(listener)

    def publish(self, event: str, **data: Any) -> None:
        """Tell every subscriber that ``event`` happened, with its ``data``."""
        for listener in self._listeners:
            listener(event, data)


def ordered_copy(record: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """Return a deep copy of a record with ``keys`` first, in that order, other keys last."""
    return copy.deepcopy(in_order(record, keys))


def in_order(record: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """Return a record with ``keys`` first, in that order, other keys last (values shared)."""
    ordered = {key: record[key] for key in keys if key in record}
    ordered |= {key: value for key, value in record.items() if key not in ordered}
    return ordered


def known(records: Mapping[str, R], record_id: str, kind: str) -> R:
    """Return ``records[record_id]``, else raise the helpers' ValueError ``unknown <kind> <id>``."""
    if record_id not in records:
        raise ValueError(f"unknown {kind} {record_id!r}")
    return records[record_id]


def set_fields(
    record: MutableMapping[str, Any], fields: Mapping[str, Any], optional: frozenset[str]
) -> None:
    """Set wire-named fields of a stored record (copies); None removes an ``optional`` key."""
    for key, value in fields.items():
        if value is None and key in optional:
            record.pop(key, None)
        else:
            record[key] = copy.deepcopy(value)
