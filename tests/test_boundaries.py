"""Every boundary holds: hostile answers, hostile ids, bad options, other loops, the log."""

from __future__ import annotations

import asyncio
import gzip
import logging
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cubicl_async import (
    APIConnectionError,
    APIError,
    AsyncCubicl,
    ClientStateError,
    ConfigurationError,
    CubiclError,
    DecodeError,
    InsecureURLWarning,
    NotFoundError,
    PaginationError,
    Project,
    ProjectTree,
    RateLimit,
    RetryPolicy,
    ServerError,
    Task,
)
from cubicl_async.testing import Demo, Emulator

from .conftest import FAST_RETRY

TOKEN = "demo-token"  # noqa: S105 - the emulator's demo token
BASE = "https://cubicl.test/api/v1/"
Handler = Callable[[httpx.Request], httpx.Response]


def answering(handler: Handler, **options: Any) -> AsyncCubicl:
    """Return a client whose every request is answered by `handler` (no throttle)."""
    defaults: dict[str, Any] = {"base_url": BASE, "rate_limit": None, "retry": FAST_RETRY}
    return AsyncCubicl(TOKEN, transport=httpx.MockTransport(handler), **{**defaults, **options})


def always(status: int, content: bytes = b"", **headers: str) -> Handler:
    """Return a handler that answers every request the same way (headers as latin-1 bytes)."""
    raw = [(k.encode(), v.encode("latin-1")) for k, v in headers.items()]
    return lambda request: httpx.Response(status, content=content, headers=raw)


# --- ids that leave their path segment -----------------------------------------------------

DOTS = [".", "..", "%2e", "%2E%2e", ".%2E"]
ID_CALLS: list[tuple[str, Callable[[AsyncCubicl, str], Any]]] = [
    ("task_id", lambda c, x: c.tasks.get(x)),
    ("task_id", lambda c, x: c.tasks.delete(x)),
    ("task_id", lambda c, x: c.tasks.update(x, name="n")),
    ("task_id", lambda c, x: c.tasks.set_state(x, "cb_active")),
    ("task_id", lambda c, x: c.tasks.activities(x)),
    ("task_id", lambda c, x: c.tasks.comment(x, "hi")),
    ("activity_id", lambda c, x: c.tasks.set_comment_visibility("t1", x, visible=True)),
    ("parent_id", lambda c, x: c.tasks.create_subtask(x, name="n")),
    ("project", lambda c, x: c.tasks.create(project=x, name="n")),
    ("task_id", lambda c, x: c.tasks.get_many(["ok", x])),
    ("project", lambda c, x: c.tasks.list(project=x).to_list()),
    ("assignee", lambda c, x: c.tasks.list(assignee=x).to_list()),
    ("assigned_by", lambda c, x: c.tasks.list(assigned_by=x).to_list()),
    ("customer", lambda c, x: c.tasks.list(customer=x).to_list()),
    ("parent", lambda c, x: c.projects.list(x).to_list()),
]


@pytest.mark.parametrize("bad", [*DOTS, ""], ids=[*DOTS, "empty"])
@pytest.mark.parametrize(("name", "call"), ID_CALLS, ids=[f"{n}-{i}" for i, (n, _) in
                                                         enumerate(ID_CALLS)])  # fmt: skip
async def test_an_id_that_is_not_one_segment_is_refused_before_sending(
    name: str, call: Callable[[AsyncCubicl, str], Any], bad: str
) -> None:
    """A dot segment (also percent-encoded) or an empty id, in a path or a filter: ValueError."""
    sent: list[httpx.Request] = []
    async with answering(lambda r: sent.append(r) or httpx.Response(200, json=[])) as client:
        with pytest.raises(ValueError, match=name):
            await call(client, bad)
    assert sent == []


async def test_ids_that_stay_one_segment_are_percent_encoded() -> None:
    """A slash, a question mark or a percent sign in an id travels encoded, in its segment."""
    seen: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode())
        return httpx.Response(204)

    async with answering(record) as client:
        await client.tasks.delete("a/b?c%2e")
        await client.tasks.delete("...")
    assert seen == ["/api/v1/tasks/a%2Fb%3Fc%252e", "/api/v1/tasks/..."]


