"""Files through the SDK against the emulator: uploads, links, downloads, the Files pages."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from cubicl_async import (
    APIConnectionError,
    AsyncCubicl,
    File,
    FileNodeType,
    NotFoundError,
    PermissionDeniedError,
    SourceError,
    StorageFullError,
)
from cubicl_async.testing import Demo, Emulator

from .conftest import FAST_RETRY

PAYLOAD = bytes(range(256)) * 4096 + b"tail"  # 1 MiB and a little: more than one chunk


async def test_upload_from_every_kind_of_source(
    client: AsyncCubicl, emu: Emulator, tmp_path: Path
) -> None:
    """A path, bytes, a binary file and an async iterable all arrive whole, named."""
    path = tmp_path / "report.pdf"
    path.write_bytes(PAYLOAD)

    async def parts() -> AsyncIterator[bytes]:
        yield PAYLOAD[:1000]
        yield PAYLOAD[1000:]

    with path.open("rb") as handle:
        uploaded = [
            await client.files.upload(path),
            await client.files.upload(str(path), filename="renamed.pdf"),
            await client.files.upload(PAYLOAD, filename="raw.bin"),
            await client.files.upload(handle),
            await client.files.upload(parts(), filename="streamed.bin", size=len(PAYLOAD)),
        ]
    assert [f.name for f in uploaded] == [
        "report.pdf", "renamed.pdf", "raw.bin", "report.pdf", "streamed.bin"
    ]  # fmt: skip
    assert all(isinstance(f, File) and emu.files.content(f.id) == PAYLOAD for f in uploaded)


async def test_progress_follows_the_body_and_the_length_is_exact(
    local: AsyncCubicl, emu: Emulator
) -> None:
    """on_progress sees every byte; the request carried an exact Content-Length, unchunked."""
    seen: list[tuple[int, int]] = []
    await local.files.upload(
        PAYLOAD, filename="p.bin", on_progress=lambda s, t: seen.append((s, t))
    )
    assert seen[-1] == (len(PAYLOAD), len(PAYLOAD))
    assert [s for s, _ in seen] == sorted(s for s, _ in seen)
    assert len(seen) >= 2


@pytest.mark.parametrize(
    ("source", "options", "error", "message"),
    [
        ("/no/such/file.txt", {}, FileNotFoundError, "source"),
        ("/", {}, IsADirectoryError, "source"),
        (io.StringIO("text"), {"filename": "t.txt"}, TypeError, "text mode"),
        (b"x", {}, ValueError, "filename"),
        (object(), {}, TypeError, "cannot upload"),
    ],
    ids=["missing", "directory", "text-mode", "no-name", "object"],
)  # fmt: skip
async def test_a_bad_source_is_refused_before_sending(
    local: AsyncCubicl, emu: Emulator, source: Any, options: dict[str, Any],
    error: type[Exception], message: str,
) -> None:  # fmt: skip
    """Each bad source raises at once, naming `source` (or what is missing); nothing sent."""
    with pytest.raises(error, match=message):
        await local.files.upload(source, **options)
    assert emu.requests == []


async def test_more_than_4_gb_is_refused_before_a_byte_leaves(
    local: AsyncCubicl, emu: Emulator
) -> None:
    """The API takes at most 4 GB: a larger source fails before the request."""

    async def endless() -> AsyncIterator[bytes]:
        yield b""

    with pytest.raises(ValueError, match="more than the API takes"):
        await local.files.upload(endless(), filename="huge.bin", size=5 * 10**9)
    assert emu.requests == []


async def test_a_source_that_lies_about_its_size_is_a_source_error(local: AsyncCubicl) -> None:
    """An async iterable yielding fewer bytes than its size: SourceError, never resent."""

    async def short() -> AsyncIterator[bytes]:
        yield b"abc"

    with pytest.raises(SourceError, match="gave 3 bytes, not 10"):
        await local.files.upload(short(), filename="s.bin", size=10)


async def test_a_full_storage_is_a_storage_full_error(local: AsyncCubicl, emu: Emulator) -> None:
    """403 with code 204 arrives as StorageFullError, a PermissionDeniedError, with sizes."""
    emu.files.storage_capacity = 100
    with pytest.raises(StorageFullError) as caught:
        await local.files.upload(b"x" * 101, filename="big.bin")
    assert isinstance(caught.value, PermissionDeniedError)
    assert (caught.value.code, caught.value.total_capacity) == (204, 100)
    assert caught.value.total_size is not None


async def test_link_then_download_and_stream(
    client: AsyncCubicl, emu: Emulator, tmp_path: Path
) -> None:
    """A link expires five minutes from now; download writes the file, stream yields chunks."""
    uploaded = await client.files.upload(PAYLOAD, filename="d.bin")
    link = await client.files.link(uploaded.id)
    assert 299 <= (link.expires_at - datetime.now(UTC)).total_seconds() <= 300
    assert link.url not in repr(link)  # its signature is as good as a token
    progress: list[int] = []
    dest = await client.files.download(uploaded.id, tmp_path / "out.bin",
                                       on_progress=lambda got, _: progress.append(got))  # fmt: skip
    assert dest.read_bytes() == PAYLOAD
    assert progress[-1] == len(PAYLOAD)
    async with client.files.stream(uploaded.id) as chunks:
        received = b"".join([chunk async for chunk in chunks])
    assert received == PAYLOAD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


class Recording(httpx.AsyncBaseTransport):
    """Passes requests to the emulator's transport and keeps (host, has Authorization)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.seen: list[tuple[str, bool]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Note the request, then serve it in process."""
        self.seen.append((request.url.host, "authorization" in request.headers))
        return await self.inner.handle_async_request(request)


