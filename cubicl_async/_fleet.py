"""The fleet's store on Redis: the script's calls and replies, the inbox, faults, recovery."""

from __future__ import annotations

import asyncio
import importlib.resources
import logging
from collections.abc import Coroutine
from typing import Any

import attrs
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from ._booking import Booking, Waiter
from ._errors import ClientStateError, ConfigurationError, ThrottleUnavailableError
from ._throttle import RateLimit

__all__ = ["Fleet", "Reply"]

logger = logging.getLogger("cubicl_async")
SCRIPT = importlib.resources.files(__package__).joinpath("_schedule.lua").read_text()
#: What a lost, slow or failing-over Redis raises.
UNAVAILABLE = (RedisError, OSError, TimeoutError)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@attrs.frozen
class Reply:
    """One answer of the script: the store's view after the operation, and its result."""

    epoch: str  #: The state's identity (a new one after Redis lost it).
    now: float  #: When it ran, on the Redis server's clock.
    local: float  #: When the reply arrived, on the loop's clock.
    rate: float
    tat: float
    until: float
    window: int
    held: int
    done: int
    first_free: float | None
    queued: int
    seq: int  #: The operation's number in this state (orders re-bookings).
    alive: bool  #: False when the caller was unknown: its first call, or declared dead.
    result: str
    moves: tuple[tuple[str, float | None], ...]

    @classmethod
    def parse(cls, raw: list[Any], local: float) -> Reply:
        """Read the script's array (bytes or str, as the client decodes) into a reply."""
        v = [_text(x) for x in raw]
        moves = tuple((v[i], float(v[i + 1]) if v[i + 1] else None) for i in range(14, len(v), 2))
        return cls(v[1], float(v[2]), local, float(v[3]), float(v[4]), float(v[5]), int(v[6]),
                   int(v[7]), int(v[8]), float(v[9]) if v[9] else None, int(v[10]), int(v[11]),
                   v[12] == "1", v[13], moves)  # fmt: skip

    def to_local(self, at: float) -> float:
        """Return the loop time of the Redis time `at` (late by the reply's trip: safe)."""
        return self.local + (at - self.now)


