"""Contract tests of the emulator's HTTP API, with raw httpx, in process and over loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cubicl_async.testing import Demo, Emulator, RequestRecord, serve
from cubicl_async.testing.projects import DEFAULT_PERMS

from .conftest import Connect

NOW = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC
NONE = {"tasks": "none", "files": "none", "gantt": "none", "reports": "none"}


class FakeClock:
    """A monotonic clock that moves only when a test advances it."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        """Return the current fake time."""
        return self.now


class Switchboard:
    """Lets one loopback server per module answer with the current test's emulator."""

    def __init__(self) -> None:
        self.current = Emulator()
        self.app = self  # what `serve` runs

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Pass the request to the current emulator's app."""
        await self.current.app(scope, receive, send)


@pytest.fixture(scope="module")
def loopback() -> Iterator[tuple[Switchboard, str]]:
    board = Switchboard()
    with serve(board) as base_url:  # type: ignore[arg-type]  # it only needs `.app`
        yield board, base_url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emu(clock: FakeClock) -> Emulator:
    return Emulator(clock=clock, now=lambda: NOW)


@pytest.fixture(params=["in_process", "loopback"])
def raw_base_url(
    request: pytest.FixtureRequest, emu: Emulator, loopback: tuple[Switchboard, str]
) -> str | None:
    """Run each test with raw clients in process, then over the module's loopback server."""
    board, base_url = loopback
    board.current = emu
    return base_url if request.param == "loopback" else None


@pytest.fixture
def admin(connect: Connect, demo: Demo) -> httpx.AsyncClient:
    return connect("demo-token")


def names(emu: Emulator, response: httpx.Response) -> list[str]:
    """Return the names of the projects in a ``GET /groups`` answer (checking its status)."""
    assert response.status_code == 200, response.text
    return [project["name"] for project in response.json()]


def outside(client: httpx.AsyncClient, path: str) -> str:
    """Return the absolute URL of a path outside ``/api/v1`` on the client's server."""
    return str(client.base_url.copy_with(path=path))


# Authentication


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "groups"), ("GET", "no/such/path"), ("POST", "groups"), ("GET", "/elsewhere")],
    ids=["known", "unknown", "wrong-method", "outside-prefix"],
)
async def test_missing_token_gets_401_on_any_path(
    connect: Connect, demo: Demo, method: str, path: str
) -> None:
    """Without a token every request gets 401, before routing (no 404 or 405)."""
    client = connect()
    url = outside(client, path) if path.startswith("/") else path
    response = await client.request(method, url)
    assert response.status_code == 401
    assert response.json() == {"message": "Missing or invalid bearer token"}
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.headers["X-Request-Id"] == "req-000001"


@pytest.mark.parametrize(
    "authorization",
    ["demo-token", "Token demo-token", "Bearer", "Basic ZGVtbzp0b2tlbg=="],
)
async def test_malformed_authorization_gets_401(
    connect: Connect, demo: Demo, authorization: str
) -> None:
    """An Authorization header that is not ``Bearer <token>`` gets 401."""
    response = await connect(authorization=authorization).get("app/me")
    assert response.status_code == 401


async def test_unknown_token_gets_401(connect: Connect, demo: Demo) -> None:
    """A well-formed but unknown token gets 401."""
    assert (await connect("nope").get("app/me")).status_code == 401


async def test_bearer_scheme_is_case_insensitive(connect: Connect, demo: Demo) -> None:
    """``bearer <token>`` is accepted like ``Bearer <token>``."""
    response = await connect(authorization="bearer demo-token").get("app/me")
    assert response.status_code == 200


async def test_removed_user_token_gets_401(connect: Connect, emu: Emulator, demo: Demo) -> None:
    """A removed user's token stops working."""
    client = connect(emu.token(demo.member))
    assert (await client.get("app/me")).status_code == 200
    emu.remove_user(demo.member)
    assert (await client.get("app/me")).status_code == 401
    assert demo.member in emu.project(demo.projects["Engineering"])["members"]


# Routing, error bodies, request ids


