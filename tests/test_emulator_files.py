"""Contract tests of the emulator's Files area: uploads, links and the Files pages, raw httpx.

Uploads and downloads run in process and over loopback (`BOTH`): the multipart and
``Content-Length`` rules matter on a real socket.
"""

from __future__ import annotations

import gc
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from cubicl_async.testing import Emulator, seed_demo, serve
from cubicl_async.testing._gate import READ_AHEAD, Gate

from .conftest import NOW, Connect, FakeNow, error, ok

NONE = {"tasks": "none", "files": "none", "gantt": "none", "reports": "none"}
MANAGE = {"tasks": "manage", "files": "manage", "gantt": "edit", "reports": "view"}
NODE_KEYS = ["_id", "parent", "group", "type", "file", "createdAt"]
MIB = 2**20

#: Run a test in process, then over loopback (`raw_base_url` serves the test's emulator).
BOTH = pytest.mark.parametrize("raw_base_url", ["in_process", "loopback"], indirect=True)


@dataclass(frozen=True)
class Org:
    """The ids most tests use: users by their files level in `project`, and a client."""

    admin: str
    #: Files level -> a user with it in `project`; ``blind`` cannot see the project at all,
    #: ``none`` sees it (tasks: view) without any files level.
    users: dict[str, str]
    project: str
    client: str


@pytest.fixture
def raw_base_url(request: pytest.FixtureRequest, emu: Emulator) -> Iterator[str | None]:
    """Stay in process, unless a test is parametrized ``loopback`` (see `BOTH`)."""
    if getattr(request, "param", "in_process") == "in_process":
        yield None
        return
    with serve(emu) as base_url:
        yield base_url


@pytest.fixture
def org(emu: Emulator) -> Org:
    admin = emu.add_user("Ada", "Admin", org_admin=True)
    users = {level: emu.add_user(level.title(), "User") for level in ("blind", "none", "view")}
    users |= {level: emu.add_user(level.title(), "User") for level in ("edit", "manage")}
    overrides = {users[level]: {**NONE, "files": level} for level in ("view", "edit")}
    overrides[users["none"]] = {**NONE, "tasks": "view"}
    project = emu.add_project(
        "Project",
        members=[users["manage"]],
        perms={"members": MANAGE, "everybody": NONE, "users": overrides},
    )
    return Org(admin, users, project, emu.add_client("Globex"))


@pytest.fixture
def admin(connect: Connect, org: Org) -> httpx.AsyncClient:
    return connect(user=org.admin)


def form(*parts: tuple[str, str | None, str | None, bytes]) -> tuple[bytes, dict[str, str]]:
    """Build a multipart body by hand from ``(name, filename, content type, bytes)`` parts."""
    body = b""
    for name, filename, content_type, content in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        body += f"--B0undary\r\nContent-Disposition: {disposition}\r\n".encode()
        if content_type is not None:
            body += f"Content-Type: {content_type}\r\n".encode()
        body += b"\r\n" + content + b"\r\n"
    body += b"--B0undary--\r\n"
    return body, {"Content-Type": "multipart/form-data; boundary=B0undary"}


async def upload(
    client: httpx.AsyncClient, name: str = "a.txt", content: bytes = b"hello"
) -> dict[str, Any]:
    """Upload a file through ``POST /files/upload`` and return the ``File``."""
    file: dict[str, Any] = ok(await client.post("files/upload", files={"file": (name, content)}))
    return file


async def link(client: httpx.AsyncClient, file_id: str) -> str:
    """Ask ``GET /files/:id/url`` for a link and return it."""
    url: str = ok(await client.get(f"files/{file_id}/url"))
    return url


# Upload


@BOTH
async def test_upload_answers_the_file_and_keeps_its_content_and_type(
    admin: httpx.AsyncClient, connect: Connect, emu: Emulator
) -> None:
    """The ``file`` part carries the bytes, the name and the type; other parts are ignored."""
    files = {"file": ("notes.md", b"# Notes\n", "text/markdown")}
    response = await admin.post("files/upload", files=files, data={"other": "ignored"})
    file = ok(response)
    assert file == {"_id": file["_id"], "name": "notes.md"}
    assert emu.files.content(file["_id"]) == b"# Notes\n"
    assert emu.files.get(file["_id"]) == file
    download = await connect().get(await link(admin, file["_id"]))
    assert (download.content, download.headers["Content-Type"]) == (b"# Notes\n", "text/markdown")


