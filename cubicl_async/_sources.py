"""Upload sources, no network: a path, bytes, a binary file or an async iterable, as one stream.

`open_source` checks the source before anything is sent (it exists, it is binary, its
size is known and at most 4 GB) and returns a `Source`: its name, size and a way to read
it again from the start, chunk by chunk. Files are read in chunks of 1 MiB in a worker
thread (`asyncio.to_thread`), so the event loop never waits on the disk (a cold read of
1 MiB can take milliseconds; `benchmarks/files.py` measures what the hops cost).
"""

from __future__ import annotations

import asyncio
import io
import mimetypes
import os
import secrets
from collections.abc import AsyncIterable, AsyncIterator, Callable
from pathlib import Path
from typing import Any, BinaryIO

import attrs

from ._errors import SourceError

__all__ = ["MAX_UPLOAD", "Source", "multipart", "open_source"]

#: The largest upload the API takes: 4 GB ("4 million KB").
MAX_UPLOAD = 4_000_000 * 1000
#: Bytes read from a source at a time.
CHUNK = 1 << 20

UploadSource = (
    str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryIO | AsyncIterable[bytes]
)


@attrs.frozen
class Source:
    """A checked upload source."""

    #: The file name sent with it.
    name: str
    #: Its media type.
    content_type: str
    #: Its size in bytes.
    size: int
    #: Returns a fresh iterator over its bytes, from the start.
    chunks: Callable[[], AsyncIterator[bytes]]


def open_source(
    source: Any, *, filename: str | None, content_type: str | None, size: int | None
) -> Source:
    """Check `source` and return it as a `Source` (errors name `source`, nothing is read)."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"source: no such file: {str(path)!r}")
        if path.is_dir():
            raise IsADirectoryError(f"source: {str(path)!r} is a directory, not a file")
        name, length, chunks = filename or path.name, path.stat().st_size, _path_chunks(path)
    elif isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        name, length, chunks = _required(filename), len(data), _bytes_chunks(data)
    elif hasattr(source, "read"):
        if isinstance(source, io.TextIOBase) or "b" not in getattr(source, "mode", "b"):
            raise TypeError("source: the file object is open in text mode; open it with 'rb'")
        start = source.tell()
        length = size if size is not None else source.seek(0, io.SEEK_END) - start
        source.seek(start)
        default = Path(source.name).name if isinstance(getattr(source, "name", None), str) else None
        name, chunks = filename or _required(default), _file_chunks(source, start)
    elif isinstance(source, AsyncIterable):
        if size is None:
            raise TypeError("source: an async iterable needs size= (uploads are never chunked)")
        name, length, chunks = _required(filename), size, _once(source)
    else:
        raise TypeError(f"source: cannot upload a {type(source).__name__}")
    if length > MAX_UPLOAD:
        raise ValueError(f"source: {length} bytes is more than the API takes ({MAX_UPLOAD})")
    kind = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Source(name, kind, length, _counted(chunks, length))


def _required(filename: str | None) -> str:
    if not filename:
        raise ValueError("filename: give the name the file should have (the source has none)")
    return filename


def _path_chunks(path: Path) -> Callable[[], AsyncIterator[bytes]]:
    async def chunks() -> AsyncIterator[bytes]:
        handle = await asyncio.to_thread(path.open, "rb")
        try:
            while chunk := await asyncio.to_thread(handle.read, CHUNK):
                yield chunk
        finally:
            await asyncio.to_thread(handle.close)

    return chunks


def _file_chunks(handle: BinaryIO, start: int) -> Callable[[], AsyncIterator[bytes]]:
    async def chunks() -> AsyncIterator[bytes]:
        await asyncio.to_thread(handle.seek, start)
        while chunk := await asyncio.to_thread(handle.read, CHUNK):
            yield chunk

    return chunks


def _bytes_chunks(data: bytes) -> Callable[[], AsyncIterator[bytes]]:
    async def chunks() -> AsyncIterator[bytes]:
        view = memoryview(data)
        for offset in range(0, len(data), CHUNK):
            yield bytes(view[offset : offset + CHUNK])

    return chunks


def _once(source: AsyncIterable[bytes]) -> Callable[[], AsyncIterator[bytes]]:
    used = False

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal used
        if used:
            raise SourceError("source: an async iterable can be read only once; not resent")
        used = True
        async for chunk in source:
            yield bytes(chunk)

    return chunks


def _counted(
    chunks: Callable[[], AsyncIterator[bytes]], size: int
) -> Callable[[], AsyncIterator[bytes]]:
    """Check that the chunks add up to `size` exactly (the Content-Length already sent)."""

    async def counted() -> AsyncIterator[bytes]:
        seen = 0
        try:
            async for chunk in chunks():
                seen += len(chunk)
                if seen > size:
                    break
                yield chunk
        except SourceError:
            raise
        except Exception as exc:
            raise SourceError(f"source: reading it failed: {exc}") from exc
        if seen != size:
            raise SourceError(f"source: gave {'more' if seen > size else seen} bytes, not {size}")

    return counted


def multipart(
    source: Source, on_progress: Callable[[int, int], object] | None
) -> tuple[Callable[[], AsyncIterator[bytes]], dict[str, str]]:
    """Return the `multipart/form-data` body of an upload (its `file` part) and its headers.

    The body is streamed and its exact length is known in advance: `Content-Length` is
    set, so it is never sent chunked. `on_progress(sent, total)` follows the file's bytes.
    """
    boundary = secrets.token_hex(16)
    quoted = source.name.replace("\\", "\\\\").replace('"', "%22")
    quoted = quoted.replace("\r", "%0D").replace("\n", "%0A")
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{quoted}"'
        f"\r\nContent-Type: {source.content_type}\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    async def body() -> AsyncIterator[bytes]:
        yield head
        sent = 0
        async for chunk in source.chunks():
            yield chunk
            sent += len(chunk)
            if on_progress is not None:
                on_progress(sent, source.size)
        yield tail

    headers = {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Content-Length": str(len(head) + source.size + len(tail)),
    }
    return body, headers