@pytest.mark.parametrize("path", ["no/such/path", "groups/", "/api/v1", "/elsewhere"])
async def test_unknown_path_gets_404_json(admin: httpx.AsyncClient, path: str) -> None:
    """An unknown path (a trailing slash included, never redirected) gets a JSON 404."""
    url = outside(admin, path) if path.startswith("/") else path
    response = await admin.get(url)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert set(response.json()) == {"message"}


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
async def test_wrong_method_gets_405_with_allow(admin: httpx.AsyncClient, method: str) -> None:
    """A known path with another method gets 405, a JSON message and an Allow header."""
    response = await admin.request(method, "groups")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"
    assert response.json() == {"message": f"Method Not Allowed: {method} /api/v1/groups"}


async def test_head_is_answered_where_get_is(admin: httpx.AsyncClient) -> None:
    """HEAD works wherever GET does, with no body."""
    response = await admin.head("groups")
    assert response.status_code == 200
    assert response.content == b""


async def test_request_ids_count_every_answer(connect: Connect, emu: Emulator, demo: Demo) -> None:
    """Success, errors and injected faults all carry the next ``req-NNNNNN`` id."""
    admin, anonymous = connect("demo-token"), connect()
    emu.faults.fail_next(1, 503, path="/users")
    responses = [
        await admin.get("groups"),
        await anonymous.get("groups"),
        await admin.get("nope"),
        await admin.get("users"),
        await admin.get("users"),
    ]
    assert [r.status_code for r in responses] == [200, 401, 404, 503, 400]
    assert [r.headers["X-Request-Id"] for r in responses] == [f"req-00000{n}" for n in range(1, 6)]
    emu.requests.clear()
    assert (await admin.get("groups")).headers["X-Request-Id"] == "req-000006"


# Users


async def test_app_me_describes_the_caller(connect: Connect, emu: Emulator, demo: Demo) -> None:
    """``GET /app/me`` returns the caller with fixed locale data and the organization."""
    response = await connect("demo-token").get("app/me")
    assert response.status_code == 200
    assert response.json() == {
        "_id": demo.admin,
        "firstname": "Ada",
        "lastname": "Lovelace",
        "profile": f"https://cubicl.test/profiles/{demo.admin}.png",
        "jobTitle": None,
        "language": "en",
        "localization": {"dateFormat": "DD/MM/YYYY", "timeFormat": "HH:mm", "timezone": 0},
        "org": {"name": "Acme", "countryCode": "US", "admins": [demo.admin], "isAdmin": True},
    }
    me = (await connect(emu.token(demo.member)).get("app/me")).json()
    assert (me["_id"], me["org"]["isAdmin"], me["org"]["admins"]) == (
        demo.member,
        False,
        [demo.admin],
    )


async def test_organization_users_lists_current_members(
    connect: Connect, emu: Emulator, demo: Demo
) -> None:
    """``GET /organization/users`` lists current members with email, not removed ones."""
    emu.remove_user(demo.outsider)
    response = await connect("demo-token").get("organization/users")
    assert response.json() == [
        {
            "_id": demo.admin,
            "firstname": "Ada",
            "lastname": "Lovelace",
            "profile": f"https://cubicl.test/profiles/{demo.admin}.png",
            "email": "ada.lovelace@example.com",
        },
        {
            "_id": demo.member,
            "firstname": "Grace",
            "lastname": "Hopper",
            "profile": f"https://cubicl.test/profiles/{demo.member}.png",
            "email": "grace.hopper@example.com",
        },
    ]


async def test_removed_org_admin_leaves_org_admins(
    connect: Connect, emu: Emulator, demo: Demo
) -> None:
    """A removed organization admin leaves ``org.admins`` and the main project's admins."""
    second = emu.add_user("Second", "Admin", org_admin=True)
    emu.remove_user(demo.admin)
    me = (await connect(emu.token(second)).get("app/me")).json()
    assert me["org"]["admins"] == [second]
    assert emu.project(emu.root_id)["admins"] == [second]


async def test_users_by_id_skips_unknown_and_never_returns_email(
    connect: Connect, emu: Emulator, demo: Demo
) -> None:
    """``GET /users`` follows the order of ids, once each, skips unknown ids, hides email."""
    emu.remove_user(demo.outsider)
    ids = f"{demo.outsider},unknown,{demo.admin},{demo.outsider}"
    response = await connect("demo-token").get("users", params={"ids": ids})
    assert response.status_code == 200
    body = response.json()
    assert [user["_id"] for user in body] == [demo.outsider, demo.admin]
    assert all(set(user) == {"_id", "firstname", "lastname", "profile"} for user in body)


