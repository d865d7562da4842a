"""AsyncCubicl: the client's lifecycle, options, one attribute per API area, and the pipeline."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import logging
import os
from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import Any, Self

import httpx

from ._answers import api_error, decode
from ._bookkeeping import Bookkeeping
from ._chat import Chat
from ._config import check_base_url, check_number, check_token, check_type, pool_size
from ._convert import UNSET, Unset, unstructure
from ._customers import Customers
from ._errors import (
    APIConnectionError,
    APIError,
    ClientStateError,
    ConfigurationError,
    CubiclError,
    QueueTimeoutError,
)
from ._files import Files
from ._httpx import (
    Wire,
    check_timeout,
    downloading,
    may_have_left,
    request_error,
    warm_up,
    wire_for,
)
from ._projects import Projects
from ._retry import RAISE, Action, RetryPolicy
from ._session import ClientStats, Queued, Session, close_elsewhere
from ._tasks import Tasks
from ._throttle import RateLimit, RateLimiter, Throttle, record_answer
from ._users import Users
from ._version import __version__
from ._webhooks import Webhooks
from ._wire import RawBody, encode_params

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_TIMEOUT", "AsyncCubicl", "ClientStats"]

#: Where the API lives unless `base_url=` or `CUBICL_BASE_URL` says otherwise.
DEFAULT_BASE_URL = "https://cubicl.io/api/v1/"
#: Connect within 5 s; read, write and wait for a pooled connection within 30 s.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)

logger = logging.getLogger("cubicl_async")
USER_AGENT = f"cubicl-async/{__version__} httpx/{httpx.__version__}"
#: A cooldown longer than this is logged as a WARNING (shorter ones at DEBUG).
_LONG_COOLDOWN = 5.0

# Stands in for a response's stream once its body is read (see `_attempts`).
_READ = httpx.ByteStream(b"")


class AsyncCubicl:
    """Async client for the Cubicl API.

    Use it as an async context manager (`async with AsyncCubicl() as client:`) or call
    `aclose()` when done. It owns one `httpx.AsyncClient`, created lazily in the event
    loop that first uses it, so a client built at import time or in a notebook cell works;
    using it from another event loop afterwards raises `ClientStateError`.

    Args:
        token: API token; defaults to the `CUBICL_TOKEN` environment variable.
        base_url: API root; defaults to `CUBICL_BASE_URL`, then `DEFAULT_BASE_URL`.
        rate_limit: a `RateLimit` for a throttle of this client's own, a `Throttle`
            (a `RateLimiter`, say) shared with other clients of the same token, or `None`
            for no client-side throttle (429 answers are still honoured).
        retry: how failed requests are retried (see `RetryPolicy`).
        timeout: seconds (float) or an `httpx.Timeout`.
        max_concurrency: requests in flight at once; the connection pool has this size.
            Callers beyond it queue first come, first served. Wireput is at most
            `max_concurrency / latency`. By default, enough to keep the rate limit busy
            at 0.5 s of latency, `ceil(rate * 0.5)`, within 4 and 32 (4 at the API's 60 or
            120 a minute); 4 with no client-side limit. Each pooled connection costs
            every request some CPU in httpcore, so the pool is no larger than the need.
        transport: an httpx transport to build our client around (for tests, proxies).
        http_client: an `httpx.AsyncClient` of yours; used as is and never closed by us.
        max_queue_wait: the longest a call may wait at the throttle, in seconds; a call
            that would wait longer fails at once with `QueueTimeoutError`, unsent (for web
            apps: see the README). `None` (the default, for bulk jobs): no bound.

    Every option is checked here: a bad one raises `ConfigurationError` naming it. A plain
    `http://` base URL to another host than this machine warns (`InsecureURLWarning`).
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        base_url: str | None = None,
        rate_limit: RateLimit | Throttle | None = RateLimit(requests=60, period=60.0),  # noqa: B008 - frozen
        retry: RetryPolicy = RetryPolicy(max_retries=2, initial_delay=0.5, max_delay=8.0),  # noqa: B008 - frozen
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_concurrency: int | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        max_queue_wait: float | None = None,
    ) -> None:
        token = check_token(token if token is not None else os.environ.get("CUBICL_TOKEN"))
        url = check_base_url(base_url or os.environ.get("CUBICL_BASE_URL") or DEFAULT_BASE_URL)
        check_type("rate_limit", rate_limit, (RateLimit, Throttle, type(None)),
                   "a RateLimit, a Throttle (e.g. a RateLimiter) or None")  # fmt: skip
        check_type("retry", retry, RetryPolicy, "a RetryPolicy")
        check_timeout(timeout)
        if max_concurrency is not None:
            check_number("max_concurrency", max_concurrency, minimum=1, integer=True)
        check_type("transport", transport, (httpx.AsyncBaseTransport, type(None)),
                   "an httpx.AsyncBaseTransport or None")  # fmt: skip
        check_type("http_client", http_client, (httpx.AsyncClient, type(None)),
                   "an httpx.AsyncClient or None")  # fmt: skip
        if max_queue_wait is not None:
            check_number("max_queue_wait", max_queue_wait, minimum=0)
        if transport is not None and http_client is not None:
            raise ConfigurationError("pass transport= or http_client=, not both")
        #: The API root every path is joined to (always ends with "/").
        self.base_url = url
        #: The default retry policy of this client.
        self.retry = retry
        #: The longest wait at the throttle a call accepts (`None`: no bound).
        self.max_queue_wait = max_queue_wait
        self._headers = {
            "Authorization": f"Bearer {token}",
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }
        self._timeout = timeout
        self._transport = transport
        limiter = rate_limit if isinstance(rate_limit, Throttle) else RateLimiter(rate_limit)
        #: Requests in flight at most; also the connection pool's size.
        self.max_concurrency = max_concurrency or pool_size(getattr(limiter, "rate", None))
        self._session = Session(http_client, limiter, f"AsyncCubicl({self.base_url!r})")
        if http_client is None:  # the client we build carries this timeout; a user's does not
            self._session.timeout = timeout
        self._init_areas()

    def _init_areas(self) -> None:
        #: Projects ("groups" in the API).
        self.projects = Projects(self)
        #: Tasks and their activity.
        self.tasks = Tasks(self)
        #: The caller, the organization's members, and users by id.
        self.users = Users(self)
        #: Customers (the API's "clients", `crm/customers`).
        self.customers = Customers(self)
        #: Customers' current accounts: entries, payments, activities.
        self.bookkeeping = Bookkeeping(self)
        #: Uploads, downloads and the Files pages.
        self.files = Files(self)
        #: Chat threads and messages.
        self.chat = Chat(self)
        #: The caller's webhooks (receiving them: `cubicl_async.webhooks`).
        self.webhooks = Webhooks(self)

    def with_options(
        self,
        *,
        retry: RetryPolicy | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_queue_wait: float | Unset | None = UNSET,
    ) -> AsyncCubicl:
        """Return a copy with another retry policy, timeout or queue deadline, for some calls.

        The copy shares everything else: connections, rate limiter, counters and
        lifetime (closing either closes both). `max_queue_wait=None` lifts the bound.
        """
        if retry is not None:
            check_type("retry", retry, RetryPolicy, "a RetryPolicy")
        if timeout is not None:
            check_timeout(timeout)
        if max_queue_wait is not None and max_queue_wait is not UNSET:
            check_number("max_queue_wait", max_queue_wait, minimum=0)
        clone = copy.copy(self)
        clone.retry = retry or self.retry
        clone._timeout = timeout if timeout is not None else self._timeout
        if not isinstance(max_queue_wait, Unset):
            clone.max_queue_wait = max_queue_wait
        clone._init_areas()
        return clone

    @property
    def rate_limiter(self) -> Throttle:
        """The throttle this client's requests pass (its `rate` is the current one)."""
        return self._session.limiter

    @property
    def stats(self) -> ClientStats:
        """Counters of requests, retries, 429s, failures and throttle wait."""
        return self._session.stats

    def __repr__(self) -> str:
        closed = " closed" if self._session.closed else ""
        return f"<AsyncCubicl base_url={self.base_url!r}{closed}>"

    async def __aenter__(self) -> Self:
        self._bind()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the client; requests still pending fail with `ClientStateError`.

        Calling it again does nothing. A client given as `http_client=` stays open.
        Called from another event loop than the client's (a shutdown hook run by a later
        `asyncio.run`), it closes the client and raises `ClientStateError` if its
        connections, which belong to the first loop, could not be closed.
        """
        session = self._session
        if session.closed:
            return
        session.closed = True
        if session.loop is not None and session.loop is not asyncio.get_running_loop():
            await close_elsewhere(session)
            return
        session.closing = set(session.calls)
        for task in session.closing:
            task.cancel()
        if session.calls and session.drained is not None:
            await session.drained.wait()
        if session.owns_http and session.http is not None:
            await session.http.aclose()

    def _download(self, url: str) -> contextlib.AbstractAsyncContextManager[AsyncIterator[bytes]]:
        """Stream the body at `url` (a download link) through our pool, without the token."""
        wire, slots = self._bind()
        return downloading(wire.http, slots, url, self._timeout, USER_AGENT)

    def _bind(self) -> tuple[Wire, asyncio.Semaphore]:
        """Return the loop-bound parts, creating them in the running loop on first use."""
        session = self._session
        if session.closed:
            raise ClientStateError("this AsyncCubicl is closed; create a new client")
        loop = asyncio.get_running_loop()
        if session.loop is None:
            warm_up()  # before the first request passes the throttle, not after
            session.wire = wire_for(session.http, self._transport, self._headers,
                                    self._timeout, self.max_concurrency)  # fmt: skip
            session.http = session.wire.http
            session.slots = asyncio.Semaphore(self.max_concurrency)
            session.drained = asyncio.Event()
            session.loop = loop
        elif loop is not session.loop:
            raise ClientStateError(
                "this AsyncCubicl belongs to the event loop it was first used in; "
                "create one client per event loop (e.g. inside the function given to asyncio.run)"
            )
        assert session.wire is not None and session.slots is not None  # noqa: PT018, S101 - set above
        return session.wire, session.slots

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        into: Any = None,
        unwrap: str | None = None,
    ) -> Any:
        """Send one API call through the throttle and the retry rules; return its result.

        `path` is relative to `base_url` and already percent-encoded; `body` is a record
        or JSON-ready data; `into` is the type the answer is structured into (`None`: the
        endpoint answers nothing), from inside a `{unwrap: ...}` wrapper if it has one.
        The call runs in the caller's task; `aclose()` cancels it into `ClientStateError`.
        """
        wire, slots = self._bind()
        session = self._session
        raw = body if isinstance(body, RawBody) else None
        try:
            request = wire.build(
                method,
                self.base_url + path,
                encode_params(params),
                json=unstructure(body) if body is not None and raw is None else None,
                content=raw.content if raw is not None else None,
                headers=raw.headers if raw is not None else None,
                # the client's own timeout applies unless with_options() set another
                timeout=httpx.USE_CLIENT_DEFAULT
                if self._timeout is session.timeout
                else self._timeout,
            )
        except httpx.InvalidURL as exc:
            raise ConfigurationError(f"cannot build a URL for {method} {path}: {exc}") from None
        if self.max_queue_wait is not None:
            expected = session.limiter.expected_wait(session.queued)
            if expected > self.max_queue_wait:
                session.stats.failed += 1
                raise QueueTimeoutError(
                    f"{method} {request.url.path} would wait about {expected:.1f}s at the "
                    f"throttle, more than max_queue_wait={self.max_queue_wait}s; not sent",
                    expected_wait=expected,
                )
        queued = Queued(session)
        # No task of its own (that cost 67 µs a call): aclose() cancels the caller's.
        task = asyncio.current_task()
        assert task is not None  # noqa: S101 - asyncio always runs coroutines in a task
        session.calls.add(task)
        try:
            return await self._attempts(wire, slots, request, (into, unwrap), queued)
        except asyncio.CancelledError:
            if task in session.closing and not task.uncancel():
                raise ClientStateError(
                    f"the client was closed while {method} {request.url.path} was pending"
                ) from None
            raise
        except BaseException:
            session.stats.failed += 1
            raise
        finally:
            queued.leave()
            session.leave(task)

    async def _attempts(
        self,
        wire: Wire,
        slots: asyncio.Semaphore,
        request: httpx.Request,
        into: tuple[Any, str | None],
        queued: Queued,
    ) -> Any:
        """Send `request` until it succeeds or `RetryPolicy.decide` says to raise."""
        method, path, policy = request.method, request.url.path, self.retry
        throttle, stats = self._session.limiter, self._session.stats
        await slots.acquire()
        try:
            for retries in itertools.count():
                try:
                    waited = await throttle.acquire()
                finally:
                    queued.leave()
                stats.requests += 1
                stats.retries += retries > 0
                stats.throttle_wait += waited
                sent_at = asyncio.get_running_loop().time()
                try:
                    response = await wire.send(request)
                except httpx.RequestError as exc:
                    outcome, status, sent = type(exc).__name__, None, may_have_left(exc)
                    error: CubiclError = request_error(exc, request, sent)
                    frees_in = None
                else:
                    # httpx links a response and its stream both ways, so each response
                    # (body included) would wait for the cyclic GC: with the body read and
                    # the stream closed, unlink them and a page is freed as soon as it is used.
                    response.stream = _READ
                    outcome, status, sent = str(response.status_code), response.status_code, True
                    frees_in = await record_answer(throttle, sent_at, response)
                logger.debug("%s %s -> %s (attempt %d, waited %.3fs)",
                             method, path, outcome, retries + 1, waited)  # fmt: skip
                if status is not None:
                    url, headers, content = str(request.url), response.headers, response.content
                    if response.is_success:
                        return decode(content, into[0], method=method, url=url,
                                      headers=headers, unwrap=into[1])  # fmt: skip
                    error = api_error(status, response.reason_phrase, content,
                                      method=method, url=url, headers=headers)  # fmt: skip
                    stats.rate_limited += status == 429
                decision = policy.decide(
                    method=method, retries=retries, status=status, request_sent=sent,
                    retry_after=getattr(error, "retry_after", None), window_frees_in=frees_in,
                    period=throttle.period,
                ) if isinstance(error, APIError | APIConnectionError) else RAISE  # fmt: skip
                if decision.action is Action.RAISE:
                    error.retries_taken = retries
                    logger.debug("%s %s failed with %s after %d attempt(s)",
                                 method, path, outcome, retries + 1)  # fmt: skip
                    raise error from error.__cause__
                if decision.action is Action.COOL_DOWN:
                    level = logging.WARNING if decision.delay > _LONG_COOLDOWN else logging.DEBUG
                    logger.log(level, "%s %s -> 429: every request waits %.1fs",
                               method, path, decision.delay)  # fmt: skip
                    await throttle.cool_down(decision.delay)
                else:
                    logger.warning("%s %s -> %s: retry %d of %d in %.2fs",
                                   method, path, outcome, retries + 1, policy.max_retries,
                                   decision.delay)  # fmt: skip
                    await asyncio.sleep(decision.delay)
            raise AssertionError("unreachable")  # pragma: no cover
        finally:
            slots.release()