# --- answers that are not what the endpoint returns ----------------------------------------

DEEP = b"[" * 100_000 + b"]" * 100_000
SHAPE_CALLS: list[tuple[str, Callable[[AsyncCubicl], Any]]] = [
    ("projects.list", lambda c: c.projects.list().to_list()),
    ("tasks.get", lambda c: c.tasks.get("t1")),
    ("tasks.list", lambda c: c.tasks.list().to_list()),
    ("tasks.activities", lambda c: c.tasks.activities("t1")),
    ("tasks.update", lambda c: c.tasks.update("t1", name="n")),
]


@pytest.mark.parametrize(
    "body", [b"", b"{}", b'""', b"null", b"[1]", b'{"_id": 5}', DEEP, b"\xff\xfe", b"[{]"],
    ids=["empty", "object", "string", "null", "int-items", "bad-id", "deep", "not-utf8", "bad"],
)  # fmt: skip
@pytest.mark.parametrize(("name", "call"), SHAPE_CALLS, ids=[n for n, _ in SHAPE_CALLS])
async def test_a_2xx_answer_that_does_not_fit_raises_decode_error(
    name: str, call: Callable[[AsyncCubicl], Any], body: bytes
) -> None:
    """Whatever a 2xx body holds, it is the endpoint's shape or a DecodeError with the body."""
    if body in (b"{}", b'{"_id": 5}') and name in ("tasks.get", "tasks.update"):
        body = b'{"name": 5}'  # an object is this endpoint's shape: break a field instead
    async with answering(always(200, body)) as client:
        with pytest.raises(DecodeError) as caught:
            await call(client)
    assert caught.value.body == body


async def test_an_empty_answer_is_right_where_the_endpoint_returns_nothing() -> None:
    """DELETE answers nothing: an empty 204 (or any body) is success."""
    async with answering(always(204)) as client:
        assert await client.tasks.delete("t1") is None


@pytest.mark.parametrize("status", [400, 404, 418, 422, 500, 503])
@pytest.mark.parametrize(
    "body",
    [b"", DEEP, b"\xff", b"[]", b'{"message": 5}', b'"text"'],
    ids=["empty", "deep", "not-utf8", "array", "bad-message", "string"],
)
async def test_a_non_2xx_answer_is_its_typed_error_whatever_its_body(
    status: int, body: bytes
) -> None:
    """The status decides the class; the body is kept as JSON or text, never an exception."""
    async with answering(always(status, body), retry=RetryPolicy(max_retries=0)) as client:
        with pytest.raises(APIError) as caught:
            await client.projects.list()
    assert caught.value.status_code == status
    assert isinstance(caught.value.body, str | list | dict)


# --- httpx errors stay inside the tree -----------------------------------------------------


async def test_a_corrupt_content_encoding_is_a_decode_error() -> None:
    """A gzip header over bytes that are not gzip: DecodeError, chained to httpx's error."""
    async with answering(always(200, b"not gzip", **{"Content-Encoding": "gzip"})) as client:
        with pytest.raises(DecodeError) as caught:
            await client.projects.list()
    assert isinstance(caught.value.__cause__, httpx.DecodingError)


async def test_a_gzip_answer_that_is_whole_decodes() -> None:
    """The counterpart: real gzip is read as usual."""
    body = gzip.compress(b'[{"_id": "p1"}]')
    async with answering(always(200, body, **{"Content-Encoding": "gzip"})) as client:
        assert await client.projects.list() == [Project(id="p1")]


async def test_a_redirect_loop_in_a_users_client_is_a_connection_error() -> None:
    """An http_client that follows redirects into a loop: APIConnectionError, not httpx's."""
    loop = httpx.MockTransport(lambda r: httpx.Response(302, headers={"Location": str(r.url)}))
    async with httpx.AsyncClient(transport=loop, follow_redirects=True) as http:
        client = AsyncCubicl(TOKEN, base_url=BASE, http_client=http, rate_limit=None,
                             retry=RetryPolicy(max_retries=0))  # fmt: skip
        with pytest.raises(APIConnectionError) as caught:
            await client.projects.list()
        await client.aclose()
    assert isinstance(caught.value.__cause__, httpx.TooManyRedirects)


