"""The Files area's records: uploaded files with their contents, and the Files pages' trees."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .._store import Store
from ..customers import Customers
from ..projects import Projects
from ._blobs import Blob, Blobs
from ._links import Links

#: The content type of a file uploaded without one.
DEFAULT_TYPE = "application/octet-stream"

#: A Files page's owner: ``("group", <project id>)`` or ``("customer", <client id>)``.
Owner = tuple[str, str]


@dataclass(frozen=True)
class StoredFile:
    """An uploaded file: its ``File`` record, as the API sends it, and its content."""

    #: ``{"_id", "name"}``, with any further keys seeding gave (``thumbnail``, ...).
    record: dict[str, Any]
    #: The content type sent with the upload.
    content_type: str
    #: The bytes, in memory or on disk.
    blob: Blob


class Files:
    """Uploaded files and the Files pages of projects and clients (``emu.files``).

    The seeding helpers are `upload`, `get`, `content`, `add_directory`, `add_files`,
    `node` and `delete_nodes`; they skip the API's checks (size limit, capacity,
    permissions) and raise ValueError for unknown ids. `size_limit`, `storage_capacity`
    and `link_host` may be changed at any time; `close` removes the temporary directory
    that holds large contents.
    """

    def __init__(
        self,
        store: Store,
        projects: Projects,
        customers: Customers,
        *,
        size_limit: int = 4 * 2**30,
        storage_capacity: int | None = None,
    ) -> None:
        self.store = store
        self.projects = projects
        self.customers = customers
        #: The largest file ``POST /files/upload`` takes, in bytes (413 above it).
        self.size_limit = size_limit
        #: The organization's storage in bytes, None for unlimited (403, code 204, past it).
        self.storage_capacity = storage_capacity
        #: The host (``name[:port]``) links point to; None: the host they were asked from.
        self.link_host: str | None = None
        #: Where the contents are kept.
        self.blobs = Blobs()
        #: Issues and checks the download links.
        self.links = Links(store.now)
        self._files: dict[str, StoredFile] = {}
        self._nodes: dict[str, dict[str, Any]] = {}
        #: Per directory (owner kind, owner id, parent): its node ids, in creation order.
        self._listings: dict[tuple[str, str, str | None], dict[str, None]] = {}

    # Seeding helpers: files

    def upload(
        self,
        name: str,
        content: bytes,
        *,
        content_type: str = DEFAULT_TYPE,
        id: str | None = None,
        **fields: Any,
    ) -> str:
        """Store a file as if uploaded and return its id.

        ``fields`` are further wire-named keys of its ``File`` record (``thumbnail``,
        ``google``, ``dropbox``), stored as given. It counts towards the storage used.
        """
        return self.add(name, content_type, self.blobs.put(content), id=id, **fields)

    def add(
        self, name: str, content_type: str, blob: Blob, *, id: str | None = None, **fields: Any
    ) -> str:
        """Store a file whose content is kept already (`Blobs`); return its id."""
        file_id = self.store.new_id(id)
        record = {"_id": file_id, "name": name, **copy.deepcopy(fields)}
        self._files[file_id] = StoredFile(record, content_type, blob)
        return file_id

    def get(self, file_id: str) -> dict[str, Any]:
        """Return a copy of a file's ``File`` record."""
        return copy.deepcopy(self.stored(file_id).record)

    def content(self, file_id: str) -> bytes:
        """Return a file's content (for assertions)."""
        return self.blobs.read(self.stored(file_id).blob)

    def stored(self, file_id: str) -> StoredFile:
        """Return a stored file (read only); ValueError if unknown."""
        if file_id not in self._files:
            raise ValueError(f"unknown file {file_id!r}")
        return self._files[file_id]

    def has(self, file_id: str) -> bool:
        """Tell whether a file with this id was uploaded."""
        return file_id in self._files

    @property
    def total_size(self) -> int:
        """The storage used: the sizes of every file stored, in bytes."""
        return sum(stored.blob.size for stored in self._files.values())

    # Seeding helpers: the Files pages

    def add_directory(
        self,
        name: str,
        *,
        group: str | None = None,
        customer: str | None = None,
        parent: str | None = None,
        id: str | None = None,
    ) -> str:
        """Add a directory to the Files page of a project or a client; return the node id.

        Give exactly one of ``group`` and ``customer``; ``parent`` is a directory node of
        that page (None: its root).
        """
        owner = self._owner(group, customer)
        self._parent(owner, parent)
        return self.add_node(owner, parent, name=name, id=id)

    def add_files(
        self,
        file_ids: Iterable[str],
        *,
        group: str | None = None,
        customer: str | None = None,
        parent: str | None = None,
    ) -> list[str]:
        """Add a file node per file (as `add_directory` places it); return the node ids."""
        owner = self._owner(group, customer)
        self._parent(owner, parent)
        file_ids = list(file_ids)
        for file_id in file_ids:
            self.stored(file_id)
        return [self.add_node(owner, parent, file_id=file_id) for file_id in file_ids]

    def node(self, node_id: str) -> dict[str, Any]:
        """Return a copy of a node as the API sends it (the ``File`` of a file node embedded)."""
        if node_id not in self._nodes:
            raise ValueError(f"unknown node {node_id!r}")
        return self._render(self._nodes[node_id])

    def delete_nodes(self, node_ids: Iterable[str]) -> None:
        """Delete nodes, and everything under the directories among them; files stay."""
        node_ids = list(node_ids)
        for node_id in node_ids:
            self.node(node_id)
        children: dict[str, list[str]] = {}
        for node in self._nodes.values():
            children.setdefault(node["parent"], []).append(node["_id"])
        todo = node_ids
        while todo:
            if (gone := self._nodes.pop(node_id := todo.pop(), None)) is not None:
                del self._listings[self._directory_of(gone)][node_id]
                todo += children.get(node_id, [])

    # The Files pages

    def add_node(
        self,
        owner: Owner,
        parent: str | None,
        *,
        file_id: str | None = None,
        name: str | None = None,
        id: str | None = None,
    ) -> str:
        """Add a file node (``file_id``) or a directory (``name``); the caller checked both."""
        node_id = self.store.new_id(id)
        node: dict[str, Any] = {
            "_id": node_id,
            "parent": parent,
            owner[0]: owner[1],
            "type": "d" if file_id is None else "f",
            "file": file_id,
        }
        if file_id is None:
            node["name"] = name
        node["createdAt"] = self.store.timestamp()
        self._nodes[node_id] = node
        self._listings.setdefault(self._directory_of(node), {})[node_id] = None
        return node_id

    def has_owner(self, owner: Owner) -> bool:
        """Tell whether the project or client of a Files page exists."""
        kind, owner_id = owner
        return (self.projects if kind == "group" else self.customers).has(owner_id)

    def is_directory(self, owner: Owner, node_id: str) -> bool:
        """Tell whether a node is a directory of this owner's page."""
        node = self._nodes.get(node_id)
        return node is not None and node["type"] == "d" and node.get(owner[0]) == owner[1]

    def find_node(self, node_id: str) -> Mapping[str, Any] | None:
        """Return a stored node (read only), or None."""
        return self._nodes.get(node_id)

    def owner_of(self, node: Mapping[str, Any]) -> Owner:
        """Return the owner of a node's page."""
        kind = "group" if "group" in node else "customer"
        return kind, node[kind]

    def _directory_of(self, node: Mapping[str, Any]) -> tuple[str, str, str | None]:
        """Return the directory a node is listed in: its owner's kind and id, its parent."""
        return (*self.owner_of(node), node["parent"])

    def listing(self, owner: Owner, parent: str | None) -> list[dict[str, Any]]:
        """Return the nodes directly in a directory (None: the root), directories first."""
        found = [self._nodes[node_id] for node_id in self._listings.get((*owner, parent), ())]
        found.sort(key=lambda node: node["type"] != "d")
        return [self._render(node) for node in found]

    def _render(self, node: Mapping[str, Any]) -> dict[str, Any]:
        file_id = node["file"]
        return {**copy.deepcopy(dict(node)), "file": None if file_id is None else self.get(file_id)}

    def _owner(self, group: str | None, customer: str | None) -> Owner:
        if (group is None) == (customer is None):
            raise ValueError("give exactly one of group and customer")
        owner: Owner = ("group", group) if group is not None else ("customer", customer or "")
        if not self.has_owner(owner):
            raise ValueError(f"unknown {owner[0]} {owner[1]!r}")
        return owner

    def _parent(self, owner: Owner, parent: str | None) -> None:
        if parent is not None and not self.is_directory(owner, parent):
            raise ValueError(f"{parent!r} is not a directory of that Files page")

    def close(self) -> None:
        """Remove the temporary directory of the large contents (they are gone afterwards)."""
        self.blobs.close()