async def test_a_part_without_a_type_is_octet_stream_and_the_first_file_part_counts(
    admin: httpx.AsyncClient, emu: Emulator
) -> None:
    """Without its own Content-Type a file is application/octet-stream; later ``file`` parts go."""
    body, headers = form(
        ("note", None, None, b"a field"),
        ("file", "first.bin", None, b"\x00\x01"),
        ("file", "second.bin", "text/plain", b"second"),
    )
    file = ok(await admin.post("files/upload", content=body, headers=headers))
    assert file["name"] == "first.bin"
    assert emu.files.stored(file["_id"]).content_type == "application/octet-stream"
    assert emu.files.content(file["_id"]) == b"\x00\x01"


async def test_any_current_user_may_upload(connect: Connect, org: Org) -> None:
    """Uploading needs no level anywhere."""
    assert (await upload(connect(user=org.users["blind"])))["name"] == "a.txt"


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ([("other", "a.txt", None, b"x")], "The body has no part named 'file'"),
        ([("file", None, None, b"x")], "The part 'file' must be a file with a file name"),
        ([("file", "", None, b"x")], "The part 'file' must be a file with a file name"),
    ],
    ids=["no-file-part", "a-field", "no-file-name"],
)
async def test_upload_without_a_named_file_part_gets_400(
    admin: httpx.AsyncClient, emu: Emulator, parts: list[Any], message: str
) -> None:
    """The body needs a part named ``file`` that is a file with a name."""
    body, headers = form(*parts)
    assert error(await admin.post("files/upload", content=body, headers=headers), 400) == message
    assert emu.files.total_size == 0


@pytest.mark.parametrize(
    ("content", "content_type", "message"),
    [
        (b'{"file": 1}', "application/json", "The body must be multipart/form-data"),
        (b"--x\r\n", "multipart/form-data", "Invalid multipart body: Missing boundary"),
        (b"garbage", "multipart/form-data; boundary=B0undary", "Invalid multipart body"),
    ],
    ids=["json", "no-boundary", "garbage"],
)
async def test_a_body_that_is_not_multipart_gets_400(
    admin: httpx.AsyncClient, content: bytes, content_type: str, message: str
) -> None:
    """A body of another type, or one the multipart parser refuses, gets 400."""
    response = await admin.post(
        "files/upload", content=content, headers={"Content-Type": content_type}
    )
    assert error(response, 400).startswith(message)


@BOTH
async def test_a_chunked_upload_gets_411(admin: httpx.AsyncClient, emu: Emulator) -> None:
    """A body without Content-Length (chunked, from a generator) is refused before it is read."""
    body, headers = form(("file", "a.txt", None, b"hello"))

    async def chunks() -> AsyncIterator[bytes]:
        yield body[:10]
        yield body[10:]

    response = await admin.post("files/upload", content=chunks(), headers=headers)
    assert error(response, 411) == "Content-Length is required (chunked uploads are not accepted)"
    assert emu.files.total_size == 0


@pytest.mark.parametrize("declared", ["+5", "-10", "abc"])
async def test_a_content_length_that_differs_from_the_body_gets_400(
    admin: httpx.AsyncClient, emu: Emulator, declared: str
) -> None:
    """In process, a body longer or shorter than its Content-Length (or a bad one) gets 400."""
    body, headers = form(("file", "a.txt", None, b"hello"))
    length = declared if declared == "abc" else str(len(body) + int(declared))
    response = await admin.post(
        "files/upload", content=body, headers={**headers, "Content-Length": length}
    )
    expected = "The body's length differs from its Content-Length"
    if declared == "abc":
        expected = "Content-Length must be a number of bytes, not 'abc'"
    assert error(response, 400) == expected
    assert emu.files.total_size == 0