async def test_a_redirect_is_not_followed_by_our_client() -> None:
    """Our own httpx client follows no redirect: a 3xx is an APIError, the token stays home."""
    async with answering(always(302, Location="https://elsewhere.test/")) as client:
        with pytest.raises(APIError) as caught:
            await client.projects.list()
    assert caught.value.status_code == 302


@pytest.mark.parametrize(
    "exc", [httpx.ConnectError("refused"), httpx.ReadError("reset"),
            httpx.UnsupportedProtocol("gopher"), httpx.LocalProtocolError("bad")],
    ids=["connect", "read", "protocol", "local"],
)  # fmt: skip
async def test_every_transport_failure_is_a_connection_error(exc: httpx.RequestError) -> None:
    """Whatever httpx raises for a request ends as an APIConnectionError chained to it."""

    def fail(request: httpx.Request) -> httpx.Response:
        raise exc

    async with answering(fail, retry=RetryPolicy(max_retries=0)) as client:
        with pytest.raises(APIConnectionError) as caught:
            await client.projects.list()
    assert caught.value.__cause__ is exc
    assert caught.value.request_sent is not isinstance(exc, httpx.ConnectError)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    status=st.integers(100, 599),
    headers=st.dictionaries(
        st.sampled_from(["Retry-After", "Content-Type", "Content-Encoding", "X-Request-Id"]),
        st.text(st.characters(codec="latin-1", exclude_categories=["Cc"]), max_size=40),
    ),
    body=st.binary(max_size=200) | st.sampled_from([b"[]", b"{}", b'[{"_id": "x"}]', DEEP]),
)
def test_any_answer_gives_the_documented_type_or_a_cubicl_error(
    status: int, headers: dict[str, str], body: bytes
) -> None:
    """Any status, any headers, any bytes: a call returns its type or raises a CubiclError."""

    async def run() -> None:
        policy = RetryPolicy(max_retries=1, initial_delay=0.001, max_delay=0.001,
                             max_retry_after=0.001)  # fmt: skip
        async with answering(always(status, body, **headers), retry=policy) as client:
            for call in (client.projects.list(), client.tasks.get("t1"), client.tasks.delete("t")):
                try:
                    result = await call
                except CubiclError:
                    continue
                assert result is None or isinstance(result, list | Task)

    asyncio.run(run())


# --- a pager that never ends ---------------------------------------------------------------


async def test_a_server_that_ignores_skip_raises_pagination_error() -> None:
    """The same full page again and again: one page yielded, then PaginationError, no loop."""
    sent: list[httpx.Request] = []
    page = [{"_id": f"t{i}"} for i in range(3)]
    async with answering(lambda r: sent.append(r) or httpx.Response(200, json=page)) as client:
        pages = client.tasks.list(page_size=3, max_items=1000).pages()
        first = await anext(pages)
        with pytest.raises(PaginationError, match="ignore the paging cursor"):
            await anext(pages)
    assert [task.id for task in first] == ["t0", "t1", "t2"]
    assert len(sent) == 2


async def test_an_item_repeated_within_a_page_is_yielded_once() -> None:
    """Duplicates inside one answer are dropped, for paged and unpaged lists alike."""
    twice = [{"_id": "a"}, {"_id": "b"}, {"_id": "a"}]
    async with answering(always(200, httpx.Response(200, json=twice).content)) as client:
        assert [p.id for p in await client.projects.list()] == ["a", "b"]
        assert [t.id for t in await client.tasks.list(page_size=10)] == ["a", "b"]


# --- walks and trees ----------------------------------------------------------------------


def chain(n: int) -> list[Project]:
    """Return n projects, each the child of the one before, the last leading back to the first."""
    ids = [f"p{i}" for i in range(n)]
    return [Project(id=ids[i], name=ids[i], parents=(ids[i - 1],) if i else (ids[-1],))
            for i in range(n)]  # fmt: skip