async def test_the_token_never_goes_to_a_storage_host(emu: Emulator, demo: Demo) -> None:
    """Links on another host (a storage bucket): the download carries no token at all."""
    recording = Recording(emu.transport())
    emu.files.link_host = "storage.cubicl.test"
    async with AsyncCubicl(
        emu.token(demo.admin), base_url=emu.base_url_in_process, transport=recording,
        rate_limit=None, retry=FAST_RETRY,
    ) as client:  # fmt: skip
        uploaded = await client.files.upload(b"secret plans", filename="plans.txt")
        async with client.files.stream(uploaded.id) as chunks:
            assert b"".join([c async for c in chunks]) == b"secret plans"
    assert ("storage.cubicl.test", False) in recording.seen
    assert all(not auth for host, auth in recording.seen if host != "cubicl.test")


async def test_a_redirect_never_carries_the_token(tmp_path: Path) -> None:
    """The link's host redirects to a bucket: neither hop gets the Authorization header."""
    seen: list[tuple[str, bool]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append((str(request.url), "authorization" in request.headers))
        if request.url.path.endswith("/url"):
            return httpx.Response(200, json="https://cubicl.test/dl/f1?sig=x")
        if request.url.host == "cubicl.test":
            return httpx.Response(302, headers={"Location": "https://bucket.test/f1?sig=y"})
        return httpx.Response(200, content=b"bytes")

    async with AsyncCubicl(
        "t", base_url="https://cubicl.test/api/v1/", transport=httpx.MockTransport(answer),
        rate_limit=None,
    ) as client:  # fmt: skip
        path = await client.files.download("f1", tmp_path / "f1")
    assert path.read_bytes() == b"bytes"
    assert [auth for _, auth in seen] == [True, False, False]


async def test_an_expired_link_is_fetched_again_once(local: AsyncCubicl, emu: Emulator) -> None:
    """The host says 410 once: a new link, the download starts again; twice: the error."""
    uploaded = await local.files.upload(b"abc", filename="a.txt")
    emu.faults.fail_next(1, 410, path=f"/files/{uploaded.id}/content")
    async with local.files.stream(uploaded.id) as chunks:
        assert b"".join([c async for c in chunks]) == b"abc"
    emu.faults.fail_next(2, 410, path=f"/files/{uploaded.id}/content")
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the class is checked below
        async with local.files.stream(uploaded.id) as chunks:
            pass
    assert getattr(caught.value, "status_code", None) == 410


async def test_a_failed_download_leaves_nothing_under_the_final_name(
    local: AsyncCubicl, emu: Emulator, tmp_path: Path
) -> None:
    """The connection drops mid-answer: APIConnectionError, no file, no leftover part."""
    uploaded = await local.files.upload(PAYLOAD, filename="d.bin")
    emu.faults.drop_next(1, path=f"/files/{uploaded.id}/content")
    with pytest.raises(APIConnectionError):
        await local.files.download(uploaded.id, tmp_path / "d.bin")
    assert list(tmp_path.iterdir()) == []


async def test_an_upload_that_may_have_reached_the_server_is_never_resent(
    local: AsyncCubicl, emu: Emulator
) -> None:
    """A dropped upload: request_sent is True, and the POST was sent once."""
    emu.faults.drop_next(1, method="POST", path="/files/upload")
    with pytest.raises(APIConnectionError) as caught:
        await local.files.upload(b"once", filename="once.txt")
    assert caught.value.request_sent is True
    assert [r.method for r in emu.requests].count("POST") == 1


async def test_files_pages_add_list_walk_delete(client: AsyncCubicl, demo: Demo) -> None:
    """A project's page: a directory with a file and a subdirectory; walk; delete recursively."""
    project = demo.projects["Marketing"]
    uploaded = await client.files.upload(b"brief", filename="brief.txt")
    folder = await client.files.add_directory(project=project, name="Campaign")
    assert folder.is_directory and folder.type is FileNodeType.DIRECTORY  # noqa: PT018
    inner = await client.files.add_directory(project=project, parent=folder.id, name="Drafts")
    [node] = await client.files.add_files(project=project, parent=folder.id, files=[uploaded.id])
    assert node.display_name == "brief.txt"
    assert node.file is not None and node.file.id == uploaded.id  # noqa: PT018
    listed = await client.files.nodes(project=project, parent=folder.id)
    assert [n.display_name for n in listed] == ["Drafts", "brief.txt"]  # directories first
    walked = [(w.depth, w.path) async for w in client.files.walk(project=project)]
    assert (1, ("Campaign",)) in walked
    assert (2, ("Campaign", "brief.txt")) in walked
    assert (2, ("Campaign", "Drafts")) in walked
    await client.files.delete_nodes([folder.id])
    assert [n.id for n in await client.files.nodes(project=project)] == []
    with pytest.raises(NotFoundError):
        await client.files.nodes(project=project, parent=inner.id)


async def test_a_customers_page_and_the_owner_rule(local: AsyncCubicl, demo: Demo) -> None:
    """Customers have pages too; exactly one owner is required, checked before sending."""
    nodes = await local.files.nodes(customer=demo.client)
    assert all(n.customer == demo.client for n in nodes)
    for owners in ({}, {"project": "p", "customer": "c"}):
        with pytest.raises(ValueError, match="exactly one of project= or customer="):
            local.files.nodes(**owners)
    with pytest.raises(TypeError, match="not a single string"):
        await local.files.delete_nodes("n1")
