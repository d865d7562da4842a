"""Throttling and resilience: faults over loopback, the herd, cancellation, adapting, stats."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest

from cubicl_async import (
    APIConnectionError,
    APIError,
    AsyncCubicl,
    ClientStateError,
    DecodeError,
    QueueTimeoutError,
    RateLimit,
    RateLimiter,
    RateLimitError,
    RetryPolicy,
    ServerError,
    Throttle,
)
from cubicl_async.testing import Demo, Emulator, serve

from .conftest import FAST_RETRY

TOKEN = "demo-token"  # noqa: S105 - the emulator's demo token


class Stamped(httpx.AsyncBaseTransport):
    """A transport that notes, on the loop's (virtual) clock, each request and its answer."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.sent: list[float] = []
        self.answered: list[tuple[float, int]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send through the inner transport, stamping both ends."""
        loop = asyncio.get_running_loop()
        self.sent.append(loop.time())
        response = await self.inner.handle_async_request(request)
        self.answered.append((loop.time(), response.status_code))
        return response

    async def aclose(self) -> None:
        """Close the inner transport."""
        await self.inner.aclose()


@pytest.fixture
def base_url(emu: Emulator, demo: Demo) -> Iterator[str]:
    """Serve the demo organization on loopback."""
    with serve(emu) as url:
        yield url


@pytest.fixture
async def http_client(base_url: str) -> AsyncIterator[AsyncCubicl]:
    """Yield a loopback client with fast retries and no client-side bucket."""
    async with AsyncCubicl(TOKEN, base_url=base_url, rate_limit=None, retry=FAST_RETRY) as client:
        yield client


# --- the fault matrix, GET (POST rows live with the tasks tests: they need a create) ---------


def fail(n: int, status: int, **kw: object) -> Callable[[Emulator], None]:
    """Return a setup that fails the next n requests with `status`."""
    return lambda emu: emu.faults.fail_next(n, status, **kw)  # type: ignore[arg-type]


def drop(n: int, *, after_body: bool) -> Callable[[Emulator], None]:
    """Return a setup that drops the next n connections."""
    return lambda emu: emu.faults.drop_next(n, after_body=after_body)


def slow(emu: Emulator) -> None:
    """Add 50 ms to every answer."""
    emu.faults.latency = 0.05


GET_MATRIX = [
    ("429-burst-retry-after", fail(2, 429, retry_after="0.02"), None, 3),
    ("429-burst-no-header", fail(2, 429), None, 3),
    ("429-too-many", fail(3, 429, retry_after="0.01"), RateLimitError, 3),
    ("503-run", fail(2, 503), None, 3),
    ("502-run-too-long", fail(3, 502), ServerError, 3),
    ("500", fail(1, 500), ServerError, 1),
    ("drop-before-body", drop(1, after_body=False), None, 2),
    ("drop-after-body", drop(1, after_body=True), None, 2),
    ("drop-run-too-long", drop(3, after_body=False), APIConnectionError, 3),
    ("latency", slow, None, 1),
    ("malformed", lambda emu: emu.faults.malformed_next(1), DecodeError, 1),
]


@pytest.mark.parametrize(
    ("setup", "raises", "seen"), [row[1:] for row in GET_MATRIX], ids=[r[0] for r in GET_MATRIX]
)
async def test_get_fault_matrix(
    http_client: AsyncCubicl,
    emu: Emulator,
    setup: Callable[[Emulator], None],
    raises: type[Exception] | None,
    seen: int,
) -> None:
    """Each fault on a GET: the outcome, and how many requests the server saw."""
    setup(emu)
    if raises is None:
        assert len(await http_client.projects.list()) > 0
    else:
        with pytest.raises(raises):
            await http_client.projects.list()
    assert len(emu.requests) == seen


class RefusedOnce(httpx.AsyncHTTPTransport):
    """A real transport whose first connection attempt is refused."""

    refused = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Refuse the first request as a refused connection would; send the others."""
        if not self.refused:
            self.refused = True
            raise httpx.ConnectError("connection refused", request=request)
        return await super().handle_async_request(request)


def timeout_fault(emu: Emulator) -> None:
    """Answer slower than the client's read timeout (set by the test: 0.1 s to read only)."""
    emu.faults.latency = 0.3


POST_MATRIX = [
    # name, setup, raises, requests the server saw, creates applied
    ("429-then-ok", fail(1, 429, retry_after="0.02"), None, 2, 1),
    ("503-not-retried", fail(1, 503), ServerError, 1, 0),
    ("502-not-retried", fail(1, 502), ServerError, 1, 0),
    ("drop-before-body", drop(1, after_body=False), APIConnectionError, 1, 0),
    ("drop-after-body", drop(1, after_body=True), APIConnectionError, 1, 1),
    ("read-timeout", timeout_fault, APIConnectionError, 1, 1),
    ("latency", slow, None, 1, 1),
    ("malformed", lambda emu: emu.faults.malformed_next(1), DecodeError, 1, 0),
    ("connect-refused-then-ok", None, None, 1, 1),
]


@pytest.mark.parametrize(
    ("setup", "raises", "seen", "applied"),
    [row[1:] for row in POST_MATRIX],
    ids=[r[0] for r in POST_MATRIX],
)
async def test_post_fault_matrix(
    base_url: str,
    emu: Emulator,
    demo: Demo,
    setup: Callable[[Emulator], None] | None,
    raises: type[Exception] | None,
    seen: int,
    applied: int,
) -> None:
    """Each fault on a POST (create): the outcome, requests seen, and never two creates."""
    # Only the read times out: a connect slowed by a loaded machine must not (it is retried).
    read_timeout = httpx.Timeout(5.0, read=0.1)
    options: dict[str, object] = {"timeout": read_timeout} if setup is timeout_fault else {}
    transport = RefusedOnce() if setup is None else None
    async with AsyncCubicl(
        TOKEN, base_url=base_url, rate_limit=None, retry=FAST_RETRY, transport=transport,
        **options,  # type: ignore[arg-type]
    ) as client:  # fmt: skip
        if setup is not None:
            setup(emu)
        create = client.tasks.create(project=demo.projects["Backend"], name="exactly once")
        if raises is None:
            assert (await create).name == "exactly once"
        else:
            with pytest.raises(raises) as caught:
                await create
            assert caught.value.retries_taken == 0  # type: ignore[attr-defined]
        for _ in range(50):  # a timed-out POST is logged once the server answers it
            if [r.method for r in emu.requests].count("POST") == seen:
                break
            await asyncio.sleep(0.01)
        emu.faults.clear()
        created = await client.tasks.list(search="exactly once")
    assert [r.method for r in emu.requests].count("POST") == seen
    assert len(created) == applied


# --- the herd ------------------------------------------------------------------------------


@pytest.mark.looptime
async def test_one_429_holds_back_the_whole_herd(emu: Emulator, demo: Demo) -> None:
    """50 concurrent callers, one 429 (Retry-After 0.3 s): nothing else leaves until it ends.

    Two warm-up calls first fill the bucket, as in a running job: the herd is all parked
    when its first request leaves, and the next one is 25 ms behind it. In process, on the
    loop's virtual clock, the 429 comes back before that, so no request of the herd may
    leave before the 429 arrives, nor during its cooldown.
    """
    stamped = Stamped(emu.transport())
    async with AsyncCubicl(
        TOKEN, base_url=emu.base_url_in_process, transport=stamped, rate_limit=RateLimit(40, 1.0)
    ) as client:
        await asyncio.gather(client.projects.list(), client.projects.list())
        emu.faults.fail_next(1, 429, retry_after="0.3")
        await asyncio.gather(*(client.projects.list() for _ in range(50)))
    assert len(emu.requests) == 53
    assert [r.status for r in emu.requests[:3]] == [200, 200, 429]
    assert all(r.status == 200 for r in emu.requests[3:])
    told = next(at for at, status in stamped.answered if status == 429)
    herd = stamped.sent[3:]  # after the two warm-ups and the request that got the 429
    assert [at for at in herd if at < told + 0.3] == []
    assert client.stats.rate_limited == 1


# --- cancellation and closing -----------------------------------------------------------------


def other_tasks() -> set[asyncio.Task[object]]:
    """Return the tasks of the loop other than the running test."""
    return asyncio.all_tasks() - {asyncio.current_task()}  # type: ignore[operator]


@pytest.mark.looptime
async def test_callers_cancelled_at_the_bucket_leave_nothing_behind(
    emu: Emulator, demo: Demo
) -> None:
    """Cancelled while waiting for the bucket: no task left, and no slot of the bucket used."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    async with AsyncCubicl(
        TOKEN, base_url=emu.base_url_in_process, transport=emu.transport(),
        rate_limit=RateLimit(2, 60.0, headroom=1.0),  # a burst of 2, then one a minute
    ) as client:  # fmt: skip
        await asyncio.gather(client.projects.list(), client.projects.list())
        waiting = [asyncio.create_task(client.projects.list().to_list()) for _ in range(5)]
        await asyncio.sleep(1)
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)
        assert other_tasks() == set()
        await client.projects.list()
        assert loop.time() - start == pytest.approx(60, abs=0.1)  # the next slot, not the 6th
    assert len(emu.requests) == 3


@pytest.mark.looptime
async def test_callers_cancelled_waiting_for_a_slot_free_it(emu: Emulator, demo: Demo) -> None:
    """max_concurrency=1: callers queued behind a slow call can be cancelled; the queue moves on."""
    emu.faults.latency = 5.0
    loop = asyncio.get_running_loop()
    async with AsyncCubicl(
        TOKEN, base_url=emu.base_url_in_process, transport=emu.transport(),
        rate_limit=None, max_concurrency=1,
    ) as client:  # fmt: skip
        first = asyncio.create_task(client.projects.list().to_list())
        queued = [asyncio.create_task(client.projects.list().to_list()) for _ in range(3)]
        await asyncio.sleep(1)
        for task in queued:
            task.cancel()
        await first
        start = loop.time()
        await client.projects.list()
        assert loop.time() - start == pytest.approx(5.0, abs=0.01)
        assert other_tasks() == set()
    assert len(emu.requests) == 2


async def test_a_caller_cancelled_mid_request_frees_its_connection(
    base_url: str, emu: Emulator
) -> None:
    """Cancelling a call in flight closes its connection; the one-slot pool serves the next."""
    emu.faults.latency = 0.15
    async with AsyncCubicl(TOKEN, base_url=base_url, rate_limit=None, max_concurrency=1) as client:
        call = asyncio.create_task(client.projects.list().to_list())
        await asyncio.sleep(0.03)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        emu.faults.latency = 0
        assert len(await client.projects.list()) > 0
        assert other_tasks() == set()


async def test_aclose_ends_pending_requests_with_a_clear_error(
    base_url: str, emu: Emulator
) -> None:
    """aclose() with calls in flight and queued: each fails with ClientStateError, no warning."""
    emu.faults.latency = 0.15
    client = AsyncCubicl(TOKEN, base_url=base_url, rate_limit=None, max_concurrency=2)
    calls = [asyncio.create_task(client.projects.list().to_list()) for _ in range(5)]
    await asyncio.sleep(0.03)
    await client.aclose()
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    assert all(isinstance(o, ClientStateError) for o in outcomes), outcomes
    assert "closed while GET /api/v1/groups was pending" in str(outcomes[0])
    assert other_tasks() == set()


# --- the limiter: sharing, adapting ------------------------------------------------------------


def loop_clock() -> float:
    """Read the running loop's (virtual) clock."""
    return asyncio.get_running_loop().time()


def org(**emulator: object) -> Emulator:
    """Return an emulator with one admin whose token is TOKEN."""
    emu = Emulator(clock=loop_clock, **emulator)  # type: ignore[arg-type]
    emu.add_user("Ada", "Lovelace", token=TOKEN, org_admin=True)
    return emu


def in_process(emu: Emulator, **options: object) -> AsyncCubicl:
    """Return an in-process client of TOKEN."""
    return AsyncCubicl(
        TOKEN,
        base_url=emu.base_url_in_process,
        transport=emu.transport(),
        **options,  # type: ignore[arg-type]
    )


@pytest.mark.looptime
async def test_clients_sharing_a_limiter_stay_within_the_limit_together() -> None:
    """Two clients, one RateLimiter, 40 concurrent calls: the 5-per-10 s server sends no 429."""
    emu = org(rate_limit=5, rate_period=10.0)
    shared = RateLimiter(RateLimit(5, 10.0))
    async with in_process(emu, rate_limit=shared) as one, in_process(emu, rate_limit=shared) as two:
        assert one.rate_limiter is two.rate_limiter is shared
        await asyncio.gather(*(c.projects.list() for c in (one, two) for _ in range(20)))
    assert {r.status for r in emu.requests} == {200}


class Recording:
    """A `Throttle` of our own: lets everything through and notes what the pipeline says."""

    period = 10.0

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    async def acquire(self) -> float:
        """Never wait."""
        self.calls.append(("acquire", None))
        return 0.0

    async def record(self, sent_at: float, *, rate_limited: bool) -> float | None:
        """Note the answer; estimate a slot 2 s away after a 429."""
        self.calls.append(("record", rate_limited))
        return 2.0 if rate_limited else None

    async def cool_down(self, seconds: float) -> None:
        """Note the cooldown asked for."""
        self.calls.append(("cool_down", seconds))

    def expected_wait(self, ahead: int) -> float:
        """Nobody ever waits here."""
        return 0.0


@pytest.mark.looptime
async def test_any_throttle_plugs_into_the_pipeline() -> None:
    """A Throttle of one's own gets acquire, record and the window estimate as cooldown."""
    emu = org()
    throttle = Recording()
    assert isinstance(throttle, Throttle)
    assert isinstance(RateLimiter(), Throttle)
    async with in_process(emu, rate_limit=throttle) as client:
        assert client.rate_limiter is throttle
        emu.faults.fail_next(1, 429)
        await client.projects.list()
    assert throttle.calls == [
        ("acquire", None), ("record", True), ("cool_down", 2.0), ("acquire", None),
        ("record", False),
    ]  # fmt: skip


@pytest.mark.looptime
async def test_the_rate_adapts_down_to_a_lower_real_limit_and_climbs_back() -> None:
    """Configured at twice the server's limit: few 429s, no failure, then back up when free."""
    emu = org(rate_limit=10, rate_period=10.0, retry_after=None)
    configured = RateLimit(20, 10.0)
    async with in_process(emu, rate_limit=configured, max_concurrency=50) as client:
        loop = asyncio.get_running_loop()
        start = loop.time()
        await asyncio.gather(*(client.projects.list() for _ in range(200)))
        elapsed = loop.time() - start
        rate = client.rate_limiter.rate
        assert rate is not None
        assert rate < configured.rate
        assert client.stats.failed == 0
        assert client.stats.rate_limited <= 10  # 5% of 200
        assert 200 / elapsed >= 0.85 * 1.0  # the server allows 1 per second
        emu.set_rate_limit(None)  # the other user of the token is gone: climb back, 1% a period
        for _ in range(80):
            await asyncio.gather(*(client.projects.list() for _ in range(int(rate * 10) + 1)))
            assert client.rate_limiter.rate is not None
            assert rate <= client.rate_limiter.rate <= configured.rate
            rate = client.rate_limiter.rate
        assert rate == pytest.approx(configured.rate)


@pytest.mark.looptime
async def test_a_limiter_is_bound_to_one_event_loop() -> None:
    """Using one RateLimiter from a second loop raises ClientStateError."""
    limiter = RateLimiter(RateLimit(60, 60.0))
    await limiter.acquire()

    def elsewhere() -> None:
        async def use() -> None:
            await limiter.acquire()

        with pytest.raises(ClientStateError, match="another event loop"):
            asyncio.run(use())

    await asyncio.to_thread(elsewhere)


def test_a_limiter_without_a_limit_has_no_rate() -> None:
    """RateLimiter(None) keeps only the 429 gate: no rate, and its repr says so."""
    limiter = RateLimiter(None)
    assert limiter.rate is None
    assert "rate=off" in repr(limiter)
    limit = RateLimit(60, 60.0)
    assert limit.rate == pytest.approx(60 * 0.995 / 60)  # requests * headroom / period
    assert f"rate={limit.rate:.3g}/s" in repr(RateLimiter(limit))


# --- per-call options and stats --------------------------------------------------------------


async def test_with_options_overrides_the_retry_policy_for_some_calls(
    http_client: AsyncCubicl, emu: Emulator
) -> None:
    """A copy with max_retries=0 gives up at once; the original still retries; stats are shared."""
    emu.faults.fail_next(1, 503)
    with pytest.raises(ServerError):
        await http_client.with_options(retry=RetryPolicy(max_retries=0)).projects.list()
    emu.faults.fail_next(1, 503)
    await http_client.projects.list()
    assert [r.status for r in emu.requests] == [503, 503, 200]
    stats = http_client.stats
    assert (stats.requests, stats.retries, stats.failed) == (3, 1, 1)


async def test_with_options_sets_a_timeout_for_some_calls(
    http_client: AsyncCubicl, emu: Emulator
) -> None:
    """A copy with a short timeout times out where the original waits."""
    emu.faults.latency = 0.1
    fast = http_client.with_options(timeout=0.02, retry=RetryPolicy(max_retries=0))
    with pytest.raises(APIConnectionError):
        await fast.projects.list()
    assert len(await http_client.projects.list()) > 0


async def test_closing_a_copy_closes_the_client(http_client: AsyncCubicl) -> None:
    """with_options copies share the client's lifetime."""
    await http_client.with_options(retry=FAST_RETRY).aclose()
    with pytest.raises(ClientStateError, match="closed"):
        await http_client.projects.list()


async def test_stats_count_requests_retries_429s_and_failures(
    http_client: AsyncCubicl, emu: Emulator
) -> None:
    """After a 429, a 503 and a 404, the counters and their summary line say so."""
    emu.faults.fail_next(1, 429, retry_after="0")
    emu.faults.fail_next(1, 503)
    await http_client.projects.list()
    emu.faults.fail_next(1, 404)
    with pytest.raises(APIError):
        await http_client.projects.list()
    stats = http_client.stats
    assert (stats.requests, stats.retries, stats.rate_limited, stats.failed) == (4, 2, 1, 1)
    assert str(stats).startswith("requests=4 retries=2 429s=1 failed=1 throttle_wait=")


# --- the queue deadline ----------------------------------------------------------------------


@pytest.mark.looptime
async def test_a_call_that_would_wait_too_long_is_shed_unsent() -> None:
    """max_queue_wait=5 at 10 per 10 s: 20 callers at once; the late ones fail at once, unsent.

    Every call served waited at most the deadline; every shed call says how long it would
    have waited, more than the deadline, and never reached the server.
    """
    emu = org(rate_limit=10, rate_period=10.0)
    loop = asyncio.get_running_loop()
    waits: list[float] = []
    async with in_process(emu, rate_limit=RateLimit(10, 10.0), max_queue_wait=5.0) as client:

        async def call() -> None:
            start = loop.time()
            await client.projects.list()
            waits.append(loop.time() - start)

        outcomes = await asyncio.gather(*(call() for _ in range(20)), return_exceptions=True)
    shed = [o for o in outcomes if isinstance(o, QueueTimeoutError)]
    assert len(waits) + len(shed) == 20
    assert 5 <= len(waits) <= 8  # 2 at once, then about one a second for 5 s
    assert max(waits) <= 5.0
    assert all(o.expected_wait > 5.0 for o in shed)
    assert len(emu.requests) == len(waits)
    assert client.stats.failed == len(shed)


@pytest.mark.looptime
async def test_the_deadline_is_per_call_through_with_options() -> None:
    """with_options(max_queue_wait=0) sheds a call that would wait; None lifts the bound."""
    emu = org()
    async with in_process(emu, rate_limit=RateLimit(2, 60.0)) as client:
        await asyncio.gather(client.projects.list(), client.projects.list())  # the burst
        impatient = client.with_options(max_queue_wait=0)
        with pytest.raises(QueueTimeoutError) as caught:
            await impatient.projects.list()
        assert caught.value.expected_wait == pytest.approx(
            60 * RateLimiter.ESTIMATE_SLACK
        )  # the log frees the first slot 60 s after its answer
        assert impatient.with_options(max_queue_wait=None).max_queue_wait is None
    assert len(emu.requests) == 2
