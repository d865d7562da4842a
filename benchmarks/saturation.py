"""Benchmark: how much of the server's rate limit the SDK uses, and how often it hits it.

The emulator serves on loopback with a limit of R requests per sliding window of PERIOD
seconds (100 per 1 s unless the scenario says otherwise). Each scenario sends 1,000 GETs
(200 in scenario f) from 50 concurrent callers and prints one line:

    scenario a: rate/limit=0.97 429s=0 failed=0

`rate/limit` is the achieved rate divided by R: the requests the server accepted per
second, from the first request sent to the last one accepted (what the server's window
sees; the last answer's latency is not the SDK's to hide). `429s` counts the server's
429 answers; `failed` the calls that raised.

Scenarios: (a) client configured at the server's limit; (b) at twice it: the SDK must
find the real limit (the emulator sends no Retry-After here, so a 429 costs the SDK's own
estimate of when the window frees a slot, not a whole second of a 1-second window);
(c) 200 ms of latency on every answer, with the SDK's default concurrency (a slot frees
PERIOD after its answer less the fastest round trip seen on an open connection, less 5 ms:
at a constant latency about PERIOD after its send, so 0.96 to 0.97, where freeing it
PERIOD after the answer capped the rate at R per PERIOD + latency, 0.83);
(d) two clients sharing one RateLimiter; (e) 600 per 10 s; (f) 10 per 1 s. The emulator
runs in a child process, as a real server would, so it does not compete with the client
for the GIL.
"""

from __future__ import annotations

import asyncio
import sys
import time

import httpx
from _child import child_server, serve_until_stdin_closes

from cubicl_async import AsyncCubicl, RateLimit, RateLimiter, RetryPolicy
from cubicl_async.testing import Emulator, seed_demo

R = 100  # requests per window
PERIOD = 1.0  # seconds
CALLS = 1000
CALLERS = 50


class Stamping(httpx.AsyncHTTPTransport):
    """A real HTTP transport that notes when each request left and what it got."""

    def __init__(self, log: list[tuple[float, int]]) -> None:
        super().__init__()
        self.log = log

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send the request, then log (time sent, status)."""
        sent = time.perf_counter()
        response = await super().handle_async_request(request)
        self.log.append((sent, response.status_code))
        return response


async def run(clients: list[AsyncCubicl], calls: int) -> int:
    """Send `calls` GETs from CALLERS callers spread over `clients`; return the failures."""
    queue: asyncio.Queue[None] = asyncio.Queue()
    for _ in range(calls):
        queue.put_nowait(None)
    failed = 0

    async def caller(client: AsyncCubicl) -> None:
        nonlocal failed
        while not queue.empty():
            queue.get_nowait()
            try:
                await client.projects.list()
            except Exception:
                failed += 1

    await asyncio.gather(*(caller(clients[i % len(clients)]) for i in range(CALLERS)))
    return failed


def serve_for_scenario(retry_after: str, latency: float, requests: int, period: float) -> None:
    """In the child: serve the demo organization at `requests` per `period`."""
    emu = Emulator(
        rate_limit=requests,
        rate_period=period,
        retry_after=None if retry_after == "none" else retry_after,  # type: ignore[arg-type]
    )
    seed_demo(emu)
    emu.faults.latency = latency
    serve_until_stdin_closes(emu)


async def scenario(
    name: str, *, limits: list[RateLimit | RateLimiter], retry_after: str = "seconds",
    latency: float = 0.0, requests: int = R, period: float = PERIOD, calls: int = CALLS,
) -> None:  # fmt: skip
    """Run one scenario against a fresh server and print its line."""
    log: list[tuple[float, int]] = []
    server = (retry_after, str(latency), str(requests), str(period))
    with child_server(__file__, *server) as base_url:
        clients = [
            AsyncCubicl(
                "demo-token", base_url=base_url, rate_limit=limit, transport=Stamping(log),
                retry=RetryPolicy(),
            )
            for limit in limits
        ]  # fmt: skip
        try:
            failed = await run(clients, calls)
        finally:
            for client in clients:
                await client.aclose()
    accepted = sorted(sent for sent, status in log if status == 200)
    limited = sum(status == 429 for _, status in log)
    first = min(sent for sent, _ in log)
    ratio = (len(accepted) - 1) / (accepted[-1] - first) / (requests / period)
    print(f"scenario {name}: rate/limit={ratio:.2f} 429s={limited} failed={failed}", flush=True)


async def main(only: list[str]) -> None:
    """Run the six scenarios in order (or those named on the command line)."""
    at_limit = RateLimit(R, PERIOD)
    shared = RateLimiter(at_limit)
    runs = {
        "a": scenario("a", limits=[at_limit]),
        "b": scenario("b", limits=[RateLimit(2 * R, PERIOD)], retry_after="none"),
        "c": scenario("c", limits=[at_limit], latency=0.2),
        "d": scenario("d", limits=[shared, shared]),
        "e": scenario("e", limits=[RateLimit(600, 10.0)], requests=600, period=10.0),
        "f": scenario("f", limits=[RateLimit(10, 1.0)], requests=10, calls=200),
    }
    for name, run in runs.items():
        if only and name not in only:
            run.close()
        else:
            await run


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve_for_scenario(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
    else:
        asyncio.run(main(sys.argv[1:]))
