"""The contents of uploaded files: small ones in memory, larger ones in a temporary directory."""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import anyio.to_thread

#: Contents up to this size (1 MiB) stay in memory; larger ones spill to the directory.
MEMORY_LIMIT = 2**20
#: The size of the pieces contents are copied and served in (1 MiB).
CHUNK = 2**20


@dataclass(frozen=True)
class Blob:
    """The content of one file: its bytes in memory, or the path of its copy on disk."""

    #: The size in bytes.
    size: int
    #: The bytes, for a small content (else None).
    data: bytes | None = None
    #: The file holding the bytes, for a large content (else None).
    path: Path | None = None


class Blobs:
    """Where the emulator keeps file contents, at most `MEMORY_LIMIT` bytes of each in memory.

    Larger contents go to a temporary directory, created on the first one and removed by
    `close` (at the latest when this object is garbage-collected or the interpreter exits).
    """

    def __init__(self) -> None:
        self._directory: Path | None = None
        self._finalizer: weakref.finalize[[str], Blobs] | None = None
        self._count = 0

    @property
    def directory(self) -> Path | None:
        """The temporary directory of the large contents, None until one is stored."""
        return self._directory

    def _new_path(self) -> Path:
        if self._directory is None:
            self._directory = Path(tempfile.mkdtemp(prefix="cubicl-emulator-"))
            self._finalizer = weakref.finalize(self, _remove, str(self._directory))
        self._count += 1
        return self._directory / f"{self._count:08d}"

    def put(self, content: bytes) -> Blob:
        """Keep ``content`` (a seeding helper's bytes)."""
        if len(content) <= MEMORY_LIMIT:
            return Blob(len(content), data=bytes(content))
        path = self._new_path()
        path.write_bytes(content)
        return Blob(len(content), path=path)

    async def save(self, source: BinaryIO, size: int) -> Blob:
        """Copy ``size`` bytes from ``source`` (an upload's spooled file), a chunk at a time.

        A large content is copied in a worker thread, so the event loop keeps serving.
        """
        if size <= MEMORY_LIMIT:
            return Blob(size, data=source.read(size))
        path = self._new_path()
        await anyio.to_thread.run_sync(_copy, source, path)
        return Blob(size, path=path)

    def read(self, blob: Blob) -> bytes:
        """Return the whole content (for tests' assertions)."""
        return blob.path.read_bytes() if blob.path is not None else blob.data or b""

    async def chunks(self, blob: Blob) -> AsyncIterator[bytes]:
        """Yield the content in pieces of at most `CHUNK` bytes, read from disk in a thread."""
        if blob.path is None:
            if blob.data:
                yield blob.data
            return
        for offset in range(0, blob.size, CHUNK):
            yield await anyio.to_thread.run_sync(_read_at, blob.path, offset)

    def close(self) -> None:
        """Remove the temporary directory and the large contents in it (a no-op without one)."""
        if self._finalizer is not None:
            self._finalizer()
        self._directory = self._finalizer = None


def _remove(directory: str) -> None:
    shutil.rmtree(directory, ignore_errors=True)


def _copy(source: BinaryIO, path: Path) -> None:
    with path.open("wb") as target:
        shutil.copyfileobj(source, target, CHUNK)


def _read_at(path: Path, offset: int) -> bytes:
    """Read one chunk at ``offset`` (opening the file each time: nothing stays open)."""
    with path.open("rb") as file:
        file.seek(offset)
        return file.read(CHUNK)
