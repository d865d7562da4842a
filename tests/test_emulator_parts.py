"""Tests of the emulator's Python side: store helpers, demo, pipeline details, server, CLI."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

import httpx
import pytest
import uvicorn

import cubicl_async.testing
from cubicl_async.testing import Emulator, pytest_plugin, seed_demo, serve
from cubicl_async.testing.__main__ import main
from cubicl_async.testing._endpoint import Area, Endpoint, routes
from cubicl_async.testing._gate import Gate
from cubicl_async.testing._http import ApiError

NONE = {"tasks": "none", "files": "none", "gantt": "none", "reports": "none"}
TOP = {"tasks": "manage", "files": "manage", "gantt": "edit", "reports": "view"}


@pytest.fixture(autouse=True, scope="module")
def _no_implicit_event_loop() -> None:
    """Work around pytest-asyncio 1.5 on Python 3.11 leaking an event loop.

    When a sync test runs before async ones, pytest-asyncio's ``asyncio.get_event_loop()``
    creates a loop that is never closed; its ResourceWarning later fails an unrelated
    test (filterwarnings=error). Once ``set_event_loop(None)`` was called, that call
    raises instead of creating a loop, which pytest-asyncio handles.
    """
    asyncio.set_event_loop(None)


def hexid(n: int) -> str:
    return f"{n:024x}"


def levels(emu: Emulator, user_id: str, project_id: str) -> dict[str, str]:
    """Return the user's level of every feature of a project."""
    return {feature: emu.level(user_id, project_id, feature) for feature in NONE}


def test_public_names() -> None:
    """The package exports exactly the documented names, sorted."""
    assert cubicl_async.testing.__all__ == [
        "DeliveryRecord",
        "Demo",
        "Emulator",
        "Faults",
        "RequestRecord",
        "seed_demo",
        "serve",
    ]


def test_names_load_on_first_use() -> None:
    """The package imports its modules on first use; ``dir`` lists them, others raise."""
    assert set(cubicl_async.testing.__all__) <= set(dir(cubicl_async.testing))
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        cubicl_async.testing.Nope  # noqa: B018 (the attribute access is the test)


def test_the_pytest_plugin_is_an_entry_point() -> None:
    """The distribution registers the plugin as a ``pytest11`` entry point, for pytest."""
    (found,) = entry_points(group="pytest11", name="cubicl_async")
    assert found.value == "cubicl_async.testing.pytest_plugin"


def test_the_plugins_emulator_is_empty() -> None:
    """``cubicl_emulator`` gives an organization with its main project and no users."""
    fixture = pytest_plugin.cubicl_emulator.__wrapped__()  # type: ignore[attr-defined]  # the function pytest wraps
    emu = next(fixture)
    assert (emu.org_name, emu.users.current(), emu.projects.ids()) == ("Acme", [], [emu.root_id])
    emu.files.upload("big.bin", bytes(2**20 + 1))
    directory = emu.files.blobs.directory
    assert directory is not None
    assert directory.exists()
    with pytest.raises(StopIteration):
        next(fixture)  # the teardown closes the emulator
    assert not directory.exists()


def test_areas_are_registered_in_order_with_their_helpers() -> None:
    """The emulator holds its areas; the flat helpers are the areas' own."""
    emu = Emulator()
    assert [area.records for area in emu.areas] == [
        emu.users,
        emu.projects,
        emu.customers,
        emu.tasks,
        emu.bookkeeping,
        emu.files,
        emu.chat,
        emu.webhooks,
    ]
    assert emu.add_task.__doc__ == emu.tasks.add.__doc__
    user = emu.users.add("A", "B")
    assert emu.token(user) == emu.users.token(user)


def test_a_path_and_method_are_routed_once() -> None:
    """Two endpoints for the same method and path (or a HEAD row) are refused."""
    row: Endpoint[None] = Endpoint("GET", "/x", lambda records, call: None)
    for rows in ([row, row], [Endpoint("HEAD", "/x", row.handler)]):
        with pytest.raises(ValueError, match="cannot route"):
            routes([Area(None, rows)])


# Ids and users


def test_ids_are_deterministic_24_hex_digits() -> None:
    """Ids come from one counter over all records, the main project (org name) first."""
    emu = Emulator("Initech")
    assert emu.root_id == "000000000000000000000001"
    assert emu.project(emu.root_id)["name"] == "Initech"
    assert [emu.add_user("A", "B"), emu.add_project("P"), emu.add_user("C", "D")] == [
        hexid(2),
        hexid(3),
        hexid(4),
    ]


