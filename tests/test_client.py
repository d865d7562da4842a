"""AsyncCubicl: configuration, lifecycle, the error mapping and the request pipeline."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable

import httpx
import pytest

import cubicl_async
from cubicl_async import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AsyncCubicl,
    ClientStateError,
    ConfigurationError,
    DecodeError,
    RateLimit,
    RateLimitError,
    RetryPolicy,
    ServerError,
)
from cubicl_async._errors import STATUS_ERRORS
from cubicl_async.testing import Demo, Emulator, serve

from .conftest import FAST_RETRY

TOKEN = "demo-token"  # noqa: S105 - the emulator's demo token, not a secret


class Recorder(httpx.AsyncBaseTransport):
    """Wraps a transport and keeps every request it sends (to look at headers)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Record the request, then send it through the wrapped transport."""
        self.requests.append(request)
        return await self.inner.handle_async_request(request)


def make(emu: Emulator, **options: object) -> AsyncCubicl:
    """Build an in-process client of the demo admin with fast retries and no throttle."""
    defaults: dict[str, object] = {
        "base_url": emu.base_url_in_process,
        "transport": emu.transport(),
        "rate_limit": None,
        "retry": FAST_RETRY,
    }
    return AsyncCubicl(TOKEN, **{**defaults, **options})  # type: ignore[arg-type]


# --- configuration -----------------------------------------------------------------------


async def test_token_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, emu: Emulator
) -> None:
    """Without token=, CUBICL_TOKEN is used; without either, ConfigurationError names both."""
    ada = emu.add_user("Ada", "L", token="from-env", org_admin=True)
    monkeypatch.setenv("CUBICL_TOKEN", "from-env")
    async with AsyncCubicl(base_url=emu.base_url_in_process, transport=emu.transport()) as client:
        await client.projects.list()
    assert emu.requests[0].user_id == ada
    monkeypatch.delenv("CUBICL_TOKEN")
    with pytest.raises(ConfigurationError, match=r"token=.*CUBICL_TOKEN"):
        AsyncCubicl()


def test_base_url_comes_from_argument_environment_or_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """base_url= wins over CUBICL_BASE_URL, which wins over the documented default."""
    monkeypatch.delenv("CUBICL_BASE_URL", raising=False)
    assert AsyncCubicl(TOKEN).base_url == "https://cubicl.io/api/v1/"
    monkeypatch.setenv("CUBICL_BASE_URL", "http://127.0.0.1:9/api/v1")
    assert AsyncCubicl(TOKEN).base_url == "http://127.0.0.1:9/api/v1/"
    assert AsyncCubicl(TOKEN, base_url="https://x.test/v1/").base_url == "https://x.test/v1/"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"base_url": "cubicl.io/api"}, "base_url must start with"),
        ({"max_concurrency": 0}, "max_concurrency must be at least 1"),
        ({"transport": httpx.MockTransport(lambda r: httpx.Response(200)),
          "http_client": httpx.AsyncClient()}, "not both"),
    ],
    ids=["scheme", "concurrency", "transport-and-client"],
)  # fmt: skip
def test_bad_options_raise_configuration_error(options: dict[str, object], message: str) -> None:
    """Each bad constructor option raises ConfigurationError saying what is wrong."""
    with pytest.raises(ConfigurationError, match=message):
        AsyncCubicl(TOKEN, **options)  # type: ignore[arg-type]


def test_a_token_with_whitespace_is_refused_without_echoing_it() -> None:
    """A token with a newline is refused, and the message does not contain it."""
    with pytest.raises(ConfigurationError) as caught:
        AsyncCubicl("secret\nvalue")
    assert "secret" not in str(caught.value)


def test_the_token_never_appears_in_the_repr() -> None:
    """repr(client) shows the base URL, never the token."""
    assert "sekrit" not in repr(AsyncCubicl("sekrit-token"))


# --- lifecycle ---------------------------------------------------------------------------


async def test_requests_carry_bearer_token_user_agent_and_json(emu: Emulator, demo: Demo) -> None:
    """Every request sends `Authorization: Bearer`, a versioned User-Agent and Accept JSON."""
    recorder = Recorder(emu.transport())
    async with make(emu, transport=recorder) as client:
        await client.projects.list()
    headers = recorder.requests[0].headers
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert headers["user-agent"].startswith(f"cubicl-async/{cubicl_async.__version__} ")
    assert headers["accept"] == "application/json"


async def test_client_is_bound_lazily_and_reports_use_after_close(
    emu: Emulator, demo: Demo
) -> None:
    """A client built outside a loop works inside one; after aclose() it raises clearly."""
    client = make(emu)
    assert len(await client.projects.list()) > 0
    await client.aclose()
    await client.aclose()  # a second close does nothing
    assert "closed" in repr(client)
    with pytest.raises(ClientStateError, match="closed"):
        await client.projects.list()


def test_use_from_a_second_event_loop_is_a_clear_error(emu: Emulator, demo: Demo) -> None:
    """A client used in one asyncio.run and then in another raises ClientStateError."""
    client = make(emu)

    async def first() -> None:
        await client.projects.list()

    async def second() -> None:
        with pytest.raises(ClientStateError, match="event loop"):
            await client.projects.list()
        await client.aclose()  # in process: no socket belongs to the first loop

    asyncio.run(first())
    asyncio.run(second())


async def test_an_injected_http_client_is_used_and_never_closed(emu: Emulator, demo: Demo) -> None:
    """http_client= is used as given, and closing our client leaves it open."""
    async with httpx.AsyncClient(transport=emu.transport()) as http:
        async with AsyncCubicl(
            TOKEN, base_url=emu.base_url_in_process, http_client=http, rate_limit=None
        ) as client:
            await client.projects.list()
        assert not http.is_closed
    assert [r.path for r in emu.requests] == ["/groups"]


async def test_an_unclosed_client_warns_on_collection(emu: Emulator, demo: Demo) -> None:
    """A used client dropped without aclose() emits a ResourceWarning, not a scheduled task."""
    client = make(emu)
    await client.projects.list()
    del client
    with pytest.warns(ResourceWarning, match="was not closed"):
        gc.collect()


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind"),
    [*STATUS_ERRORS.items(), (500, ServerError), (507, ServerError), (409, APIError)],
    ids=str,
)
async def test_each_status_raises_its_error_class(
    client: AsyncCubicl, emu: Emulator, status: int, kind: type[APIError]
) -> None:
    """Every documented status maps onto its class, carrying status, message and request id."""
    emu.faults.fail_next(5, status, body={"message": "nope", "code": 77}, retry_after=9999)
    with pytest.raises(kind) as caught:
        await client.projects.list()
    error = caught.value
    assert type(error) is kind
    assert (error.status_code, error.code, error.message) == (status, 77, "nope")
    assert error.method == "GET"
    assert error.url.endswith("/groups")
    assert error.request_id is not None
    assert error.request_id.startswith("req-")
    assert TOKEN not in str(error) + repr(error) + repr(error.body)


async def test_a_401_from_a_wrong_token_is_an_authentication_error(
    emu: Emulator, demo: Demo
) -> None:
    """An unknown token gets AuthenticationError with the server's message, and no retry."""
    async with AsyncCubicl(
        "wrong", base_url=emu.base_url_in_process, transport=emu.transport(), retry=FAST_RETRY
    ) as client:
        with pytest.raises(cubicl_async.AuthenticationError) as caught:
            await client.projects.list()
    assert caught.value.retries_taken == 0
    assert len(emu.requests) == 1