class Fleet(Booking):
    """Calls to the script with a bounded wait, the inbox, and what follows a lost Redis."""

    def __init__(
        self, redis: Redis, key: str, limit: RateLimit, liveness: float, wait_for_redis: float
    ) -> None:
        super().__init__()
        self.redis, self.key, self.limit = redis, key, limit
        self.liveness, self.wait_for_redis = liveness, wait_for_redis
        self._base = f"{{{key}}}"
        self._script = redis.register_script(SCRIPT)
        self._last: Reply | None = None
        self._epoch = ""
        self._down_since: float | None = None
        self._up = asyncio.Event()
        self._up.set()
        self._recovering = asyncio.Lock()
        self._unanswered: dict[str, float] = {}  # ticket -> loop time its answer came
        self._pending_cool: float | None = None  # loop time a cooldown must last until
        self._runner: asyncio.Task[None] | None = None
        self._chores: set[asyncio.Task[Any]] = set()
        self._closed = False

    # --- calls ---------------------------------------------------------------------

    async def _eval(self, op: str, *args: str, patient: bool = True) -> Reply:
        """Run one operation; retry a lost Redis until `wait_for_redis` has passed.

        Not `patient` (an answer, a cooldown, a give-back: the caller keeps it for later),
        it tries twice within half a second at most.
        """
        if self._closed and op != "leave":
            raise ClientStateError(f"this {type(self).__name__} is closed")
        loop = self._bind()
        since = loop.time() if self._down_since is None else self._down_since
        # Redis may be back: even when it was lost long ago, try twice (a pooled connection
        # may be stale), for up to a second.
        deadline = max(since + self.wait_for_redis, loop.time() + min(self.wait_for_redis, 1.0))
        if not patient:
            deadline = loop.time() + min(self.wait_for_redis, 0.5)
        delay, tries = 0.01, 0
        barrier = self.limit.period
        if self._down_since is not None:  # what was held before the loss frees by then
            barrier = max(0.0, self.limit.period - (loop.time() - self._down_since))
        limit = self.limit
        argv = [op, "", self.owner, str(limit.requests), repr(float(limit.period)),
                repr(float(limit.headroom)), repr(float(self.liveness)), self._epoch,
                repr(barrier), *args]  # fmt: skip
        while True:
            try:
                async with asyncio.timeout(max(deadline - loop.time(), 0.05)):
                    raw = await self._script(keys=[self._base], args=argv)
            except UNAVAILABLE as exc:
                if isinstance(exc, ResponseError) and "script" in str(exc).lower():
                    raise ThrottleUnavailableError(f"the throttle's script failed: {exc}") from exc
                self._lost(exc)
                tries += 1
                if tries >= 2 and loop.time() + delay >= deadline:
                    raise ThrottleUnavailableError(
                        f"the throttle's Redis did not answer for {self.wait_for_redis:g} s "
                        f"({type(exc).__name__}: {exc}); the call was not sent"
                    ) from exc
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.25)
                continue
            if _text(raw[0]) == "conflict":
                requests, period, headroom = (_text(x) for x in raw[1:4])
                raise ConfigurationError(
                    f"the Redis key {self.key!r} is shared with a limit of {requests} requests "
                    f"per {float(period):g} s (headroom {float(headroom):g}), but this limiter "
                    f"has {limit!r}: every process sharing a key must use the same RateLimit"
                )
            return Reply.parse(raw, loop.time())

    async def _call(self, op: str, *args: str, patient: bool = True) -> Reply:
        """Run one operation, then recover from a lost Redis if the reply shows one."""
        self._start()
        reply = await self._eval(op, *args, patient=patient)
        self._seen(reply)
        if self._down_since is not None or reply.epoch != self._epoch or not reply.alive:
            await self._recover(reply)
        return reply

    def _seen(self, reply: Reply) -> None:
        if self._last is None or reply.now >= self._last.now or reply.epoch != self._last.epoch:
            self._last = reply
        for ticket, at in reply.moves:
            self._moved(ticket, None if at is None else reply.to_local(at), reply.seq)

    def _lost(self, exc: BaseException) -> None:
        if self._down_since is None and self._loop is not None:
            self._down_since = self._loop.time()
            self._up.clear()
            logger.warning("throttle %s: Redis unreachable (%s: %s); holding every request",
                           self.key, type(exc).__name__, exc)  # fmt: skip

    # --- recovery ------------------------------------------------------------------

    async def _recover(self, reply: Reply) -> None:
        """Make the store whole again after Redis was lost, restarted or took us for dead."""
        async with self._recovering:
            if self._down_since is None and reply.epoch == self._epoch and reply.alive:
                return  # another task recovered meanwhile
            first = self._epoch == ""
            lost = not first and (reply.epoch != self._epoch or not reply.alive)
            loop = self._bind()
            if lost:  # our bookings are gone: hold what is in flight, book the waiters again
                now = loop.time()
                flying = list(self._held.values())
                done: list[str] = []
                for ticket, answered in self._unanswered.items():
                    if (left := answered + self.limit.period - now) > 0:
                        done += [ticket, repr(left)]
                self._seen(await self._eval("rejoin", *flying, "--", *done))
                self._unanswered.clear()
                for ticket, waiter in sorted(self._waiters.items()):
                    waiter.version = float("-inf")
                    self._booked(waiter, await self._eval("reserve", ticket))
                logger.warning("throttle %s: Redis lost its state; %d request(s) re-booked",
                               self.key, len(self._waiters))  # fmt: skip
            for ticket in list(self._unanswered):
                self._seen(await self._eval("release", ticket))
                del self._unanswered[ticket]
            if self._pending_cool is not None:
                left, self._pending_cool = self._pending_cool - loop.time(), None
                if left > 0:
                    self._seen(await self._eval("cool", repr(left)))
            if self._down_since is not None and not first:
                logger.warning("throttle %s: Redis is back", self.key)
            self._epoch = reply.epoch  # last: a recovery cut short is done again in full
            self._down_since = None
            self._up.set()

    def _booked(self, waiter: Waiter, reply: Reply) -> None:
        waiter.epoch = reply.epoch
        if reply.result:
            waiter.move(reply.to_local(float(reply.result)), reply.seq)
        else:
            waiter.move(None, reply.seq)

    async def _usable(self, waiter: Waiter) -> bool:
        """Tell whether a waiter whose time came may leave: its booking still stands."""
        loop = self._bind()
        last = self._last
        if self._down_since is None and last and loop.time() - last.local > self.liveness / 2:
            await self._call("beat")  # we may have been taken for dead meanwhile
        if self._down_since is not None:
            left = self._down_since + self.wait_for_redis - loop.time()
            try:
                async with asyncio.timeout(max(left, 0.0)):
                    await self._up.wait()
            except TimeoutError:
                raise ThrottleUnavailableError(
                    f"the throttle's Redis did not answer for {self.wait_for_redis:g} s; "
                    "the call was not sent"
                ) from None
        return waiter.epoch == self._epoch and waiter.due()

    # --- background: inbox, heartbeat, chores --------------------------------------

    def _start(self) -> None:
        if self._runner is None and not self._closed:
            self._runner = self._bind().create_task(self._run(), name=f"throttle {self.key}")

    def _spawn(self, job: Coroutine[Any, Any, Any]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed() or self._closed:
            job.close()
            return
        task = loop.create_task(job)
        self._chores.add(task)
        task.add_done_callback(self._chores.discard)

    async def _run(self) -> None:
        """Read the inbox (re-bookings decided by other processes) and beat while alive."""
        loop = self._bind()
        inbox = f"{self._base}:in:{self.owner}"
        beat = self.liveness / 4
        while True:
            try:
                async with asyncio.timeout(beat + self.wait_for_redis):
                    # (Any: redis-py's stubs for these differ between its versions)
                    redis: Any = self.redis
                    got = await redis.blpop([inbox], timeout=beat)
                    more = await redis.lpop(inbox, 1000) if got else None
                arrived = loop.time()
                for message in ([got[1]] if got else []) + list(more or []):
                    ticket, at, now, seq = _text(message).split(" ")
                    local = None if at == "-" else arrived + (float(at) - float(now))
                    self._moved(ticket, local, int(seq))
                if self._last is None or loop.time() - self._last.local >= beat:
                    await self._call("beat")
            except (*UNAVAILABLE, ThrottleUnavailableError) as exc:
                self._lost(exc)
                if self._down_since is not None and (
                    loop.time() - self._down_since >= self.wait_for_redis
                ):
                    for waiter in self._waiters.values():
                        waiter.fail(ThrottleUnavailableError(
                            f"the throttle's Redis did not answer for {self.wait_for_redis:g} s;"
                            " the call was not sent"))  # fmt: skip
                await asyncio.sleep(min(beat, 0.1))
            except ConfigurationError as exc:
                for waiter in self._waiters.values():
                    waiter.fail(exc)
                await asyncio.sleep(beat)

    async def _release(self, ticket: str) -> None:
        try:
            await self._call("release", ticket, patient=False)
        except (ThrottleUnavailableError, ConfigurationError, ClientStateError):
            if self._loop is not None:  # freed once Redis is back
                self._unanswered.setdefault(ticket, self._loop.time())