def test_chosen_ids_are_kept_and_skipped_by_the_counter() -> None:
    """An ``id=`` is used as given, and the counter never hands it out again."""
    emu = Emulator()
    assert emu.add_user("A", "B", id=hexid(2)) == hexid(2)
    assert emu.add_project("Custom", id="p-1") == "p-1"
    assert emu.add_project("Next") == hexid(3)


@pytest.mark.parametrize(
    "action",
    [
        lambda emu: emu.add_user("A", "B", id=emu.root_id),
        lambda emu: emu.add_project("P", id=emu.root_id),
        lambda emu: emu.add_user("A", "B", token=emu.token(emu.add_user("C", "D"))),
    ],
    ids=["user-id", "project-id", "token"],
)
def test_taken_id_or_token_raises(action: Callable[[Emulator], Any]) -> None:
    """Reusing an id or a token raises ValueError."""
    with pytest.raises(ValueError, match="already used"):
        action(Emulator())


def test_add_user_defaults() -> None:
    """The token defaults to ``token-<id>``, the email to ``first.last@example.com``."""
    emu = Emulator()
    uid = emu.add_user("Ada", "Lovelace")
    assert emu.token(uid) == f"token-{uid}"
    other = emu.add_user("Bo", "B", email="bo@x.test", token="t")
    assert emu.token(other) == "t"
    emails = {user.id: user.email for user in emu.users.current()}
    assert emails == {uid: "ada.lovelace@example.com", other: "bo@x.test"}


@pytest.mark.parametrize(
    "action",
    [
        lambda emu: emu.token("nope"),
        lambda emu: emu.remove_user("nope"),
        lambda emu: emu.project("nope"),
        lambda emu: emu.add_project("P", parents=["nope"]),
        lambda emu: emu.add_parent("nope", emu.root_id),
        lambda emu: emu.add_parent(emu.add_project("P"), "nope"),
        lambda emu: emu.level("u", "nope", "tasks"),
    ],
)
def test_unknown_ids_raise_value_error(action: Callable[[Emulator], Any]) -> None:
    """The helpers raise ValueError for an unknown user or project id."""
    with pytest.raises(ValueError, match="unknown"):
        action(Emulator())


# Projects


def test_only_the_main_project_has_no_parents() -> None:
    """``parents=[]`` and a parent for the main project raise ValueError."""
    emu = Emulator()
    with pytest.raises(ValueError, match="only the main project"):
        emu.add_project("Orphan", parents=[])
    with pytest.raises(ValueError, match="the main project has no parents"):
        emu.add_parent(emu.root_id, emu.add_project("P"))


def test_parent_links_are_kept_once() -> None:
    """Repeated parents, given or added, are stored once, in order."""
    emu = Emulator()
    a = emu.add_project("A")
    b = emu.add_project("B", parents=[a, emu.root_id, a])
    emu.add_parent(b, a)
    assert emu.project(b)["parents"] == [a, emu.root_id]
    assert emu.project(emu.root_id)["groups"] == [a, b]


def test_project_records_are_copies() -> None:
    """Changing a given or returned record never changes the stored project."""
    emu = Emulator()
    perms: dict[str, Any] = {"members": dict(TOP), "everybody": dict(NONE)}
    states = [{"name": "todo", "type": "waiting", "color": "#000", "textColor": "#fff"}]
    pid = emu.add_project("P", perms=perms, task_states=states)
    perms["members"]["tasks"] = "none"
    states[0]["name"] = "changed"
    record = emu.project(pid)
    record["admins"].append("x")
    record["perms"]["everybody"]["tasks"] = "manage"
    assert emu.project(pid) == {
        "_id": pid,
        "name": "P",
        "parents": [emu.root_id],
        "admins": [],
        "members": [],
        "groups": [],
        "taskStates": [{"name": "todo", "type": "waiting", "color": "#000", "textColor": "#fff"}],
        "perms": {"members": TOP, "everybody": NONE},
    }


# Permissions


def test_default_levels_for_members_and_everybody() -> None:
    """Without ``perms``, members get the default member levels and others none."""
    emu = Emulator()
    member, other = emu.add_user("M", "M"), emu.add_user("O", "O")
    pid = emu.add_project("P", members=[member])
    assert levels(emu, member, pid) == {
        "tasks": "manage",
        "files": "manage",
        "gantt": "edit",
        "reports": "view",
    }
    assert levels(emu, other, pid) == NONE