async def test_an_error_body_that_is_not_json_is_kept_as_text(
    client: AsyncCubicl, emu: Emulator
) -> None:
    """An HTML error page maps by status; its text is the body, the reason phrase the message."""
    emu.faults.fail_next(1, 403, body=b"<html>denied</html>")
    with pytest.raises(cubicl_async.PermissionDeniedError) as caught:
        await client.projects.list()
    assert caught.value.body == "<html>denied</html>"
    assert caught.value.message == "Forbidden"
    assert caught.value.code is None


async def test_malformed_json_raises_decode_error_with_the_body(
    client: AsyncCubicl, emu: Emulator
) -> None:
    """A 2xx body that is not JSON raises DecodeError carrying the raw body and request id."""
    emu.faults.malformed_next(1)
    with pytest.raises(DecodeError) as caught:
        await client.projects.list()
    assert caught.value.body
    assert caught.value.request_id is not None


async def test_a_body_that_does_not_fit_raises_decode_error_with_paths(
    client: AsyncCubicl, emu: Emulator
) -> None:
    """A project whose name is a number raises DecodeError naming the path."""
    emu.add_project("fine")
    emu.faults.fail_next(1, 200, body=[{"_id": "p", "name": 5}])
    with pytest.raises(DecodeError, match=r"\$\[0\]\.name"):
        await client.projects.list()