async def test_users_without_ids_gets_400(admin: httpx.AsyncClient) -> None:
    """``GET /users`` without ``ids`` gets 400."""
    response = await admin.get("users")
    assert response.status_code == 400
    assert response.json() == {"message": "ids is required"}


async def test_users_with_empty_ids_gets_empty_list(admin: httpx.AsyncClient) -> None:
    """``GET /users?ids=`` gets an empty list."""
    assert (await admin.get("users", params={"ids": ""})).json() == []


# Projects


ALL = ["Acme", "Engineering", "Marketing", "Secret", "Backend", "Frontend", "Website", "API"]


async def test_groups_lists_every_visible_project_in_creation_order(
    admin: httpx.AsyncClient, emu: Emulator
) -> None:
    """``GET /groups`` without parent lists every project the caller sees, oldest first."""
    assert names(emu, await admin.get("groups")) == ALL


async def test_groups_with_parent_lists_direct_children(
    admin: httpx.AsyncClient, emu: Emulator, demo: Demo
) -> None:
    """``parent`` alone (or ``recursive=false``) gives the direct children."""
    root = emu.root_id
    assert names(emu, await admin.get("groups", params={"parent": root})) == [
        "Engineering",
        "Marketing",
        "Secret",
    ]
    engineering = {"parent": demo.projects["Engineering"], "recursive": "false"}
    assert names(emu, await admin.get("groups", params=engineering)) == ["Backend", "Frontend"]


async def test_groups_recursive_lists_each_descendant_once(
    admin: httpx.AsyncClient, emu: Emulator
) -> None:
    """``recursive=true`` gives all descendants once, even one with two parents."""
    response = await admin.get("groups", params={"parent": emu.root_id, "recursive": "true"})
    assert names(emu, response) == ALL[1:]


async def test_groups_recursive_survives_a_cycle(connect: Connect, emu: Emulator) -> None:
    """A cycle does not loop, and the parent is never among its own descendants."""
    boss = emu.add_user("Boss", "Admin", org_admin=True)
    a = emu.add_project("A")
    b = emu.add_project("B", parents=[a])
    c = emu.add_project("C", parents=[b])
    emu.add_parent(a, c)
    emu.add_parent(c, c)
    client = connect(emu.token(boss))
    assert names(emu, await client.get("groups", params={"parent": a, "recursive": "true"})) == [
        "B",
        "C",
    ]
    assert names(emu, await client.get("groups", params={"parent": c, "recursive": "true"})) == [
        "A",
        "B",
    ]
    assert names(emu, await client.get("groups", params={"parent": c})) == ["A", "C"]
    assert emu.project(a)["parents"] == [emu.root_id, c]


@pytest.mark.parametrize("value", ["True", "1", "", "yes"])
@pytest.mark.parametrize("with_parent", [True, False], ids=["with-parent", "without-parent"])
async def test_groups_bad_recursive_gets_400(
    admin: httpx.AsyncClient, emu: Emulator, value: str, with_parent: bool
) -> None:
    """``recursive`` must be ``true`` or ``false``, checked even without ``parent``."""
    params = {"recursive": value} | ({"parent": emu.root_id} if with_parent else {})
    response = await admin.get("groups", params=params)
    assert response.status_code == 400
    assert response.json() == {"message": f"recursive must be 'true' or 'false', not {value!r}"}


async def test_groups_recursive_without_parent_is_ignored(
    admin: httpx.AsyncClient, emu: Emulator
) -> None:
    """``recursive=true`` without ``parent`` lists every visible project, as without it."""
    assert names(emu, await admin.get("groups", params={"recursive": "true"})) == ALL


@pytest.mark.parametrize("parent", ["0123456789abcdef01234567", ""])
async def test_groups_unknown_parent_gets_404(admin: httpx.AsyncClient, parent: str) -> None:
    """An unknown (or empty) ``parent`` gets 404."""
    response = await admin.get("groups", params={"parent": parent})
    assert response.status_code == 404
    assert response.json() == {"message": f"Project {parent!r} not found"}


