"""Latency: an answer frees its slot `period` on, less the fastest round trip seen.

Only a request sent on a connection that had already answered one counts for that round
trip (no handshake in it): httpcore puts the connection's stream on each response, and
`record_answer` tells the throttle when it had answered before. The timing cases run on
the loop's virtual clock (looptime) against the emulator in process, through a transport
whose responses carry a stand-in for that stream; one case checks on loopback that real
httpcore connections give what that stand-in mimics.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import httpx
import pytest

from cubicl_async import AsyncCubicl, RateLimit, RateLimiter
from cubicl_async._booking import MARGIN
from cubicl_async._throttle import on_open_connection, record_answer
from cubicl_async.testing import Demo, Emulator

TOKEN = "demo-token"  # noqa: S105 - the emulator's demo token


def loop_clock() -> float:
    """Read the running loop's (virtual) clock."""
    return asyncio.get_running_loop().time()


def org(**emulator: object) -> Emulator:
    """Return an emulator on the loop's clock with one admin whose token is TOKEN."""
    emu = Emulator(clock=loop_clock, **emulator)  # type: ignore[arg-type]
    emu.add_user("Ada", "Lovelace", token=TOKEN, org_admin=True)
    return emu


class Stream:
    """Stands for one connection's network stream, the object httpcore puts on its answers."""


class Connections(httpx.AsyncBaseTransport):
    """The emulator in process over keep-alive connections, one request at a time on each.

    A request takes an idle connection (or opens one), and its answer carries that
    connection's `network_stream`, as httpcore's do; `streams=False` leaves it out, as
    httpx's `MockTransport` and `ASGITransport` do. Notes when each request left.
    """

    def __init__(self, emu: Emulator, *, streams: bool = True) -> None:
        self.inner = emu.transport()
        self.streams = streams
        self.idle: list[Stream] = []
        self.sent: list[float] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send on an idle connection (or a new one); tag the answer with its stream."""
        stream = self.idle.pop() if self.idle else Stream()
        self.sent.append(loop_clock())
        response = await self.inner.handle_async_request(request)
        if self.streams:
            response.extensions["network_stream"] = stream
        self.idle.append(stream)
        return response


def http(emu: Emulator, transport: httpx.AsyncBaseTransport) -> httpx.AsyncClient:
    """Return a raw client of TOKEN to the emulator through `transport`."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    return httpx.AsyncClient(transport=transport, base_url=emu.base_url_in_process,
                             headers=headers)  # fmt: skip


async def call(limiter: RateLimiter, client: httpx.AsyncClient) -> int:
    """Make one request as the pipeline does: acquire, send, record the answer."""
    await limiter.acquire()
    sent_at = loop_clock()
    response = await client.get("groups")
    await record_answer(limiter, sent_at, response)
    return response.status_code


# --- which answers came over an open connection ---------------------------------------------


def answer(stream: object = None) -> httpx.Response:
    """Return an answer carrying `stream` as its `network_stream` (none for `None`)."""
    extensions = {} if stream is None else {"network_stream": stream}
    return httpx.Response(200, extensions=extensions)


def test_only_a_request_sent_after_its_connection_answered_one_counts() -> None:
    """The first answer of a connection opened it; one sent before it (HTTP/2) also waited."""
    stream = Stream()
    assert not on_open_connection(answer(stream), sent_at=0.0, now=1.0)  # the first answer
    assert not on_open_connection(answer(stream), sent_at=0.5, now=1.5)  # left before it
    assert on_open_connection(answer(stream), sent_at=1.0, now=2.0)  # left after it
    assert not on_open_connection(answer(Stream()), sent_at=3.0, now=4.0)  # a new connection


def test_answers_without_a_usable_stream_never_count() -> None:
    """No `network_stream` (MockTransport, ASGITransport), or one that cannot be weakly held."""
    for _ in range(2):
        assert not on_open_connection(answer(), sent_at=1.0, now=2.0)
        assert not on_open_connection(answer(42), sent_at=1.0, now=2.0)  # ints: no weakref


async def test_a_throttle_whose_record_predates_reused_is_called_as_before() -> None:
    """`record_answer` passes `reused` only to a `record` that takes it (or `**kwargs`)."""
    calls: list[dict[str, Any]] = []

    class Old:
        async def record(self, sent_at: float, *, rate_limited: bool) -> float | None:
            calls.append({"rate_limited": rate_limited})
            return None

    class Open:
        async def record(self, sent_at: float, **options: Any) -> float | None:
            calls.append(options)
            return 1.0

    stream = Stream()
    now = loop_clock()
    assert await record_answer(Old(), now, httpx.Response(429)) is None  # type: ignore[arg-type]
    on_open_connection(answer(stream), sent_at=now - 1, now=now - 0.5)  # it answered before
    reply = answer(stream)
    assert await record_answer(Open(), now, reply) == 1.0  # type: ignore[arg-type]
    assert calls == [{"rate_limited": True}, {"rate_limited": False, "reused": True}]


# --- the limiter keeps the fastest round trip -----------------------------------------------


@pytest.mark.looptime
async def test_the_limiter_keeps_the_fastest_round_trip_of_reused_connections_only() -> None:
    """Answers after 0.5, 0.2 (new connection), 0.3 and 0.8 s: 0.3 s counts, less the margin."""
    limiter = RateLimiter(RateLimit(100, 1.0))
    assert limiter._credit() == 0.0  # nothing known: a period after the answer
    for trip, reused in [(0.5, True), (0.2, False), (0.3, True), (0.8, True)]:
        await limiter.acquire()
        sent_at = loop_clock()
        await asyncio.sleep(trip)
        await limiter.record(sent_at, rate_limited=False, reused=reused)
    assert limiter._credit() == pytest.approx(0.3 - MARGIN)