def test_admins_get_the_top_level_of_every_feature() -> None:
    """Organization admins and admins of an ancestor get every feature's top level."""
    emu = Emulator()
    boss = emu.add_user("B", "B", org_admin=True)
    lead = emu.add_user("L", "L")
    top = emu.add_project("Top", admins=[lead])
    closed = {"members": NONE, "everybody": NONE}
    leaf = emu.add_project("Leaf", parents=[top, emu.add_project("Side")], perms=closed)
    assert levels(emu, boss, leaf) == TOP
    assert levels(emu, lead, leaf) == TOP
    emu.remove_user(boss)
    assert levels(emu, boss, leaf) == NONE


def test_missing_custom_levels_count_as_none() -> None:
    """A feature, or a whole members/everybody entry, missing from ``perms`` is ``none``."""
    emu = Emulator()
    member, other = emu.add_user("M", "M"), emu.add_user("O", "O")
    pid = emu.add_project("P", members=[member], perms={"everybody": {"tasks": "view"}})
    assert levels(emu, member, pid) == NONE
    assert levels(emu, other, pid) == {**NONE, "tasks": "view"}


def test_level_of_an_unknown_feature_raises() -> None:
    """``level`` only knows tasks, files, gantt and reports."""
    emu = Emulator()
    with pytest.raises(ValueError, match="unknown feature 'chat'"):
        emu.level("u", emu.root_id, "chat")


# Demo


def test_seed_demo_builds_the_documented_organization() -> None:
    """The demo has the documented users, tokens, DAG and customisations."""
    emu = Emulator()
    demo = seed_demo(emu)
    assert emu.token(demo.admin) == "demo-token"
    assert list(demo.projects) == [
        "Acme",
        "Engineering",
        "Marketing",
        "Secret",
        "Backend",
        "Frontend",
        "Website",
        "API",
    ]
    p = {name: emu.project(pid) for name, pid in demo.projects.items()}
    ids = demo.projects
    assert p["Acme"]["groups"] == [ids["Engineering"], ids["Marketing"], ids["Secret"]]
    assert p["Website"]["parents"] == [ids["Marketing"], ids["Frontend"]]
    assert p["API"]["parents"] == [ids["Backend"]]
    assert [s["name"] for s in p["API"]["taskStates"]] == ["todo", "doing", "done"]
    assert emu.level(demo.member, ids["Marketing"], "tasks") == "edit"
    assert emu.level(demo.outsider, ids["Marketing"], "tasks") == "view"
    assert emu.level(demo.outsider, ids["Frontend"], "tasks") == "view"
    assert not emu.visible(demo.outsider, ids["Secret"])
    assert emu.visible(demo.member, ids["Secret"])


# Faults and rate-limit settings


@pytest.mark.parametrize(
    "add",
    [
        lambda f: f.fail_next(0, 500),
        lambda f: f.malformed_next(0),
        lambda f: f.drop_next(-1),
    ],
    ids=["fail", "malformed", "drop"],
)
def test_faults_need_a_positive_count(add: Callable[[Any], None]) -> None:
    """``n`` below 1 raises ValueError."""
    with pytest.raises(ValueError, match="n must be at least 1"):
        add(Emulator().faults)


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((0,), {}), ((5, 0.0), {}), ((5,), {"retry_after": "minutes"})],
    ids=["no-requests", "no-period", "bad-retry-after"],
)
def test_bad_rate_limit_raises(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """A rate limit needs requests >= 1, period > 0 and a known Retry-After mode."""
    with pytest.raises(ValueError, match=r"rate limit|retry_after"):
        Emulator().set_rate_limit(*args, **kwargs)


# Pipeline details


def test_api_error_renders_an_application_code() -> None:
    """An error with a documented application code sends it next to the message."""
    response = ApiError(403, "Not permitted", code=4, headers={"X-Extra": "1"}).response()
    assert (response.status_code, response.body) == (403, b'{"message":"Not permitted","code":4}')
    assert response.headers["X-Extra"] == "1"


async def test_app_gets_the_body_then_the_servers_own_messages() -> None:
    """The app receives the body read ahead by the pipeline, then the server's messages."""
    emu = Emulator()
    token = emu.token(emu.add_user("A", "B"))
    incoming = [
        {"type": "http.request", "body": b"ab", "more_body": True},
        {"type": "http.request", "body": b"c", "more_body": False},
        {"type": "http.disconnect"},
    ]
    received: list[dict[str, Any]] = []
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        received.extend([await receive(), await receive()])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/v1/x",
        "query_string": b"",
        "headers": [(b"authorization", f"Bearer {token}".encode())],
    }
    await Gate(app, emulator=emu)(scope, receive, send)
    assert received == [
        {"type": "http.request", "body": b"abc", "more_body": False},
        {"type": "http.disconnect"},
    ]
    assert sent[0]["headers"] == [(b"x-request-id", b"req-000001")]
    assert emu.requests[0].body == b"abc"