@pytest.mark.parametrize(("user", "project"), [("member", "Frontend"), ("outsider", "Acme")])
async def test_groups_invisible_parent_gets_403(
    connect: Connect, emu: Emulator, demo: Demo, user: str, project: str
) -> None:
    """A ``parent`` the caller cannot see gets 403."""
    client = connect(emu.token(getattr(demo, user)))
    response = await client.get("groups", params={"parent": demo.projects[project]})
    assert response.status_code == 403
    assert set(response.json()) == {"message"}


@pytest.mark.parametrize(
    ("user", "visible"),
    [
        ("admin", ALL),
        ("member", ["Engineering", "Marketing", "Secret", "Backend", "Website", "API"]),
        ("outsider", ["Marketing", "Frontend"]),
    ],
)
async def test_groups_lists_only_visible_projects(
    connect: Connect, emu: Emulator, demo: Demo, user: str, visible: list[str]
) -> None:
    """Org admin sees all; a member sees member and open projects; an outsider open ones."""
    client = connect(emu.token(getattr(demo, user)))
    assert names(emu, await client.get("groups")) == visible


async def test_recursive_walks_through_invisible_projects(
    connect: Connect, emu: Emulator, demo: Demo
) -> None:
    """Descendants below a project the caller cannot see are still found."""
    client = connect(emu.token(demo.member))
    params = {"parent": demo.projects["Engineering"], "recursive": "true"}
    assert names(emu, await client.get("groups", params=params)) == ["Backend", "Website", "API"]
    params["recursive"] = "false"
    assert names(emu, await client.get("groups", params=params)) == ["Backend"]


async def test_admin_of_an_ancestor_sees_every_descendant(connect: Connect, emu: Emulator) -> None:
    """A project admin sees the project and every descendant, whatever their perms."""
    eve = emu.add_user("Eve", "Admin")
    top = emu.add_project("Top", admins=[eve])
    mid = emu.add_project("Mid", parents=[top])
    emu.add_project("Leaf", parents=[mid], perms={"members": NONE, "everybody": NONE})
    emu.add_project("Elsewhere")
    assert names(emu, await connect(emu.token(eve)).get("groups")) == ["Top", "Mid", "Leaf"]


async def test_per_user_override_wins_over_membership(connect: Connect, emu: Emulator) -> None:
    """``perms.users[<id>]`` applies before the member levels, also to hide a project."""
    grace = emu.add_user("Grace", "Hopper")
    perms = {**DEFAULT_PERMS, "users": {grace: NONE}}
    emu.add_project("Hidden", members=[grace], perms=perms)
    emu.add_project("Shown", members=[grace])
    assert names(emu, await connect(emu.token(grace)).get("groups")) == ["Shown"]


async def test_records_are_sparse(admin: httpx.AsyncClient, emu: Emulator, demo: Demo) -> None:
    """Optional keys appear only when customised; the root has ``parents: null``."""
    projects = {p["name"]: p for p in (await admin.get("groups")).json()}
    base = {"_id", "name", "parents", "admins", "members", "groups"}
    assert projects["Acme"]["parents"] is None
    assert (projects["Acme"]["admins"], projects["Acme"]["members"]) == ([demo.admin], [])
    assert {name for name, p in projects.items() if set(p) == base} == {
        "Acme",
        "Engineering",
        "Backend",
        "Website",
    }
    assert set(projects["API"]) == base | {"taskStates"}
    assert set(projects["Marketing"]) == base | {"perms"}
    assert set(projects["Marketing"]["perms"]) == {"members", "everybody"}
    assert set(projects["Frontend"]["perms"]) == {"members", "everybody", "users"}
    assert projects["Website"]["parents"] == [demo.projects["Marketing"], demo.projects["Frontend"]]
    assert projects["Frontend"]["groups"] == [demo.projects["Website"]]
    assert projects["API"] == emu.project(demo.projects["API"])


# Rate limit


async def test_rate_limit_answers_429_with_retry_after_seconds(
    connect: Connect, emu: Emulator, demo: Demo, clock: FakeClock
) -> None:
    """Over the limit: 429, ``Retry-After`` in whole seconds; refused requests do not count."""
    emu.set_rate_limit(2, 10.0)
    client = connect("demo-token")
    assert (await client.get("app/me")).status_code == 200
    clock.now += 3.5
    assert (await client.get("nope")).status_code == 404  # routed requests count
    clock.now += 0.2
    refused = await client.get("app/me")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "7"  # 10 - 3.7 = 6.3, rounded up
    assert refused.json() == {"message": "Rate limit exceeded: at most 2 requests in 10 s"}
    clock.now += 6.3  # the first request leaves the window exactly now
    assert (await client.get("app/me")).status_code == 200
    assert (await client.get("app/me")).status_code == 429
    clock.now += 3.5
    assert (await client.get("app/me")).status_code == 200