def test_a_tree_2000_deep_renders_and_walks_without_recursion() -> None:
    """str(tree) of a 2,000-deep chain with a cycle: every project drawn once, no RecursionError."""
    tree = ProjectTree(chain(2000), roots=["p0"])
    lines = str(tree).splitlines()
    assert len(lines) == 2001  # each project, then p0 again marked as the cycle
    assert lines[-1].endswith("p0  (cycle)")
    nodes = list(tree.nodes())
    assert [n.depth for n in nodes] == list(range(1, 2001))
    assert nodes[-1].path == tuple(f"p{i}" for i in range(2000))


async def test_walk_never_yields_its_root_even_when_a_cycle_lists_it() -> None:
    """A server listing the root among its own descendants: walk(root) still leaves it out."""
    records = [{"_id": p.id, "parents": list(p.parents)} for p in chain(4)]
    async with answering(always(200, httpx.Response(200, json=records).content)) as client:
        nodes = [node async for node in client.projects.walk("p0")]
    assert [n.project.id for n in nodes] == ["p1", "p2", "p3"]
    assert [n.path for n in nodes][-1] == ("p1", "p2", "p3")


# --- constructor and argument checks ------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"token": 123}, "token must be a str"),
        ({"rate_limit": 60}, "rate_limit must be a RateLimit"),
        ({"retry": 3}, "retry must be a RetryPolicy"),
        ({"max_concurrency": "5"}, "max_concurrency must be at least 1"),
        ({"max_concurrency": 2.5}, "max_concurrency must be at least 1"),
        ({"timeout": "30"}, "timeout must be"),
        ({"timeout": 0}, "timeout must be positive"),
        ({"max_queue_wait": -1}, "max_queue_wait must be at least 0"),
        ({"transport": object()}, "transport must be"),
        ({"base_url": "https://cubicl.io/api/v1/?x=1"}, "query or a fragment"),
        ({"base_url": "https://cubicl.io/api/v1/#top"}, "query or a fragment"),
        ({"base_url": "https://cubicl.io/api\r\nX-Evil: 1"}, "control characters"),
        ({"base_url": "https:///api/v1/"}, "names no host"),
        ({"base_url": "https://user:pw@cubicl.io/api/v1/"}, "credentials"),
        ({"base_url": "https://cubicl.io:99999/"}, "not a valid URL"),
        ({"base_url": "ftp://cubicl.io/"}, "must start with https://"),
    ],
    ids=["token-int", "rate-int", "retry-int", "concurrency-str", "concurrency-float",
         "timeout-str", "timeout-zero", "queue-negative", "transport", "query", "fragment",
         "crlf", "no-host", "credentials", "port", "scheme"],
)  # fmt: skip
def test_bad_options_raise_configuration_error_naming_them(
    options: dict[str, Any], message: str
) -> None:
    """Each bad option fails at construction, naming itself, not later from deep inside."""
    token = options.pop("token", TOKEN)
    with pytest.raises(ConfigurationError, match=message):
        AsyncCubicl(token, **options)


def test_plain_http_to_another_host_warns_and_loopback_does_not() -> None:
    """http:// sends the token in clear: a warning, except to this machine or reserved names."""
    with pytest.warns(InsecureURLWarning, match="unencrypted"):
        AsyncCubicl(TOKEN, base_url="http://cubicl.io/api/v1/")
    for local in ("http://127.0.0.1:8000/", "http://localhost/", "http://[::1]/",
                  "http://cubicl.test/api/v1/"):  # fmt: skip
        AsyncCubicl(TOKEN, base_url=local)  # filterwarnings=error: a warning would fail


async def test_a_string_where_ids_are_expected_is_a_type_error() -> None:
    """get_many("abc") would fetch /tasks/a, /tasks/b, ...: it is refused, nothing sent."""
    async with answering(always(500)) as client:
        with pytest.raises(TypeError, match="collection of ids"):
            await client.tasks.get_many("abc")


async def test_a_date_where_a_datetime_is_expected_is_a_clear_type_error() -> None:
    """A `date` for a timestamp field names the argument, before anything is sent."""
    async with answering(always(500)) as client:
        with pytest.raises(TypeError, match="deadline"):
            await client.tasks.create(project="p", name="n", deadline=date(2026, 1, 1))  # type: ignore[typeddict-item]