# --- retries -------------------------------------------------------------------------------


async def test_a_dropped_get_is_retried(client: AsyncCubicl, emu: Emulator) -> None:
    """A GET whose connection drops is sent again and succeeds."""
    emu.faults.drop_next(1)
    assert len(await client.projects.list()) > 0
    assert [r.status for r in emu.requests] == [0, 200]


async def test_a_connection_error_after_the_retries_carries_its_cause(
    client: AsyncCubicl, emu: Emulator
) -> None:
    """Three drops in a row raise APIConnectionError from the httpx error, retries_taken=2."""
    emu.faults.drop_next(3)
    with pytest.raises(APIConnectionError) as caught:
        await client.projects.list()
    assert caught.value.retries_taken == 2
    assert isinstance(caught.value.__cause__, httpx.TransportError)
    assert len(emu.requests) == 3


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_a_gateway_error_on_get_is_retried(
    client: AsyncCubicl, emu: Emulator, status: int
) -> None:
    """502/503/504 on a GET is retried after a backoff."""
    emu.faults.fail_next(1, status)
    await client.projects.list()
    assert [r.status for r in emu.requests] == [status, 200]


async def test_a_500_is_not_retried(client: AsyncCubicl, emu: Emulator) -> None:
    """A plain 500 is raised at once: it is not a known-transient status."""
    emu.faults.fail_next(1, 500)
    with pytest.raises(ServerError):
        await client.projects.list()
    assert len(emu.requests) == 1


async def test_max_retries_zero_turns_retrying_off(emu: Emulator, demo: Demo) -> None:
    """With max_retries=0 a 503 is raised after one attempt."""
    async with make(emu, retry=RetryPolicy(max_retries=0)) as client:
        emu.faults.fail_next(1, 503)
        with pytest.raises(ServerError) as caught:
            await client.projects.list()
    assert caught.value.retries_taken == 0


async def test_a_read_timeout_raises_api_timeout_error(emu: Emulator, demo: Demo) -> None:
    """An answer slower than the read timeout raises APITimeoutError over real HTTP."""
    emu.faults.latency = 0.15
    with serve(emu) as base_url:
        async with AsyncCubicl(
            TOKEN, base_url=base_url, timeout=0.03, rate_limit=None,
            retry=RetryPolicy(max_retries=0),
        ) as client:  # fmt: skip
            with pytest.raises(APITimeoutError):
                await client.projects.list()


async def test_a_refused_connection_raises_api_connection_error() -> None:
    """Nothing listening: APIConnectionError after the retries (connect errors are retried)."""
    with serve(Emulator()) as base_url:
        pass  # the port is free again once the server has stopped
    async with AsyncCubicl(TOKEN, base_url=base_url, rate_limit=None, retry=FAST_RETRY) as client:
        with pytest.raises(APIConnectionError) as caught:
            await client.projects.list()
    assert caught.value.retries_taken == 2
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


# --- 429 and the throttle (virtual time: the loop's clock is fake, nothing sleeps) -----------


def loop_clock() -> Callable[[], float]:
    """Return a clock reading the running loop's (virtual) time."""
    return lambda: asyncio.get_running_loop().time()


@pytest.mark.looptime
@pytest.mark.parametrize("mode", ["seconds", "date"])
async def test_a_429_with_retry_after_is_honoured(mode: str) -> None:
    """Over the server's limit, the client waits Retry-After (seconds or date) and succeeds."""
    emu = Emulator(clock=loop_clock(), rate_limit=2, rate_period=30.0, retry_after=mode)
    emu.add_user("Ada", "L", token=TOKEN, org_admin=True)
    loop = asyncio.get_running_loop()
    async with make(emu) as client:
        start = loop.time()
        for _ in range(3):
            await client.projects.list()
    assert [r.status for r in emu.requests] == [200, 200, 429, 200]
    assert loop.time() - start >= 29  # the third call waited for the window to slide