async def test_retry_after_is_at_least_one_second(
    connect: Connect, emu: Emulator, demo: Demo, clock: FakeClock
) -> None:
    """A slot freeing in under a second still says ``Retry-After: 1``."""
    emu.set_rate_limit(1, 1.0)
    client = connect("demo-token")
    await client.get("app/me")
    clock.now += 0.9
    assert (await client.get("app/me")).headers["Retry-After"] == "1"


async def test_rate_limit_retry_after_as_http_date(
    connect: Connect, emu: Emulator, demo: Demo, clock: FakeClock
) -> None:
    """``retry_after="date"`` sends the moment a slot frees as an HTTP-date, rounded up."""
    emu.set_rate_limit(1, 60.0, retry_after="date")
    client = connect("demo-token")
    await client.get("app/me")
    clock.now += 0.5
    refused = await client.get("app/me")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "Tue, 14 Nov 2023 22:14:20 GMT"  # NOW + 59.5 s


async def test_rate_limit_without_retry_after(connect: Connect, emu: Emulator, demo: Demo) -> None:
    """``retry_after=None`` answers 429 without the header (nor X-RateLimit-*)."""
    emu.set_rate_limit(1, retry_after=None)
    client = connect("demo-token")
    await client.get("app/me")
    refused = await client.get("app/me")
    assert refused.status_code == 429
    assert not any(h.lower().startswith(("retry-after", "x-ratelimit")) for h in refused.headers)


async def test_rate_limit_is_per_token_and_skips_unauthenticated(
    connect: Connect, emu: Emulator, demo: Demo
) -> None:
    """Each token has its own window; 401s do not count; a new setting starts afresh."""
    emu.set_rate_limit(1)
    for _ in range(3):
        assert (await connect("wrong").get("app/me")).status_code == 401
    assert (await connect("demo-token").get("app/me")).status_code == 200
    assert (await connect(emu.token(demo.member)).get("app/me")).status_code == 200
    assert (await connect("demo-token").get("app/me")).status_code == 429
    emu.set_rate_limit(1)  # a new setting starts with empty windows
    assert (await connect("demo-token").get("app/me")).status_code == 200
    emu.set_rate_limit(None)
    assert (await connect("demo-token").get("app/me")).status_code == 200


async def test_constructor_sets_the_rate_limit(demo: Demo) -> None:
    """``Emulator(rate_limit=..., rate_period=...)`` enforces the limit from the start."""
    emu = Emulator(rate_limit=1, rate_period=30.0, retry_after=None)
    token = emu.token(emu.add_user("Solo", "User"))
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        transport=emu.transport(), base_url=emu.base_url_in_process, headers=headers
    ) as client:
        assert [(await client.get("app/me")).status_code for _ in range(2)] == [200, 429]


# Faults


async def test_fail_next_answers_the_status_before_authentication(
    connect: Connect, emu: Emulator, demo: Demo
) -> None:
    """``fail_next(n, status)`` answers the next n requests, even without a token."""
    emu.faults.fail_next(2, 503)
    client = connect()
    for _ in range(2):
        response = await client.get("app/me")
        assert response.status_code == 503
        assert response.json() == {"message": "Injected fault: HTTP 503"}
        assert "Retry-After" not in response.headers
    assert (await client.get("app/me")).status_code == 401
    assert [r.user_id for r in emu.requests] == [None, None, None]


async def test_fail_next_with_retry_after_and_json_body(
    connect: Connect, emu: Emulator, demo: Demo
) -> None:
    """``retry_after`` becomes the header as given; ``body`` is sent as JSON."""
    emu.faults.fail_next(1, 429, retry_after=1.5, body={"message": "slow down", "code": 9})
    emu.faults.fail_next(1, 429, retry_after="Wed, 21 Oct 2015 07:28:00 GMT")
    client = connect("demo-token")
    first, second = await client.get("app/me"), await client.get("app/me")
    assert (first.status_code, first.headers["Retry-After"]) == (429, "1.5")
    assert first.json() == {"message": "slow down", "code": 9}
    assert second.headers["Retry-After"] == "Wed, 21 Oct 2015 07:28:00 GMT"