async def test_lifespan_passes_through_the_pipeline() -> None:
    """Non-HTTP scopes (lifespan) reach Starlette untouched and are not logged."""
    emu = Emulator()
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await emu.app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    assert [m["type"] for m in sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]
    assert emu.requests == []


# Loopback server


def test_serve_accepts_connections_at_once_and_cleans_up() -> None:
    """``serve`` yields a working base URL, then closes the port and joins its thread."""
    emu = Emulator()
    token = emu.token(emu.add_user("A", "B"))
    with serve(emu) as base_url:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/v1/", base_url)
        response = httpx.get(f"{base_url}app/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base_url}app/me")
    assert not [t for t in threading.enumerate() if t.name == "cubicl-emulator"]


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback here")
def test_serve_on_ipv6_loopback() -> None:
    """An IPv6 host is bracketed in the base URL."""
    emu = Emulator()
    with serve(emu, host="::1") as base_url:
        assert re.fullmatch(r"http://\[::1\]:\d+/api/v1/", base_url)
        assert httpx.get(f"{base_url}groups").status_code == 401


def test_serve_port_in_use_raises_oserror() -> None:
    """A port that is taken raises OSError at once."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match="in use"), serve(Emulator(), port=port):
            pass  # pragma: no cover (never reached)


def test_serve_reports_a_startup_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that fails to start raises RuntimeError from the server's error."""

    async def fail(self: uvicorn.Server, sockets: Any = None) -> None:
        raise OSError("no can do")

    monkeypatch.setattr(uvicorn.Server, "startup", fail)
    with (
        pytest.raises(RuntimeError, match="failed to start") as caught,
        serve(Emulator()),
    ):
        pass  # pragma: no cover (never reached)
    assert str(caught.value.__cause__) == "no can do"


def test_drops_leave_no_traceback_in_the_log(caplog: pytest.LogCaptureFixture) -> None:
    """The loopback server logs nothing for an injected drop (no traceback)."""
    emu = Emulator()
    emu.faults.drop_next(1)
    with serve(emu) as base_url, pytest.raises(httpx.RemoteProtocolError):
        httpx.get(f"{base_url}groups")
    assert caplog.records == []


# Command line


def test_main_serves_the_demo_until_wait_returns(capsys: pytest.CaptureFixture[str]) -> None:
    """``main`` prints the base URL and demo token, then serves with the given rate limit."""
    statuses: list[int] = []

    def wait() -> None:
        line = capsys.readouterr().out
        match = re.fullmatch(r"Cubicl emulator at (\S+) \(token: demo-token\)\n", line)
        assert match is not None, line
        headers = {"Authorization": "Bearer demo-token"}
        with httpx.Client(base_url=match[1], headers=headers) as client:
            statuses.extend(client.get("app/me").status_code for _ in range(2))

    assert main(["--port", "0", "--rate-limit", "1", "--rate-period", "30"], wait=wait) == 0
    assert statuses == [200, 429]


def test_main_stops_on_ctrl_c() -> None:
    """Ctrl-C (KeyboardInterrupt) stops the server and ``main`` returns 0."""

    def interrupt() -> None:
        raise KeyboardInterrupt

    assert main(["--port", "0"], wait=interrupt) == 0


def test_command_line_serves_until_interrupted() -> None:
    """``python -m cubicl_async.testing`` prints its URL, serves, and exits 0 on SIGINT."""
    process = subprocess.Popen(
        [sys.executable, "-m", "cubicl_async.testing", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.fullmatch(r"Cubicl emulator at (http://127\.0\.0\.1:\d+/api/v1/) .*\n", line)
        assert match is not None, line
        response = httpx.get(f"{match[1]}app/me", headers={"Authorization": "Bearer demo-token"})
        assert response.json()["firstname"] == "Ada"
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)
        assert (process.returncode, stderr) == (0, "")
    finally:
        if process.poll() is None:  # pragma: no cover (only when the test fails)
            process.kill()
            process.communicate()
