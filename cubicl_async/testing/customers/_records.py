"""The Customers area's records: the organization's clients (so far only ``_id`` and ``name``)."""

from __future__ import annotations

from typing import Any

from .._store import Store


class Customers:
    """The clients of the organization (``emu.customers``); tasks embed them.

    The seeding helpers are `add` and `get`; they raise ValueError for unknown ids.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._clients: dict[str, dict[str, Any]] = {}

    def add(self, name: str, *, id: str | None = None) -> str:
        """Add a client and return its id."""
        client_id = self._store.new_id(id)
        self._clients[client_id] = {"_id": client_id, "name": name}
        return client_id

    def get(self, client_id: str) -> dict[str, Any]:
        """Return a copy of a client: ``{"_id", "name"}``, also the form tasks embed."""
        if client_id not in self._clients:
            raise ValueError(f"unknown client {client_id!r}")
        return dict(self._clients[client_id])

    def has(self, client_id: str) -> bool:
        """Tell whether a client with this id exists."""
        return client_id in self._clients