@pytest.mark.looptime
async def test_a_429_without_retry_after_backs_off_exponentially() -> None:
    """Without Retry-After the cooldown is rate_limit_delay, then doubled."""
    emu = Emulator(clock=loop_clock())
    emu.add_user("Ada", "L", token=TOKEN, org_admin=True)
    loop = asyncio.get_running_loop()
    async with make(emu, retry=RetryPolicy(rate_limit_delay=10.0)) as client:
        emu.faults.fail_next(2, 429)
        start = loop.time()
        await client.projects.list()
    assert 7.5 + 15 <= loop.time() - start <= 10 + 20 + 1  # two cooldowns, jitter <= 25%


@pytest.mark.looptime
async def test_a_retry_after_above_the_ceiling_raises_at_once() -> None:
    """A Retry-After longer than max_retry_after raises RateLimitError without sleeping."""
    emu = Emulator(clock=loop_clock())
    emu.add_user("Ada", "L", token=TOKEN, org_admin=True)
    loop = asyncio.get_running_loop()
    async with make(emu, retry=RetryPolicy(max_retry_after=60)) as client:
        emu.faults.fail_next(1, 429, retry_after=3600)
        start = loop.time()
        with pytest.raises(RateLimitError) as caught:
            await client.projects.list()
    assert caught.value.retry_after == 3600
    assert loop.time() == start


@pytest.mark.looptime
async def test_one_429_pauses_every_queued_request() -> None:
    """While a 429 cooldown runs, no other request of the client leaves."""
    emu = Emulator(clock=loop_clock())
    emu.add_user("Ada", "L", token=TOKEN, org_admin=True)
    loop = asyncio.get_running_loop()
    stamps: list[float] = []
    async with make(emu, rate_limit=RateLimit(60, 60.0)) as client:
        emu.faults.fail_next(1, 429, retry_after=20)

        async def call() -> None:
            await client.projects.list()
            stamps.append(loop.time())

        start = loop.time()
        await asyncio.gather(*(call() for _ in range(5)))
    statuses = [r.status for r in emu.requests]
    assert statuses == [429, 200, 200, 200, 200, 200]
    assert min(stamps) - start >= 20  # nobody got through during the cooldown


@pytest.mark.looptime
async def test_the_bucket_never_exceeds_the_limit_in_any_window() -> None:
    """RateLimit(5, 10 s): 20 concurrent calls get no 429 from a 5-per-10 s server, ever."""
    emu = Emulator(clock=loop_clock(), rate_limit=5, rate_period=10.0)
    emu.add_user("Ada", "L", token=TOKEN, org_admin=True)
    async with make(emu, rate_limit=RateLimit(5, 10.0)) as client:
        await asyncio.gather(*(client.projects.list() for _ in range(20)))
    assert {r.status for r in emu.requests} == {200}
    assert len(emu.requests) == 20


# --- logging -------------------------------------------------------------------------------


async def test_attempts_are_logged_without_secrets(
    client: AsyncCubicl, emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """DEBUG records each attempt and each error raised to the caller, WARNING each retry.

    Neither holds the token or a header.
    """
    caplog.set_level(logging.DEBUG, logger="cubicl_async")
    emu.faults.fail_next(1, 503)
    await client.projects.list()
    emu.faults.fail_next(1, 404)
    with pytest.raises(APIError):
        await client.projects.list()
    ours = [r for r in caplog.records if r.name == "cubicl_async"]
    messages = [r.getMessage() for r in ours]
    attempts = [m for m in messages if "(attempt" in m]
    assert "GET /api/v1/groups -> 503 (attempt 1" in attempts[0]
    assert "GET /api/v1/groups -> 200 (attempt 2" in attempts[1]
    assert any(r.levelno == logging.DEBUG and "failed with 404" in r.getMessage() for r in ours)
    warnings = [r.getMessage() for r in ours if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "GET /api/v1/groups -> 503: retry 1 of 2" in warnings[0]
    assert all(TOKEN not in m and "Bearer" not in m for m in messages)
