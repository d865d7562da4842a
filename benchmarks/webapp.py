"""Benchmark: a web app's burst against the rate limit, with a queue deadline.

The emulator serves on loopback (in a child process) at R requests per 1-second sliding
window. A client configured at that limit with `max_queue_wait=W`, warmed by one call and
a quiet window (as in a running app), gets a burst of 10 R calls at once, as a web app
under load would. Calls that would wait longer than W fail at
once with `QueueTimeoutError` (shed) and are never sent; the others are served. Prints:

    webapp calls=200 served=40 shed=160 p99_wait/W=0.98 sent_after_shed=0

`p99_wait/W` is the 99th percentile of the served calls' waits (from the call to its
request leaving for the server) over W: at most 1.0 means the deadline held.
`sent_after_shed` counts requests the server received beyond the served calls and their
retries: a shed call that was sent anyway would show there.
"""

from __future__ import annotations

import asyncio
import contextvars
import statistics
import sys
import time

import httpx
from _child import child_server, serve_demo

from cubicl_async import AsyncCubicl, QueueTimeoutError, RateLimit

R = 20  # requests per window
PERIOD = 1.0  # seconds
W = 2.0  # the queue deadline, seconds


#: The moment the current call's request left (set by the transport, read by the call).
LEFT: contextvars.ContextVar[list[float]] = contextvars.ContextVar("LEFT")


class Counting(httpx.AsyncHTTPTransport):
    """A real HTTP transport that counts the requests it sends and notes when each left."""

    sent = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Count, note the time in the calling context, then send."""
        self.sent += 1
        LEFT.get([]).append(time.perf_counter())
        return await super().handle_async_request(request)


async def main() -> None:
    """Fire the burst and print the line."""
    transport = Counting()
    with child_server(__file__) as base_url:
        async with AsyncCubicl(
            "demo-token", base_url=base_url, transport=transport,
            rate_limit=RateLimit(R, PERIOD), max_queue_wait=W,
        ) as client:  # fmt: skip
            await client.projects.list()  # a running app: connection open, imports done
            await asyncio.sleep(PERIOD)  # and a quiet window before the burst
            transport.sent = 0
            waits: list[float] = []

            async def call() -> None:
                start, left = time.perf_counter(), []
                LEFT.set(left)  # the call's task runs in a copy of this context
                await client.projects.list()
                waits.append(left[0] - start)

            outcomes = await asyncio.gather(
                *(call() for _ in range(10 * R)), return_exceptions=True
            )
            retries = client.stats.retries
    shed = sum(isinstance(o, QueueTimeoutError) for o in outcomes)
    failed = sum(isinstance(o, BaseException) for o in outcomes) - shed
    assert failed == 0, outcomes
    p99 = statistics.quantiles(waits, n=100, method="inclusive")[98] if len(waits) > 1 else waits[0]
    print(
        f"webapp calls={len(outcomes)} served={len(waits)} shed={shed} "
        f"p99_wait/W={p99 / W:.2f} sent_after_shed={transport.sent - len(waits) - retries}"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve_demo(rate_limit=R, rate_period=PERIOD)
    else:
        asyncio.run(main())