def test_over_a_socket_a_body_cut_short_stores_nothing(emu: Emulator, org: Org) -> None:
    """A client that closes before the declared length gets no answer; nothing is stored."""
    body, headers = form(("file", "a.txt", None, b"hello"))
    with serve(emu) as base_url:
        host, port = urlsplit(base_url).hostname, urlsplit(base_url).port
        with socket.create_connection((host, port), timeout=5) as sock:
            head = (
                f"POST /api/v1/files/upload HTTP/1.1\r\nHost: {host}\r\n"
                f"Authorization: Bearer {emu.token(org.admin)}\r\n"
                f"Content-Type: {headers['Content-Type']}\r\n"
                f"Content-Length: {len(body) + 100}\r\n\r\n"
            )
            sock.sendall(head.encode() + body)
            sock.shutdown(socket.SHUT_WR)
            assert sock.recv(1000) == b""
        deadline = time.monotonic() + 5
        while not emu.requests and time.monotonic() < deadline:
            time.sleep(0.01)
    assert [(r.path, r.status) for r in emu.requests] == [("/files/upload", 400)]
    assert emu.files.total_size == 0


@BOTH
async def test_a_file_over_the_size_limit_gets_413(admin: httpx.AsyncClient, emu: Emulator) -> None:
    """``emu.files.size_limit`` bounds each file, in bytes; a file at the limit is taken."""
    assert emu.files.size_limit == 4 * 2**30
    emu.files.size_limit = 10
    response = await admin.post("files/upload", files={"file": ("a.bin", bytes(11))})
    assert error(response, 413) == "The file is larger than the limit of 10 bytes"
    assert (await upload(admin, content=bytes(10)))["name"] == "a.txt"
    assert emu.files.total_size == 10


@BOTH
async def test_an_upload_past_the_storage_capacity_gets_403_code_204(
    admin: httpx.AsyncClient, emu: Emulator
) -> None:
    """The storage counts every file, seeded ones too; the last byte may be used."""
    emu.files.upload("seeded.bin", bytes(60))
    emu.files.storage_capacity = 100
    response = await admin.post("files/upload", files={"file": ("a.bin", bytes(41))})
    assert response.status_code == 403
    assert response.json() == {
        "message": "Storage is full",
        "code": 204,
        "totalCapacity": 100,
        "totalSize": 60,
    }
    await upload(admin, content=bytes(40))
    assert emu.files.total_size == 100


def test_the_limits_are_emulator_options() -> None:
    """``Emulator(file_size_limit=, storage_capacity=)`` set the Files area's limits."""
    with Emulator(file_size_limit=5, storage_capacity=50) as emu:
        assert (emu.files.size_limit, emu.files.storage_capacity) == (5, 50)
    assert Emulator().files.storage_capacity is None


# Storage