@pytest.mark.looptime
async def test_a_round_trip_longer_than_the_period_counts_as_the_period() -> None:
    """1 per 1 s, a 5 s round trip on an open connection: never more than `period` off."""
    limiter = RateLimiter(RateLimit(1, 1.0))
    await limiter.acquire()
    await asyncio.sleep(5.0)
    await limiter.record(loop_clock() - 5.0, rate_limited=False, reused=True)
    assert limiter._credit() == 1.0


# --- slots over open connections, at a constant latency --------------------------------------


async def warm_up(limiter: RateLimiter, client: httpx.AsyncClient) -> None:
    """Two requests in a row (the second on the first's connection), then an empty log."""
    assert await call(limiter, client) == await call(limiter, client) == 200
    await asyncio.sleep(2.0)


@pytest.mark.looptime
@pytest.mark.parametrize(
    ("streams", "gap"),
    [(True, 1.0 + MARGIN), (False, 1.3)],
    ids=["round-trip-known", "no-stream"],
)
async def test_a_slot_frees_a_period_after_the_send_once_the_round_trip_is_known(
    streams: bool, gap: float
) -> None:
    """5 per 1 s, 0.3 s per answer, 20 calls, no 429: the 6th 1.0 s after the 1st, or 1.3 s.

    1.0 s once the round trip is known; 1.3 s over a transport that gives no stream.
    """
    emu = org(rate_limit=5, rate_period=1.0)
    emu.faults.latency = 0.3
    transport = Connections(emu, streams=streams)
    limiter = RateLimiter(RateLimit(5, 1.0))
    async with http(emu, transport) as client:
        await warm_up(limiter, client)
        del transport.sent[:]
        statuses = await asyncio.gather(*(call(limiter, client) for _ in range(20)))
    assert statuses == [200] * 20
    assert {r.status for r in emu.requests} == {200}
    sent = transport.sent
    assert sent[5] - sent[0] == pytest.approx(gap)
    assert sent[15] - sent[0] == pytest.approx(3 * gap)


@pytest.mark.looptime
async def test_an_answer_that_queued_holds_its_slot_longer() -> None:
    """1 per 1 s at 0.3 s per answer, then one answer 0.5 s late: its slot frees 0.5 s later."""
    emu = org(rate_limit=1, rate_period=1.0)
    emu.faults.latency = 0.3
    transport = Connections(emu)
    limiter = RateLimiter(RateLimit(1, 1.0))
    async with http(emu, transport) as client:
        await warm_up(limiter, client)
        emu.faults.latency = 0.8  # queued 0.5 s somewhere on the way
        statuses = [await call(limiter, client) for _ in range(2)]
    assert statuses == [200, 200]
    spike, after = transport.sent[-2:]
    assert after - spike == pytest.approx(1.5 + MARGIN)
    assert {r.status for r in emu.requests} == {200}


# --- real connections ------------------------------------------------------------------------


async def test_httpcore_gives_one_stream_per_connection_and_the_second_answer_counts(
    cubicl_server_url: str,
) -> None:
    """On loopback: two requests in a row share a stream (weakly held); the second counts."""
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(base_url=cubicl_server_url) as client:
        counted = []
        streams = []
        for _ in range(2):
            sent_at = loop.time()
            response = await client.get("groups")  # a 401: any answer will do
            counted.append(on_open_connection(response, sent_at, loop.time()))
            streams.append(response.extensions["network_stream"])
    assert streams[0] is streams[1]
    assert weakref.ref(streams[0])() is streams[0]
    assert counted == [False, True]


# --- through the client's pipeline ----------------------------------------------------------


@pytest.mark.looptime
async def test_the_client_frees_slots_a_period_after_the_send_at_a_constant_latency() -> None:
    """AsyncCubicl, 5 per 1 s, 0.3 s per answer, 20 calls: no 429, the 6th 1.0 s after the 1st."""
    emu = org(rate_limit=5, rate_period=1.0)
    emu.faults.latency = 0.3
    transport = Connections(emu)
    async with AsyncCubicl(TOKEN, base_url=emu.base_url_in_process, transport=transport,
                           rate_limit=RateLimit(5, 1.0), max_concurrency=20) as client:  # fmt: skip
        for _ in range(2):  # the second on the first's connection: the round trip is known
            await client.projects.list()
        await asyncio.sleep(2.0)
        del transport.sent[:]
        await asyncio.gather(*(client.projects.list() for _ in range(20)))
    assert {r.status for r in emu.requests} == {200}
    sent = transport.sent
    assert sent[5] - sent[0] == pytest.approx(1.0 + MARGIN)


class Noting(RateLimiter):
    """A RateLimiter noting what the pipeline says of each answer's connection."""

    def __init__(self) -> None:
        super().__init__(RateLimit(60, 60.0))
        self.reused: list[bool] = []

    async def record(
        self, sent_at: float, *, rate_limited: bool, reused: bool = False
    ) -> float | None:
        """Note `reused`, then record."""
        self.reused.append(reused)
        return await super().record(sent_at, rate_limited=rate_limited, reused=reused)


async def test_the_pipeline_tells_the_throttle_of_a_reused_connection_on_loopback(
    demo: Demo, cubicl_server_url: str
) -> None:
    """Real httpcore: the first call opens a connection, the second reuses it and says so."""
    throttle = Noting()
    async with AsyncCubicl("demo-token", base_url=cubicl_server_url, rate_limit=throttle) as c:
        await c.projects.list()
        await c.projects.list()
    assert throttle.reused == [False, True]
    assert throttle._fastest is not None
