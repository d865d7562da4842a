"""Sending deliveries: background tasks, bounded retries, loopback only or a mounted ASGI app."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import httpx
from starlette.types import ASGIApp

#: Where refusals and failed deliveries are logged.
logger = logging.getLogger("cubicl_async.testing")

#: The only networks deliveries may reach (besides the name ``localhost``).
_LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))

#: An origin: scheme, host (lower case) and port.
Origin = tuple[str, str, int]


@dataclass(frozen=True)
class DeliveryRecord:
    """One attempt at a delivery, appended to ``emu.deliveries`` once it is over."""

    #: The delivery's id (the body's ``deliveryId``): the same for each retry of it.
    delivery_id: str
    #: The webhook delivered to.
    webhook_id: str
    #: Its type (the body's ``event``).
    event: str
    #: Where it was sent.
    url: str
    #: 1 for the first attempt, 2 and 3 for the retries.
    attempt: int
    #: The receiver's status; 0 for a connection error, a timeout or a refusal.
    status: int
    #: Why it failed (``"HTTP 500"``, the connection error, the refusal), None for a 2xx.
    error: str | None
    #: The JSON body sent.
    body: bytes
    #: The headers the emulator set.
    headers: dict[str, str]


def origin(url: str) -> Origin | None:
    """Return the origin of an http(s) URL, its default port filled in; None if it has none."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return (parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80))


def is_loopback(host: str) -> bool:
    """Tell whether a host is ``localhost`` or a loopback address (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in _LOOPBACK)


class Sender:
    """Sends deliveries from background tasks and records every attempt (`deliveries`).

    A delivery goes to the ASGI app mounted at its URL's origin (`mount`), else to a
    loopback address; any other URL is refused without a connection. Each attempt is
    a POST; a connection error or a status other than 2xx is retried after each of the
    delays given, then given up. Redirects are not followed.
    """

    def __init__(self) -> None:
        #: Every attempt, in the order they ended.
        self.deliveries: list[DeliveryRecord] = []
        self._mounts: dict[Origin, ASGIApp] = {}
        self._pending: set[asyncio.Task[None]] = set()
        self._count = 0
        self._ssl: ssl.SSLContext | None = None

    def mount(self, url: str, app: ASGIApp) -> None:
        """Serve the deliveries to ``url``'s origin (``http://receiver.test``) with ``app``."""
        where = origin(url)
        if where is None or urlsplit(url).path not in ("", "/"):
            raise ValueError(f"mount takes an origin such as 'http://receiver.test', not {url!r}")
        self._mounts[where] = app

    def send(
        self,
        webhook_id: str,
        event: str,
        url: str,
        payload: Mapping[str, Any],
        *,
        created_at: int,
        delays: Sequence[float],
        timeout: float,
    ) -> None:
        """Start delivering an event in a background task: its envelope, then ``payload``.

        It is tried once, then after each of the ``delays`` (seconds) while it fails;
        each attempt may take ``timeout`` seconds.
        """
        self._count += 1
        delivery_id = f"dlv-{self._count:06d}"
        envelope = {"event": event, "deliveryId": delivery_id, "createdAt": created_at}
        body = json.dumps({**envelope, **payload}).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "cubicl-emulator",
            "X-Cubicl-Event": event,
            "X-Cubicl-Delivery": delivery_id,
        }
        record = DeliveryRecord(delivery_id, webhook_id, event, url, 1, 0, None, body, headers)
        task = asyncio.get_running_loop().create_task(
            self._deliver(record, tuple(delays), httpx.Timeout(timeout)),
            name=f"cubicl-webhook-{delivery_id}",
        )
        self._pending.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("webhook delivery task failed", exc_info=task.exception())

    async def _deliver(
        self, record: DeliveryRecord, delays: tuple[float, ...], limits: httpx.Timeout
    ) -> None:
        where = origin(record.url)
        app = None if where is None else self._mounts.get(where)
        if app is None and (where is None or not is_loopback(where[1])):
            error = "refused: deliveries go only to loopback addresses or mounted origins"
            self._record(record, 1, 0, error)
            logger.warning("webhook %s: %s (%s)", record.webhook_id, error, record.url)
            return
        transport = None if app is None else httpx.ASGITransport(app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, timeout=limits, trust_env=False, verify=self._context()
        ) as client:
            for attempt in range(1, len(delays) + 2):
                if attempt > 1:
                    await asyncio.sleep(delays[attempt - 2])
                if self._record(record, attempt, *await _post(client, record)) is None:
                    return
        logger.warning(
            "webhook %s: delivery %s to %s failed after %d attempts",
            record.webhook_id,
            record.delivery_id,
            record.url,
            len(delays) + 1,
        )

    def _context(self) -> ssl.SSLContext:
        """Return the TLS settings of every delivery (made once: loading them takes time)."""
        if self._ssl is None:
            self._ssl = ssl.create_default_context()
        return self._ssl

    def _record(
        self, record: DeliveryRecord, attempt: int, status: int, error: str | None
    ) -> str | None:
        """Append the record of an attempt to `deliveries`; return its error."""
        self.deliveries.append(replace(record, attempt=attempt, status=status, error=error))
        return error

    async def drain(self, within: float = 5.0) -> None:
        """Wait until every delivery started has finished; TimeoutError after ``within`` s."""
        async with asyncio.timeout(within):
            while pending := [task for task in list(self._pending) if _running(task)]:
                await asyncio.wait([_finishing(task) for task in pending])

    async def aclose(self) -> None:
        """Cancel the deliveries under way and wait until they are over."""
        here = asyncio.get_running_loop()
        for task in list(self._pending):
            loop = task.get_loop()
            if loop is here:
                task.cancel()
            elif not loop.is_closed():
                loop.call_soon_threadsafe(task.cancel)
        await self.drain()


async def _post(client: httpx.AsyncClient, record: DeliveryRecord) -> tuple[int, str | None]:
    """Make one attempt: return the status (0: no answer) and the error, None for a 2xx."""
    try:
        response = await client.post(record.url, content=record.body, headers=record.headers)
    except httpx.HTTPError as exc:
        return 0, f"{type(exc).__name__}: {exc}"
    status = response.status_code
    return status, None if 200 <= status < 300 else f"HTTP {status}"


def _running(task: asyncio.Task[None]) -> bool:
    """Tell whether a task may still end (not done, and its loop not closed)."""
    return not task.done() and not task.get_loop().is_closed()


def _finishing(task: asyncio.Task[None]) -> asyncio.Future[Any]:
    """Return what the running loop waits on for a task's end, whatever loop runs it.

    A task of another loop (the emulator served by `serve` in its thread) is waited for
    in its own loop.
    """
    loop = task.get_loop()
    if loop is asyncio.get_running_loop():
        return task
    return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(asyncio.wait([task]), loop))