@pytest.mark.parametrize("raw_base_url", ["loopback"], indirect=True)
async def test_a_large_upload_spills_to_a_directory_removed_on_close(
    admin: httpx.AsyncClient, connect: Connect, emu: Emulator
) -> None:
    """Over 1 MiB a content goes to a temporary directory; the log keeps the first MiB."""
    content = bytes(range(256)) * (3 * MIB // 256)
    small = await upload(admin, "small.bin", bytes(MIB))
    assert emu.files.blobs.directory is None
    file = await upload(admin, "big.bin", content)
    directory = emu.files.blobs.directory
    assert directory is not None
    assert [path.stat().st_size for path in directory.iterdir()] == [len(content)]
    assert len(emu.requests[-1].body) == READ_AHEAD
    download = await connect().get(await link(admin, file["_id"]))
    assert (download.headers["Content-Length"], download.content) == (str(len(content)), content)
    assert emu.files.content(small["_id"]) == bytes(MIB)
    seeded = emu.files.upload("seeded.bin", content[:-1])
    assert len(list(directory.iterdir())) == 2
    assert emu.files.content(seeded) == content[:-1]
    emu.close()
    assert not directory.exists()
    emu.close()  # a second close is a no-op


def test_the_directory_goes_with_the_emulator() -> None:
    """Without ``close`` the directory is removed when the emulator is garbage-collected."""
    emu = Emulator()
    emu.files.upload("big.bin", bytes(MIB + 1))
    directory = emu.files.blobs.directory
    assert directory is not None
    assert directory.exists()
    del emu
    gc.collect()
    assert not directory.exists()


async def test_the_pipeline_reads_at_most_a_mebibyte_ahead() -> None:
    """The app gets the first MiB read ahead, then the rest as the server delivers it."""
    emu = Emulator()
    token = emu.token(emu.add_user("A", "B"))
    incoming = [
        {"type": "http.request", "body": bytes(READ_AHEAD // 2), "more_body": True},
        {"type": "http.request", "body": bytes(READ_AHEAD // 2), "more_body": True},
        {"type": "http.request", "body": b"rest", "more_body": False},
    ]
    received: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        received.extend([await receive(), await receive()])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        pass

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/v1/x",
        "query_string": b"",
        "headers": [(b"authorization", f"Bearer {token}".encode())],
    }
    await Gate(app, emulator=emu)(scope, receive, send)
    assert [(len(m["body"]), m["more_body"]) for m in received] == [(READ_AHEAD, True), (4, False)]
    assert emu.requests[0].body == bytes(READ_AHEAD)


# Links


@BOTH
async def test_a_link_is_signed_under_the_requests_own_host(
    admin: httpx.AsyncClient, emu: Emulator
) -> None:
    """``GET /files/:id/url`` answers a bare string: the content path, expiry and signature."""
    file = await upload(admin)
    response = await admin.get(f"files/{file['_id']}/url")
    assert response.headers["Content-Type"] == "application/json"
    parts = urlsplit(response.json())
    assert (parts.scheme, parts.netloc) == (admin.base_url.scheme, admin.base_url.netloc.decode())
    assert parts.path == f"/api/v1/files/{file['_id']}/content"
    query = parse_qs(parts.query)
    assert query["expires"] == [str(NOW + 300)]
    assert len(query["signature"][0]) == 64


@BOTH
async def test_a_link_serves_the_bytes_without_a_token(
    admin: httpx.AsyncClient, connect: Connect, emu: Emulator
) -> None:
    """The link needs no token, streams the bytes with their headers, and is logged."""
    file = await upload(admin, "report.txt", b"quarterly figures")
    url = await link(admin, file["_id"])
    anonymous = connect()
    response = await anonymous.get(url)
    assert response.status_code == 200
    assert response.content == b"quarterly figures"
    assert response.headers["Content-Length"] == "17"
    assert response.headers["Content-Type"] == "text/plain"
    assert response.headers["Content-Disposition"] == 'attachment; filename="report.txt"'
    record = emu.requests[-1]
    assert (record.path, record.status, record.user_id) == (
        f"/files/{file['_id']}/content",
        200,
        None,
    )
    head = await anonymous.head(url)
    assert (head.status_code, head.content) == (200, b"")
    del head.headers["X-Request-Id"], response.headers["X-Request-Id"]
    assert head.headers == response.headers
    again = await anonymous.get(url)
    assert again.content == b"quarterly figures"


async def test_an_empty_file_downloads_as_no_bytes(
    admin: httpx.AsyncClient, connect: Connect
) -> None:
    """A file may be empty; its link answers Content-Length 0."""
    url = await link(admin, (await upload(admin, "empty.txt", b""))["_id"])
    response = await connect().get(url)
    assert (response.status_code, response.headers["Content-Length"], response.content) == (
        200,
        "0",
        b"",
    )


async def test_the_log_names_the_user_of_a_token_sent_to_a_link(
    admin: httpx.AsyncClient, emu: Emulator, org: Org
) -> None:
    """A token sent anyway is not needed, but the log tells whose it was."""
    url = await link(admin, (await upload(admin))["_id"])
    assert (await admin.get(url)).status_code == 200
    assert emu.requests[-1].user_id == org.admin


async def test_links_are_not_rate_limited(
    admin: httpx.AsyncClient, connect: Connect, emu: Emulator
) -> None:
    """The link does not count towards, nor get refused by, the rate limit."""
    url = await link(admin, (await upload(admin))["_id"])
    emu.set_rate_limit(1, 60)
    for client in (connect(), admin, admin):
        assert (await client.get(url)).status_code == 200
    assert (await admin.get("app/me")).status_code == 200
    assert (await admin.get("app/me")).status_code == 429


async def test_a_link_expires_after_five_minutes(
    admin: httpx.AsyncClient, connect: Connect, clock: FakeNow
) -> None:
    """A link serves until its ``expires`` second included, then gets 410."""
    url = await link(admin, (await upload(admin))["_id"])
    anonymous = connect()
    clock.t = NOW + 300
    assert (await anonymous.get(url)).status_code == 200
    clock.t = NOW + 300.5
    assert error(await anonymous.get(url), 410) == "link expired"
    clock.t = NOW + 1
    assert (await anonymous.get(await link(admin, url.split("/")[-2]))).status_code == 200


async def test_a_tampered_link_gets_403(admin: httpx.AsyncClient, connect: Connect) -> None:
    """Changing the signature, the expiry or the file of a link breaks it."""
    first, second = (await upload(admin))["_id"], (await upload(admin))["_id"]
    url = await link(admin, first)
    query = parse_qs(urlsplit(url).query)
    expires, signature = query["expires"][0], query["signature"][0]
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    base = url.split("?")[0]
    tampered = [
        f"{base}?expires={expires}&signature={flipped}",
        f"{base}?expires={int(expires) + 3600}&signature={signature}",
        f"{base.replace(first, second)}?expires={expires}&signature={signature}",
        f"{base}?expires={expires}",
        f"{base}?expires={expires}&signature=%C3%A9",
        base,
    ]
    anonymous = connect()
    for bad in tampered:
        assert error(await anonymous.get(bad), 403) == "Invalid link signature", bad


async def test_a_link_to_an_unknown_file_gets_404(admin: httpx.AsyncClient) -> None:
    """Only uploaded files have links."""
    assert error(await admin.get("files/nope/url"), 404) == "File 'nope' not found"


@pytest.mark.parametrize(
    ("name", "disposition"),
    [
        ("résumé.pdf", "attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf"),
        ("50%.txt", "attachment; filename*=utf-8''50%25.txt"),
        ("a b.txt", 'attachment; filename="a b.txt"'),
    ],
)
async def test_the_file_name_goes_in_content_disposition(
    admin: httpx.AsyncClient, connect: Connect, name: str, disposition: str
) -> None:
    """A plain name is quoted as it is; any other is percent-encoded UTF-8."""
    url = await link(admin, (await upload(admin, name))["_id"])
    assert (await connect().get(url)).headers["Content-Disposition"] == disposition


async def test_link_host_points_links_to_another_host_served_in_process(
    admin: httpx.AsyncClient, connect: Connect, emu: Emulator
) -> None:
    """With ``link_host`` set, links name that host; in process the same app serves it."""
    emu.files.link_host = "storage.cubicl.test"
    file = await upload(admin)
    url = await link(admin, file["_id"])
    assert url.startswith(f"http://storage.cubicl.test/api/v1/files/{file['_id']}/content?")
    async with httpx.AsyncClient(transport=emu.transport()) as elsewhere:
        response = await elsewhere.get(url)
    assert (response.status_code, response.content) == (200, b"hello")
    assert emu.requests[-1].user_id is None


@pytest.mark.parametrize("raw_base_url", ["loopback"], indirect=True)
async def test_link_host_over_loopback_is_another_name_of_the_server(
    admin: httpx.AsyncClient, connect: Connect, emu: Emulator
) -> None:
    """Over loopback ``localhost:<port>`` is another host for a client, the same server."""
    emu.files.link_host = f"localhost:{admin.base_url.port}"
    url = await link(admin, (await upload(admin))["_id"])
    assert urlsplit(url).netloc == f"localhost:{admin.base_url.port}"
    assert (await connect().get(url)).content == b"hello"


# The Files pages


async def add_directory(client: httpx.AsyncClient, name: str, /, **place: Any) -> dict[str, Any]:
    """Add a directory through ``POST /file-system-nodes/directories``; return the node."""
    body = {"name": name, **place}
    node: dict[str, Any] = ok(await client.post("file-system-nodes/directories", json=body))
    return node


async def add_files(
    client: httpx.AsyncClient, file_ids: list[str], /, **place: Any
) -> list[dict[str, Any]]:
    """Add file nodes through ``POST /file-system-nodes/files``; return them."""
    body = {"files": file_ids, **place}
    nodes: list[dict[str, Any]] = ok(await client.post("file-system-nodes/files", json=body))
    return nodes


async def listing(client: httpx.AsyncClient, **params: str) -> list[str]:
    """Return the names (directories) or file names (files) ``GET /file-system-nodes`` lists."""
    nodes = ok(await client.get("file-system-nodes", params=params))
    return [node["name"] if node["type"] == "d" else node["file"]["name"] for node in nodes]


async def delete(client: httpx.AsyncClient, node_ids: list[str]) -> httpx.Response:
    """Send ``DELETE /file-system-nodes`` for these nodes."""
    return await client.request("DELETE", "file-system-nodes", json={"nodes": node_ids})


async def test_nodes_are_the_documented_records(admin: httpx.AsyncClient, org: Org) -> None:
    """A directory has its name and no file; a file node embeds the File and has no name."""
    file = await upload(admin, "plan.txt")
    directory = await add_directory(admin, "Plans", group=org.project)
    assert list(directory) == [*NODE_KEYS[:5], "name", "createdAt"]
    assert directory == {
        "_id": directory["_id"],
        "parent": None,
        "group": org.project,
        "type": "d",
        "file": None,
        "name": "Plans",
        "createdAt": NOW,
    }
    (node,) = await add_files(admin, [file["_id"]], customer=org.client, parent=None)
    assert list(node) == ["_id", "parent", "customer", "type", "file", "createdAt"]
    assert (node["type"], node["file"], node["customer"]) == ("f", file, org.client)
    nodes = ok(await admin.get("file-system-nodes", params={"group": org.project}))
    assert nodes == [directory]


async def test_a_listing_shows_one_directory_directories_first(
    admin: httpx.AsyncClient, org: Org
) -> None:
    """Each directory lists what is directly in it: directories, then files, by creation."""
    a, b = (await upload(admin, "a.txt"))["_id"], (await upload(admin, "b.txt"))["_id"]
    page = {"group": org.project}
    await add_files(admin, [b], **page)
    docs = (await add_directory(admin, "Docs", **page))["_id"]
    await add_files(admin, [a], **page)
    await add_directory(admin, "Archive", **page)
    await add_files(admin, [a, b, a], **page, parent=docs)
    await add_directory(admin, "Drafts", **page, parent=docs)
    assert await listing(admin, **page) == ["Docs", "Archive", "b.txt", "a.txt"]
    assert await listing(admin, **page, parent="") == ["Docs", "Archive", "b.txt", "a.txt"]
    assert await listing(admin, **page, parent=docs) == ["Drafts", "a.txt", "b.txt"]
    assert await listing(admin, customer=org.client) == []


async def test_a_file_may_sit_on_several_pages_and_twice_in_a_directory(
    admin: httpx.AsyncClient, org: Org
) -> None:
    """Every POST makes new nodes; the same directory name may repeat too."""
    file = (await upload(admin))["_id"]
    for _ in range(2):
        await add_files(admin, [file], group=org.project)
        await add_directory(admin, "Same", group=org.project)
    await add_files(admin, [file], customer=org.client)
    assert await listing(admin, group=org.project) == ["Same", "Same", "a.txt", "a.txt"]
    assert await listing(admin, customer=org.client) == ["a.txt"]


@pytest.mark.parametrize(
    "params",
    [{}, {"group": "g", "customer": "c"}],
    ids=["neither", "both"],
)
async def test_a_page_needs_exactly_one_owner(
    admin: httpx.AsyncClient, params: dict[str, str]
) -> None:
    """Listing and adding name exactly one of ``group`` and ``customer``."""
    expected = "send exactly one of group and customer"
    assert error(await admin.get("file-system-nodes", params=params), 400) == expected
    response = await admin.post("file-system-nodes/directories", json={"name": "D", **params})
    assert error(response, 400) == expected
    response = await admin.post("file-system-nodes/files", json={"files": ["f"], **params})
    assert error(response, 400) == expected


@pytest.mark.parametrize(
    ("owner", "message"),
    [("group", "Project 'nope' not found"), ("customer", "Client 'nope' not found")],
)
async def test_an_unknown_project_or_client_gets_404(
    admin: httpx.AsyncClient, owner: str, message: str
) -> None:
    """Every Files endpoint answers 404 for a page whose owner does not exist."""
    assert error(await admin.get("file-system-nodes", params={owner: "nope"}), 404) == message
    response = await admin.post("file-system-nodes/directories", json={"name": "D", owner: "nope"})
    assert error(response, 404) == message
    response = await admin.post("file-system-nodes/files", json={"files": ["f"], owner: "nope"})
    assert error(response, 404) == message


async def test_a_parent_must_be_a_directory_of_the_page(
    admin: httpx.AsyncClient, emu: Emulator, org: Org
) -> None:
    """A file node, another page's directory or an unknown id is no parent: 404."""
    (file_node,) = await add_files(admin, [(await upload(admin))["_id"]], group=org.project)
    elsewhere = await add_directory(admin, "Elsewhere", customer=org.client)
    for parent in (file_node["_id"], elsewhere["_id"], "nope"):
        message = f"Directory {parent!r} not found on this Files page"
        params = {"group": org.project, "parent": parent}
        assert error(await admin.get("file-system-nodes", params=params), 404) == message
        response = await admin.post("file-system-nodes/directories", json={"name": "D", **params})
        assert error(response, 404) == message
    root = {"group": org.project, "parent": None}
    assert (await add_directory(admin, "Top", **root))["parent"] is None
    assert (await add_directory(admin, "Top", group=org.project, parent=""))["parent"] is None


async def test_unknown_files_get_422_and_add_nothing(admin: httpx.AsyncClient, org: Org) -> None:
    """Every file id must be an uploaded file, else no node is added."""
    file = (await upload(admin))["_id"]
    body = {"group": org.project, "files": [file, "nope"]}
    response = await admin.post("file-system-nodes/files", json=body)
    assert error(response, 422) == "File 'nope' not found"
    assert await listing(admin, group=org.project) == []


@pytest.mark.parametrize(
    ("path", "method", "key"),
    [("file-system-nodes/files", "POST", "files"), ("file-system-nodes", "DELETE", "nodes")],
)
async def test_an_empty_id_array_gets_400(
    admin: httpx.AsyncClient, org: Org, path: str, method: str, key: str
) -> None:
    """Adding files and deleting nodes need at least one id."""
    response = await admin.request(method, path, json={"group": org.project, key: []})
    assert error(response, 400) == f"{key} must be a non-empty array of ids (non-empty strings)"


async def test_delete_removes_whole_subtrees_and_keeps_the_files(
    admin: httpx.AsyncClient, emu: Emulator, org: Org
) -> None:
    """Deleting a directory deletes everything under it, however deep; the files stay."""
    file = (await upload(admin))["_id"]
    page = {"group": org.project}
    top = parent = (await add_directory(admin, "Level 0", **page))["_id"]
    below = []
    for depth in range(1, 40):
        parent = (await add_directory(admin, f"Level {depth}", **page, parent=parent))["_id"]
        (node,) = await add_files(admin, [file], **page, parent=parent)
        below += [parent, node["_id"]]
    (kept,) = await add_files(admin, [file], customer=org.client)
    assert (await delete(admin, [top])).status_code == 204
    assert (await delete(admin, [top])).status_code == 404
    for node_id in below:
        with pytest.raises(ValueError, match="unknown node"):
            emu.files.node(node_id)
    assert await listing(admin, **page) == []
    assert emu.files.node(kept["_id"])["file"]["_id"] == file
    assert emu.files.content(file) == b"hello"


async def test_delete_takes_nodes_and_their_descendants_together(
    admin: httpx.AsyncClient, org: Org
) -> None:
    """A node listed with a directory above it, or twice, is deleted once."""
    page = {"group": org.project}
    top = (await add_directory(admin, "Top", **page))["_id"]
    inner = (await add_directory(admin, "Inner", **page, parent=top))["_id"]
    other = (await add_directory(admin, "Other", **page))["_id"]
    response = await delete(admin, [inner, top, inner, other])
    assert (response.status_code, response.content) == (204, b"")
    assert await listing(admin, **page) == []


async def test_delete_checks_every_node_before_deleting_any(
    admin: httpx.AsyncClient, connect: Connect, org: Org
) -> None:
    """An unknown node (404) or one on a page the caller may not manage (403) stops it all."""
    mine = (await add_directory(admin, "Client's", customer=org.client))["_id"]
    theirs = (await add_directory(admin, "Project's", group=org.project))["_id"]
    assert error(await delete(admin, [mine, "nope"]), 404) == "Node 'nope' not found"
    editor = connect(user=org.users["edit"])
    message = error(await delete(editor, [mine, theirs]), 403)
    assert message == f"Not permitted to delete nodes of the Files page of project {org.project!r}"
    assert await listing(admin, customer=org.client) == ["Client's"]
    assert await listing(admin, group=org.project) == ["Project's"]


#: Per files level in the project: whether list, add (files, directory) and delete succeed.
ALLOWED = {
    "blind": (False, False, False),
    "none": (False, False, False),
    "view": (True, False, False),
    "edit": (True, True, False),
    "manage": (True, True, True),
}


@pytest.mark.parametrize("level", list(ALLOWED))
async def test_a_projects_page_follows_the_files_level(
    admin: httpx.AsyncClient, connect: Connect, org: Org, level: str
) -> None:
    """``view`` lists, ``edit`` adds files and directories, ``manage`` deletes; else 403."""
    may_list, may_add, may_delete = ALLOWED[level]
    client = connect(user=org.users[level])
    file = (await upload(client))["_id"]
    page = {"group": org.project}
    node = (await add_directory(admin, "D", **page))["_id"]
    answers = [
        await client.get("file-system-nodes", params=page),
        await client.post("file-system-nodes/files", json={**page, "files": [file]}),
        await client.post("file-system-nodes/directories", json={**page, "name": "E"}),
        await delete(client, [node]),
    ]
    expected = [200 if may_list else 403, *[200 if may_add else 403] * 2]
    assert [r.status_code for r in answers] == [*expected, 204 if may_delete else 403]
    if level == "blind":
        assert error(answers[0], 403) == f"Not permitted to see project {org.project!r}"
    elif not may_list:
        assert error(answers[0], 403) == (
            f"Not permitted to see the Files page of project {org.project!r}"
        )


async def test_a_clients_page_is_open_to_every_user(connect: Connect, org: Org) -> None:
    """Any current user may list, add to and delete from a client's Files page."""
    client = connect(user=org.users["blind"])
    page = {"customer": org.client}
    directory = await add_directory(client, "Mine", **page)
    await add_files(client, [(await upload(client))["_id"]], **page, parent=directory["_id"])
    assert await listing(client, **page, parent=directory["_id"]) == ["a.txt"]
    assert (await delete(client, [directory["_id"]])).status_code == 204
    assert await listing(client, **page) == []


# Helpers and the demo


def test_seeding_helpers_build_pages_and_refuse_what_is_wrong(emu: Emulator, org: Org) -> None:
    """The helpers place nodes as the endpoints do, and raise ValueError for bad ids."""
    file = emu.files.upload("pic.png", b"\x89PNG", content_type="image/png", thumbnail="t.png")
    assert emu.files.get(file) == {"_id": file, "name": "pic.png", "thumbnail": "t.png"}
    top = emu.files.add_directory("Top", group=org.project)
    (node,) = emu.files.add_files([file], group=org.project, parent=top)
    assert emu.files.node(node)["file"] == emu.files.get(file)
    assert emu.files.listing(("group", org.project), top) == [emu.files.node(node)]
    bad_calls = [
        lambda: emu.files.add_directory("X"),
        lambda: emu.files.add_directory("X", group=org.project, customer=org.client),
        lambda: emu.files.add_directory("X", group="nope"),
        lambda: emu.files.add_directory("X", customer=org.client, parent=top),
        lambda: emu.files.add_files(["nope"], group=org.project),
        lambda: emu.files.node("nope"),
        lambda: emu.files.delete_nodes(["nope"]),
        lambda: emu.files.content("nope"),
    ]
    for call in bad_calls:
        with pytest.raises(ValueError, match=r"exactly one|unknown|not a directory"):
            call()
    emu.files.delete_nodes([top])
    assert emu.files.listing(("group", org.project), None) == []


async def test_the_demo_has_files_on_backend_and_globex(connect: Connect, emu: Emulator) -> None:
    """The demo's files come after every other record, on Backend's and Globex's pages."""
    demo = seed_demo(emu)
    admin = connect(user=demo.admin)
    backend = {"group": demo.projects["Backend"]}
    assert list(demo.files) == ["spec.md", "diagram.svg", "contract.pdf"]
    assert await listing(admin, **backend) == ["Docs"]
    assert await listing(admin, **backend, parent=demo.nodes["Docs"]) == ["Diagrams", "spec.md"]
    diagrams = demo.nodes["Docs/Diagrams"]
    assert await listing(admin, **backend, parent=diagrams) == ["diagram.svg"]
    assert await listing(admin, customer=demo.client) == ["contract.pdf"]
    assert emu.files.node(demo.nodes["contract.pdf"])["customer"] == demo.client
    assert emu.files.content(demo.files["contract.pdf"]).startswith(b"%PDF")
    newest = max([*demo.tasks.values(), *demo.projects.values(), demo.client])
    assert min([*demo.files.values(), *demo.nodes.values()]) > newest
    member = connect(user=demo.member)
    assert await listing(member, **backend) == ["Docs"]
    outsider = connect(user=demo.outsider)
    assert (await outsider.get("file-system-nodes", params=backend)).status_code == 403
