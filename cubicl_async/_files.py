"""Files: uploads, download links and downloads, the Files pages' trees, and `client.files`.

A download link is pre-signed and expires five minutes after it is issued. Downloads go
through the client's own httpx client (its transport, timeouts and pool) and never carry
the token: not to the API's host, and not to a storage host the link or a redirect names.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import os
import secrets
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

import attrs

from ._common import File
from ._display import Record
from ._errors import APIError
from ._pagination import Pager
from ._resource import Resource, gather
from ._sources import multipart, open_source
from ._wire import RawBody, check_id, check_ids, path

__all__ = ["FileLink", "FileNode", "FileNodeType", "Files", "WalkedNode"]

#: How long a download link is valid, from when it is issued.
LINK_LIFETIME = timedelta(minutes=5)
#: The statuses with which a link's host says the link has expired.
_EXPIRED = (403, 410)
Progress = Callable[[int, int], object]


class FileNodeType(enum.StrEnum):
    """What a Files page node is; other values are kept as plain strings."""

    FILE = "f"
    DIRECTORY = "d"


@attrs.frozen(kw_only=True)
class FileNode(Record):
    """A node of a project's or a customer's Files page: a directory, or a file in it."""

    _card: ClassVar[tuple[str, ...]] = ("type", "parent", "file")

    #: Node id.
    id: str
    #: The directory node it is in (`None`: the page's root).
    parent: str | None = None
    #: The project whose page it is on (`group` on the wire).
    project: str | None = attrs.field(default=None, metadata={"wire": "group"})
    #: The customer whose page it is on.
    customer: str | None = None
    #: File or directory.
    type: FileNodeType | str | None = None
    #: The file, for a file node.
    file: File | None = None
    #: The directory's name (a file node has its file's: see `display_name`).
    name: str | None = None
    #: Creation time.
    created_at: datetime | None = None

    @property
    def is_directory(self) -> bool:
        """Whether it is a directory."""
        return self.type == FileNodeType.DIRECTORY

    @property
    def display_name(self) -> str:
        """The directory's name, or the file's name for a file node."""
        return self.name or (self.file.name if self.file and self.file.name else None) or self.id


@attrs.frozen
class FileLink:
    """A download link and when it expires (issue time plus five minutes, by our clock)."""

    #: The pre-signed URL.
    url: str = attrs.field(repr=False)  # its signature is as good as a token for the file
    #: When it stops working, an aware UTC datetime.
    expires_at: datetime

    @property
    def expired(self) -> bool:
        """Whether the link has expired (by our clock)."""
        return datetime.now(UTC) >= self.expires_at


@attrs.frozen
class WalkedNode:
    """A node reached by `Files.walk`: the node, its depth (1 at the root) and its path."""

    #: The node.
    node: FileNode
    #: 1 for the nodes at the page's root.
    depth: int
    #: The display names from the root down to this node (`len(path) == depth`).
    path: tuple[str, ...]


class _Replayable:
    """An async iterable that starts `make()` afresh each time it is iterated."""

    def __init__(self, make: Callable[[], AsyncIterator[bytes]]) -> None:
        self._make = make

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._make()


def _owner(project: str | None, customer: str | None) -> dict[str, str]:
    """Return the owner as the API names it, checking that exactly one is given."""
    if (project is None) == (customer is None):
        raise ValueError("give exactly one of project= or customer= (whose Files page)")
    check_ids(project=project, customer=customer)
    return {"group": project} if project is not None else {"customer": customer}  # type: ignore[dict-item]


class Files(Resource):
    """`client.files`: upload and download files, and the Files pages of projects and customers."""

    async def upload(
        self,
        source: str | os.PathLike[str] | bytes | BinaryIO | AsyncIterable[bytes],
        *,
        filename: str | None = None,
        content_type: str | None = None,
        size: int | None = None,
        on_progress: Progress | None = None,
    ) -> File:
        """Upload a file; its id then goes into tasks, comments, messages or a Files page.

        `source` is a path, `bytes`, a binary file object (read from where it stands), or
        an async iterable of `bytes` with its `size=`. The body is streamed (1 MiB at a
        time) with its exact `Content-Length`, never chunked; the name defaults to the
        path's (or the file object's) name, the type to one guessed from the name.
        `on_progress(sent_bytes, total_bytes)` is called as the body goes out. Checked
        before anything is sent: the path exists and is a file, a file object is binary,
        the size is known and at most 4 GB. An upload is a POST: never resent once a byte
        may have left (see `APIConnectionError.request_sent`). A full storage raises
        `StorageFullError`.
        """
        checked = open_source(source, filename=filename, content_type=content_type, size=size)
        body, headers = multipart(checked, on_progress)
        raw = RawBody(content=_Replayable(body), headers=headers)
        return await self._post("files/upload", body=raw, into=File)

    async def link(self, file_id: str) -> FileLink:
        """Return a fresh download link, valid five minutes (by our clock, from now)."""
        issued = datetime.now(UTC)
        url = await self._get(path("files/{file_id}/url", file_id=file_id), into=str)
        return FileLink(url, issued + LINK_LIFETIME)

    @contextlib.asynccontextmanager
    async def stream(self, file_id: str) -> AsyncIterator[AsyncIterator[bytes]]:
        """Open a download: `async with client.files.stream(id) as chunks: async for ...`.

        A fresh link is fetched; if its host says it has expired (403 or 410), a new one
        is fetched once and the download starts again. The file is never held whole in
        memory: chunks of up to 1 MiB arrive as they are read.
        """
        for attempt in (1, 2):
            url = (await self.link(file_id)).url
            try:
                async with self._client._download(url) as chunks:
                    yield chunks
                    return
            except APIError as exc:
                if attempt == 2 or exc.status_code not in _EXPIRED:
                    raise

    async def download(
        self, file_id: str, dest: str | os.PathLike[str], *, on_progress: Progress | None = None
    ) -> Path:
        """Download a file to `dest` (a file path); return the path.

        The bytes go to a temporary file beside `dest`, renamed to `dest` only once
        complete: a failed download never leaves a partial file under the final name.
        `on_progress(received_bytes, total_bytes)` follows it (`total_bytes` is -1 when the
        server sends no length).
        """
        final = Path(dest)
        partial = final.with_name(f".{final.name}.{secrets.token_hex(4)}.part")
        out = await asyncio.to_thread(partial.open, "wb")
        try:
            received = 0
            async with self.stream(file_id) as chunks:
                async for chunk in chunks:
                    await asyncio.to_thread(out.write, chunk)  # the disk never stalls the loop
                    received += len(chunk)
                    if on_progress is not None:
                        on_progress(received, -1)
            await asyncio.to_thread(out.close)
            await asyncio.to_thread(partial.replace, final)
        finally:
            out.close()
            partial.unlink(missing_ok=True)
        return final

    def nodes(
        self,
        *,
        project: str | None = None,
        customer: str | None = None,
        parent: str | None = None,
    ) -> Pager[FileNode]:
        """List one directory of a project's or a customer's Files page (the root by default)."""
        params: dict[str, Any] = {**_owner(project, customer), "parent": parent}
        check_ids(parent=parent)
        return self._unpaged("file-system-nodes", FileNode, params=params)

    async def add_files(
        self,
        *,
        files: Iterable[str],
        project: str | None = None,
        customer: str | None = None,
        parent: str | None = None,
    ) -> list[FileNode]:
        """Put uploaded files on a Files page, in `parent` (a directory node) or its root."""
        if isinstance(files, str):
            raise TypeError("files takes a collection of file ids, not a single string")
        ids = [check_id("files", file_id) for file_id in files]
        if not ids:
            raise ValueError("files: give at least one file id")
        check_ids(parent=parent)
        body = {**_owner(project, customer), "parent": parent, "files": ids}
        return await self._post("file-system-nodes/files", body=body, into=list[FileNode])

    async def add_directory(
        self,
        *,
        name: str,
        project: str | None = None,
        customer: str | None = None,
        parent: str | None = None,
    ) -> FileNode:
        """Make a directory on a Files page, in `parent` (a directory node) or its root."""
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"name must be a non-empty string, got {name!r}")
        check_ids(parent=parent)
        body = {**_owner(project, customer), "parent": parent, "name": name}
        return await self._post("file-system-nodes/directories", body=body, into=FileNode)

    async def delete_nodes(self, node_ids: Iterable[str]) -> None:
        """Delete nodes of a Files page; a directory goes with everything in it."""
        if isinstance(node_ids, str):
            raise TypeError("node_ids takes a collection of node ids, not a single string")
        ids = [check_id("node_ids", node_id) for node_id in node_ids]
        if not ids:
            raise ValueError("node_ids: give at least one node id")
        await self._delete("file-system-nodes", body={"nodes": ids})

    async def walk(
        self, *, project: str | None = None, customer: str | None = None
    ) -> AsyncIterator[WalkedNode]:
        """Yield every node of a Files page once, level by level, with its depth and path.

        The directories of one level are listed concurrently, through the throttle: a
        page costs one request per directory, plus one for the root. Never loops, even
        if the server's tree had a cycle.
        """
        owner = _owner(project, customer)
        seen: set[str] = set()
        level: list[WalkedNode | None] = [None]
        depth = 0
        while level:
            depth += 1
            listings = await gather(
                self.nodes(
                    **_python_owner(owner), parent=above.node.id if above else None
                ).to_list()
                for above in level
            )
            next_level: list[WalkedNode | None] = []
            for above, found in zip(level, listings, strict=True):
                for node in found:
                    if node.id in seen:
                        continue
                    seen.add(node.id)
                    walked = WalkedNode(node, depth, (*(above.path if above else ()),
                                                      node.display_name))  # fmt: skip
                    yield walked
                    if node.is_directory:
                        next_level.append(walked)
            level = next_level


def _python_owner(owner: dict[str, str]) -> dict[str, str]:
    return {"project": owner["group"]} if "group" in owner else {"customer": owner["customer"]}
