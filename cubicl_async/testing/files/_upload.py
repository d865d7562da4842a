"""``POST /files/upload``: the multipart body, its ``Content-Length``, the size and storage limits.

The body streams through Starlette's multipart parser (python-multipart), which spools
the ``file`` part to disk above 1 MB; the content is then copied from there in chunks
(`Blobs.save`), so an upload is never held in memory whatever its size.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect, Request
from starlette.types import Message, Receive

from .._endpoint import Call
from .._http import ApiError
from ._records import DEFAULT_TYPE, Files

#: The application code of a full storage (cubicl-api.md §1.5).
STORAGE_FULL = 204


class _Counted:
    """A receive channel that counts the body's bytes against the declared ``Content-Length``."""

    def __init__(self, receive: Receive, declared: int) -> None:
        self._receive = receive
        self.declared = declared
        self.received = 0
        #: Whether the last part of the body has arrived.
        self.complete = False

    async def __call__(self) -> Message:
        message = await self._receive()
        self.received += len(message.get("body", b""))
        self.complete = not message.get("more_body", False)
        if self.received > self.declared:
            raise _length_error()
        return message

    def check(self) -> None:
        """Answer 400 if the whole body has arrived and its length is not the declared one."""
        if self.complete and self.received != self.declared:
            raise _length_error()


def _length_error() -> ApiError:
    return ApiError(400, "The body's length differs from its Content-Length")


def _declared_length(request: Request) -> int:
    """Return the ``Content-Length`` (411 without one, 400 if it is not a number)."""
    value = request.headers.get("content-length")
    if value is None:
        raise ApiError(411, "Content-Length is required (chunked uploads are not accepted)")
    if not value.isdigit():
        raise ApiError(400, f"Content-Length must be a number of bytes, not {value!r}")
    return int(value)


async def _form(request: Request) -> FormData:
    """Parse the multipart body, checking its length (400, 411)."""
    declared = _declared_length(request)
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise ApiError(400, "The body must be multipart/form-data")
    counted = _Counted(request.receive, declared)
    try:
        form = await Request(request.scope, counted).form()
    except ClientDisconnect:
        raise ApiError(400, "The client disconnected before the end of the body") from None
    except (HTTPException, MultiPartException) as exc:
        counted.check()
        detail = exc.detail if isinstance(exc, HTTPException) else exc.message
        raise ApiError(400, f"Invalid multipart body: {detail}") from None
    try:
        counted.check()
    except ApiError:
        await form.close()
        raise
    return form


def _file_part(form: FormData) -> UploadFile:
    """Return the first part named ``file``, which must be a file with a name (else 400)."""
    parts = form.getlist("file")
    if not parts:
        raise ApiError(400, "The body has no part named 'file'")
    part = parts[0]
    if not isinstance(part, UploadFile) or not part.filename:
        raise ApiError(400, "The part 'file' must be a file with a file name")
    return part


async def upload(files: Files, call: Call) -> dict[str, Any]:
    """``POST /files/upload``: the new ``File``."""
    form = await _form(call.request)
    try:
        part = _file_part(form)
        size = part.size or 0
        if size > files.size_limit:
            raise ApiError(413, f"The file is larger than the limit of {files.size_limit} bytes")
        used, capacity = files.total_size, files.storage_capacity
        if capacity is not None and used + size > capacity:
            raise ApiError(
                403,
                "Storage is full",
                code=STORAGE_FULL,
                details={"totalCapacity": capacity, "totalSize": used},
            )
        blob = await files.blobs.save(part.file, size)
    finally:
        await form.close()
    name = part.filename or ""
    return files.get(files.add(name, part.content_type or DEFAULT_TYPE, blob))
