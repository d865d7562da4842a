"""What a client and its `with_options` copies share: the pool, the throttle, the counters."""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

import attrs
import httpx

from ._display import card_html
from ._errors import ClientStateError
from ._httpx import Wire
from ._throttle import Throttle

__all__ = ["ClientStats", "Queued", "Session", "close_elsewhere"]


@attrs.define
class ClientStats:
    """Counters of a client (shared with its `with_options` copies), for a job's summary."""

    #: HTTP attempts sent, retries included.
    requests: int = 0
    #: Attempts that were retries.
    retries: int = 0
    #: 429 answers received.
    rate_limited: int = 0
    #: Calls that ended in an exception.
    failed: int = 0
    #: Seconds spent waiting at the throttle (bucket and cooldown), summed over requests.
    throttle_wait: float = 0.0

    def __str__(self) -> str:
        return (
            f"requests={self.requests} retries={self.retries} 429s={self.rate_limited} "
            f"failed={self.failed} throttle_wait={self.throttle_wait:.1f}s"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(f"ClientStats({self})")

    def _repr_html_(self) -> str:
        return card_html("ClientStats", [(k, f"{v:.1f}s" if k == "throttle_wait" else str(v))
                                         for k, v in attrs.asdict(self).items()])  # fmt: skip


class Session:
    """What a client and its `with_options` copies share: pool, limiter, jobs, counters."""

    def __init__(self, http: httpx.AsyncClient | None, limiter: Throttle, name: str) -> None:
        self.name = name
        self.http = http
        self.owns_http = http is None
        #: How requests reach the pool (set when the client binds to its loop).
        self.wire: Wire | None = None
        self.limiter = limiter
        self.loop: asyncio.AbstractEventLoop | None = None
        self.slots: asyncio.Semaphore | None = None
        #: The tasks inside a call now (aclose() cancels them).
        self.calls: set[asyncio.Task[Any]] = set()
        #: The tasks aclose() cancelled: their CancelledError becomes ClientStateError.
        self.closing: set[asyncio.Task[Any]] = set()
        #: Set once no task is inside a call after aclose() (made in the client's loop).
        self.drained: asyncio.Event | None = None
        #: The timeout the httpx client was built with (a request that keeps it says so).
        self.timeout: Any = None
        #: Calls not sent yet: waiting for a slot or at the throttle (retries not counted).
        self.queued = 0
        self.closed = False
        self.stats = ClientStats()

    def leave(self, task: asyncio.Task[Any]) -> None:
        """Note that `task` left its call; wake aclose() when the last one has."""
        self.calls.discard(task)
        self.closing.discard(task)
        if self.closed and not self.calls and self.drained is not None:
            self.drained.set()

    def __del__(self) -> None:
        if self.owns_http and self.http is not None and not self.http.is_closed:
            warnings.warn(
                f"{self.name} was not closed; use 'async with' or 'await client.aclose()'",
                ResourceWarning,
                source=self,
                stacklevel=1,
            )


class Queued:
    """A call counted in `Session.queued` until it first leaves the throttle (or ends)."""

    def __init__(self, session: Session) -> None:
        self._session: Session | None = session
        session.queued += 1

    def leave(self) -> None:
        """Leave the count (once; later calls do nothing)."""
        if self._session is not None:
            self._session.queued -= 1
            self._session = None


async def close_elsewhere(session: Session) -> None:
    """Close a session from another loop than its own: what its loop owned cannot be."""
    session.calls.clear()
    http, session.http = session.http, None
    if not session.owns_http or http is None:
        return
    try:
        await http.aclose()
    except Exception as exc:  # the pool's connections belong to the first loop
        raise ClientStateError(
            "aclose() was called from another event loop than the client's; its connections "
            "belonged to that loop and are dropped with it (close the client inside it)"
        ) from exc
