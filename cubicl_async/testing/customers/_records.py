"""The Customers area's records: the organization's clients, their search and their deletion."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .._paging import Ordered, Resume
from .._store import Events, Listener, Store, known, ordered_copy, set_fields
from ..users import Users

#: A client's keys in the order answers follow (cubicl-api.md §7.5); unknown keys come last.
CLIENT_KEYS = (
    "_id",
    "name",
    "fullname",
    "email",
    "phone",
    "contacts",
    "customFields",
    "portalCustomerManagerIds",
    "createdAt",
)

#: Keys that are absent rather than null when unset: a None value removes them.
OPTIONAL_KEYS = frozenset({"fullname", "email", "phone"})


class Customers:
    """The clients of the organization (``emu.customers``); tasks embed them.

    The seeding helpers are `add`, `get`, `record` and `delete`; the rest is what the
    endpoints and the other areas read. They raise ValueError for unknown ids. Areas
    that keep data of a client subscribe to its deletion with `on_delete`; the endpoints
    publish ``client-created`` and ``client-deleted`` (`on_event`, for webhooks).
    """

    def __init__(self, store: Store, users: Users) -> None:
        self.store = store
        self.users = users
        self._clients: dict[str, dict[str, Any]] = {}
        self._on_delete: list[Callable[[str], None]] = []
        #: The client ids in creation order (see `since`).
        self._order = Ordered()
        #: Where the next pages of ``GET /crm/customers`` listings resume; forgotten on
        #: every change.
        self.resume = Resume()
        #: What the endpoints did: ``client-created``/``client-deleted``, with ``client``.
        self.events = Events()

    # Seeding helpers

    def add(self, /, name: str, *, id: str | None = None, **fields: Any) -> str:
        """Add a client and return its id.

        ``fields`` are wire-named client fields (``fullname``, ``email``, ``contacts``,
        ``customFields``, ...), stored as given; the create defaults fill in the rest:
        ``contacts`` [], ``customFields`` null, ``portalCustomerManagerIds`` [] and
        ``createdAt`` now.
        """
        if "_id" in fields:
            raise ValueError("give the client id as id=, not _id=")
        client_id = self.store.new_id(id)
        self._clients[client_id] = {
            "_id": client_id,
            "name": name,
            "contacts": [],
            "customFields": None,
            "portalCustomerManagerIds": [],
            "createdAt": self.store.timestamp(),
            **copy.deepcopy(fields),
        }
        self._order.add(client_id)
        self.resume.forget()
        return client_id

    def get(self, client_id: str) -> dict[str, Any]:
        """Return a client as tasks embed it (and lists send it by default): ``{"_id", "name"}``."""
        client = self._stored(client_id)
        return {"_id": client["_id"], "name": client["name"]}

    def record(self, client_id: str) -> dict[str, Any]:
        """Return a copy of the whole client, as ``GET /crm/customers/:id`` sends it."""
        return render(self._stored(client_id))

    def delete(self, client_id: str) -> None:
        """Delete a client, then tell the subscribers (`on_delete`) so they forget it."""
        self._stored(client_id)
        del self._clients[client_id]
        self._order.remove(client_id)
        self.resume.forget()
        for forget in self._on_delete:
            forget(client_id)

    # Reading and changing

    def on_delete(self, forget: Callable[[str], None]) -> None:
        """Call ``forget(client_id)`` after each deletion of a client."""
        self._on_delete.append(forget)

    def on_event(self, listener: Listener) -> None:
        """Call ``listener(event, data)`` after each client created or deleted through the API."""
        self.events.subscribe(listener)

    def _stored(self, client_id: str) -> dict[str, Any]:
        return known(self._clients, client_id, "client")

    def has(self, client_id: str) -> bool:
        """Tell whether a client with this id exists."""
        return client_id in self._clients

    def records(self) -> Iterator[Mapping[str, Any]]:
        """Yield every stored client (read only), in creation order."""
        yield from self._clients.values()

    def since(self, seq: int) -> Iterator[tuple[int, Mapping[str, Any]]]:
        """Yield ``(seq, client)`` in creation order from sequence number ``seq`` on (read only)."""
        for at, client_id in self._order.since(seq):
            yield at, self._clients[client_id]

    def change(self, client_id: str, fields: Mapping[str, Any]) -> None:
        """Set wire-named fields of a client; None removes an optional key (`OPTIONAL_KEYS`)."""
        set_fields(self._stored(client_id), fields, OPTIONAL_KEYS)
        self.resume.forget()


def render(client: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of a client record with its keys in `CLIENT_KEYS` order."""
    return ordered_copy(client, CLIENT_KEYS)


def _words(text: str) -> list[str]:
    return text.casefold().split()


def name_matches(name: str, text: str) -> bool:
    """Tell whether ``text`` begins some word of ``name`` (case-insensitive).

    The text may run on into the following words (``globex co`` matches "Globex
    Corporation"); runs of whitespace count as one space.
    """
    words, wanted = _words(name), " ".join(_words(text))
    return any(" ".join(words[start:]).startswith(wanted) for start in range(len(words)))


def email_matches(client: Mapping[str, Any], text: str) -> bool:
    """Tell whether ``text`` is in the client's email or a contact's (case-insensitive)."""
    wanted = text.casefold()
    contacts = [contact for contact in client.get("contacts") or () if isinstance(contact, dict)]
    emails = [client.get("email"), *(contact.get("email") for contact in contacts)]
    return any(isinstance(email, str) and wanted in email.casefold() for email in emails)