# --- closing from another loop --------------------------------------------------------------


def test_aclose_from_a_later_event_loop_closes_what_it_can(emu: Emulator, demo: Demo) -> None:
    """A shutdown hook in a later asyncio.run closes the client; it is closed for good.

    In process there is no socket, so the close succeeds. Over the network, the pooled
    connections belong to the first loop: `aclose()` raises `ClientStateError` saying so
    (Python then warns of the first loop's sockets, which only that loop could close).
    """
    client = AsyncCubicl(TOKEN, base_url=emu.base_url_in_process, transport=emu.transport(),
                         rate_limit=None)  # fmt: skip
    asyncio.run(client.projects.list().to_list())
    asyncio.run(client.aclose())
    with pytest.raises(ClientStateError, match="closed"):
        asyncio.run(client.projects.list().to_list())


# --- logging -----------------------------------------------------------------------------


async def test_a_handled_error_prints_nothing(
    local: AsyncCubicl, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 404 the caller catches leaves stderr empty: the library's only handler is a NullHandler."""
    assert any(
        isinstance(h, logging.NullHandler) for h in logging.getLogger("cubicl_async").handlers
    )
    with pytest.raises(NotFoundError):
        await local.tasks.get("ffffffffffffffffffffffff")
    assert capsys.readouterr().err == ""


@pytest.mark.looptime
async def test_a_long_cooldown_is_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    """A 429 asking for more than a few seconds is logged at WARNING: the caller cannot see it."""
    answers = iter([
        httpx.Response(429, headers={"Retry-After": "0"}),
        httpx.Response(429, headers={"Retry-After": "6"}),
        httpx.Response(200, json=[]),
    ])  # fmt: skip
    caplog.set_level(logging.DEBUG, logger="cubicl_async")
    async with answering(lambda r: next(answers), rate_limit=RateLimit(1000, 1.0)) as client:
        task = asyncio.ensure_future(client.projects.list().to_list())
        await asyncio.sleep(1)  # virtual: inside the 6 s cooldown
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    cooldowns = [r for r in caplog.records if "every request waits" in r.getMessage()]
    assert [r.levelno for r in cooldowns] == [logging.DEBUG, logging.WARNING]


def test_server_error_is_still_raised_after_retries() -> None:
    """Sanity: the retry warnings do not swallow the final error."""

    async def run() -> None:
        async with answering(always(503)) as client:
            with pytest.raises(ServerError) as caught:
                await client.projects.list()
        assert caught.value.retries_taken == 2

    asyncio.run(run())


# --- the same hostile answers from the emulator, in process and over loopback ---------------


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (lambda f: f.fail_next(1, 200, body=b""), DecodeError),
        (lambda f: f.fail_next(1, 200, body={}), DecodeError),
        (lambda f: f.fail_next(1, 200, body=""), DecodeError),
        (lambda f: f.fail_next(1, 200, body=DEEP, headers={"Content-Type": "application/json"}),
         DecodeError),
        (lambda f: f.fail_next(1, 200, body=b"not gzip", headers={"Content-Encoding": "gzip"}),
         DecodeError),
        (lambda f: f.fail_next(1, 404, body=DEEP), NotFoundError),
    ],
    ids=["empty", "object", "string", "deep", "bad-encoding", "deep-404"],
)  # fmt: skip
async def test_the_emulators_hostile_answers_end_as_typed_errors(
    client: AsyncCubicl, emu: Emulator, fault: Callable[[Any], None], error: type[Exception]
) -> None:
    """Each fault mode of the emulator reaches the caller as its CubiclError, on both wires."""
    fault(emu.faults)
    with pytest.raises(error):
        await client.projects.list()


async def test_the_emulator_ignoring_skip_ends_in_pagination_error(
    client: AsyncCubicl, emu: Emulator, demo: Demo
) -> None:
    """unpaged_next: the second page is the first again; the pager stops with an error."""
    emu.faults.unpaged_next(5, path="/tasks")
    with pytest.raises(PaginationError):
        await client.tasks.list(page_size=2)
    assert [r.query.get("skip") for r in emu.requests] == ["0", "2"]