async def test_fail_next_with_bytes_body_sends_text(
    connect: Connect, emu: Emulator, demo: Demo
) -> None:
    """A ``bytes`` body is sent as it is, as text/plain (a proxy's error page)."""
    emu.faults.fail_next(1, 502, body=b"<html>Bad Gateway</html>")
    response = await connect("demo-token").get("groups")
    assert response.status_code == 502
    assert response.content == b"<html>Bad Gateway</html>"
    assert response.headers["content-type"].startswith("text/plain")


async def test_fault_filters_on_method_and_path(
    connect: Connect, emu: Emulator, demo: Demo
) -> None:
    """A fault with ``method``/``path`` only hits matching requests, oldest fault first."""
    emu.faults.fail_next(1, 500, method="post", path="/groups")
    emu.faults.fail_next(1, 502, path="/groups")
    emu.faults.fail_next(1, 503, method="GET")
    client = connect("demo-token")
    assert (await client.get("organization/users")).status_code == 503
    assert (await client.get("app/me")).status_code == 200
    assert (await client.get("groups")).status_code == 502
    assert (await client.post("groups")).status_code == 500
    assert (await client.post("groups")).status_code == 405


async def test_malformed_next_answers_invalid_json(
    connect: Connect, emu: Emulator, demo: Demo
) -> None:
    """``malformed_next`` answers 200 application/json with a body that does not parse."""
    emu.faults.malformed_next(1, path="/groups")
    response = await connect("demo-token").get("groups")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(ValueError, match="Unterminated string"):
        response.json()


async def test_drop_next_before_body_processes_nothing(
    connect: Connect, emu: Emulator, demo: Demo
) -> None:
    """``drop_next`` loses the connection; the request is logged with status 0, unread."""
    emu.faults.drop_next(1)
    client = connect("demo-token")
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        await client.post("groups", json={"name": "x"})
    assert emu.requests == [RequestRecord("POST", "/groups", {}, 0, None, b"")]
    assert (await client.get("app/me")).status_code == 200


async def test_drop_next_after_body_processes_the_request(
    connect: Connect, emu: Emulator, demo: Demo
) -> None:
    """``drop_next(after_body=True)`` runs the request, then drops instead of answering."""
    emu.faults.drop_next(1, after_body=True)
    client = connect("demo-token")
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        await client.put("groups", params={"a": "1"}, content=b"payload")
    assert emu.requests == [RequestRecord("PUT", "/groups", {"a": "1"}, 0, demo.admin, b"payload")]


async def test_drop_in_process_raises_remote_protocol_error(emu: Emulator, demo: Demo) -> None:
    """In process a drop raises the same error as a server closing the connection."""
    emu.faults.drop_next(1)
    async with httpx.AsyncClient(
        transport=emu.transport(), base_url=emu.base_url_in_process
    ) as client:
        with pytest.raises(httpx.RemoteProtocolError, match=r"^Server disconnected without"):
            await client.get("groups")


async def test_latency_delays_every_answer(connect: Connect, emu: Emulator, demo: Demo) -> None:
    """``faults.latency`` delays answers, injected ones too; ``clear()`` resets it."""
    client = connect("demo-token")
    emu.faults.latency = 0.05
    emu.faults.fail_next(1, 500)
    for expected in (500, 200):
        started = time.monotonic()
        assert (await client.get("app/me")).status_code == expected
        assert time.monotonic() - started >= 0.05
    emu.faults.fail_next(1, 500)
    emu.faults.clear()
    assert emu.faults.latency == 0
    assert (await client.get("app/me")).status_code == 200


# Request log


async def test_request_log_records_each_request(
    connect: Connect, emu: Emulator, demo: Demo
) -> None:
    """Each request is logged: relative path, last query value, status, user and body."""
    admin, anonymous = connect("demo-token"), connect()
    await admin.post("groups?x=1&x=2", content=b'{"name": "N"}')
    await anonymous.get(outside(anonymous, "/elsewhere"))
    assert emu.requests == [
        RequestRecord("POST", "/groups", {"x": "2"}, 405, demo.admin, b'{"name": "N"}'),
        RequestRecord("GET", "/elsewhere", {}, 401, None, b""),
    ]
