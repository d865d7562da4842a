"""AsyncCubicl: the client's lifecycle, options, one attribute per API area, and the pipeline."""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import logging
import os
import re
import warnings
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

import attrs
import httpx

from ._convert import StructureFailure, structure, unstructure
from ._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    ClientStateError,
    ConfigurationError,
    DecodeError,
    RateLimitError,
    error_class,
)
from ._projects import Projects
from ._retry import Action, RetryPolicy
from ._tasks import Tasks
from ._throttle import RateLimit, RateLimiter, Throttle
from ._version import __version__
from ._wire import encode_params, parse_retry_after

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_TIMEOUT", "AsyncCubicl", "ClientStats"]

#: Where the API lives unless `base_url=` or `CUBICL_BASE_URL` says otherwise.
DEFAULT_BASE_URL = "https://cubicl.io/api/v1/"
#: Connect within 5 s; read, write and wait for a pooled connection within 30 s.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)

logger = logging.getLogger("cubicl_async")

# Transport errors raised before a single byte of the request left: safe to resend a POST.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_TOKEN_SHAPE = re.compile(r"[\x21-\x7e]+")
# Stands in for a response's stream once its body is read (see `_attempts`).
_READ = httpx.ByteStream(b"")


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


class _Session:
    """What a client and its `with_options` copies share: pool, limiter, jobs, counters."""

    def __init__(self, http: httpx.AsyncClient | None, limiter: Throttle, name: str) -> None:
        self.name = name
        self.http = http
        self.owns_http = http is None
        self.limiter = limiter
        self.loop: asyncio.AbstractEventLoop | None = None
        self.slots: asyncio.Semaphore | None = None
        self.jobs: set[asyncio.Task[Any]] = set()
        self.closed = False
        self.stats = ClientStats()

    def __del__(self) -> None:
        if self.owns_http and self.http is not None and not self.http.is_closed:
            warnings.warn(
                f"{self.name} was not closed; use 'async with' or 'await client.aclose()'",
                ResourceWarning,
                source=self,
                stacklevel=1,
            )


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
            Callers beyond it queue first come, first served. Throughput is at most
            `max_concurrency / latency`.
        transport: an httpx transport to build our client around (for tests, proxies).
        http_client: an `httpx.AsyncClient` of yours; used as is and never closed by us.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        base_url: str | None = None,
        rate_limit: RateLimit | Throttle | None = RateLimit(requests=60, period=60.0),  # noqa: B008 - frozen
        retry: RetryPolicy = RetryPolicy(max_retries=2, initial_delay=0.5, max_delay=8.0),  # noqa: B008 - frozen
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_concurrency: int = 32,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        token = token if token is not None else os.environ.get("CUBICL_TOKEN")
        if not token:
            raise ConfigurationError("no API token: pass token=... or set CUBICL_TOKEN")
        if not _TOKEN_SHAPE.fullmatch(token):
            raise ConfigurationError("the API token contains spaces or control characters")
        url = base_url or os.environ.get("CUBICL_BASE_URL") or DEFAULT_BASE_URL
        if not url.startswith(("https://", "http://")):
            raise ConfigurationError(f"base_url must start with https:// or http://, got {url!r}")
        if max_concurrency < 1:
            raise ConfigurationError(f"max_concurrency must be at least 1, got {max_concurrency}")
        if transport is not None and http_client is not None:
            raise ConfigurationError("pass transport= or http_client=, not both")
        #: The API root every path is joined to (always ends with "/").
        self.base_url = url.rstrip("/") + "/"
        #: The default retry policy of this client.
        self.retry = retry
        #: Requests in flight at most; also the connection pool's size.
        self.max_concurrency = max_concurrency
        self._headers = {
            "Authorization": f"Bearer {token}",
            "User-Agent": f"cubicl-async/{__version__} httpx/{httpx.__version__}",
            "Accept": "application/json",
        }
        self._timeout = timeout
        self._transport = transport
        limiter = (
            RateLimiter(rate_limit)
            if rate_limit is None or isinstance(rate_limit, RateLimit)
            else rate_limit
        )
        self._session = _Session(http_client, limiter, f"AsyncCubicl({self.base_url!r})")
        self._init_areas()

    def _init_areas(self) -> None:
        #: Projects ("groups" in the API).
        self.projects = Projects(self)
        #: Tasks and their activity.
        self.tasks = Tasks(self)

    def with_options(
        self, *, retry: RetryPolicy | None = None, timeout: float | httpx.Timeout | None = None
    ) -> AsyncCubicl:
        """Return a copy with another retry policy or timeout, for some calls only.

        The copy shares everything else: connections, rate limiter, counters and
        lifetime (closing either closes both).
        """
        clone = copy.copy(self)
        clone.retry = retry or self.retry
        clone._timeout = timeout if timeout is not None else self._timeout
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
        """
        session = self._session
        if session.closed:
            return
        session.closed = True
        jobs = list(session.jobs)
        for job in jobs:
            job.cancel()
        if jobs:
            await asyncio.wait(jobs)
        if session.owns_http and session.http is not None:
            await session.http.aclose()

    def _bind(self) -> tuple[httpx.AsyncClient, asyncio.Semaphore]:
        """Return the loop-bound parts, creating them in the running loop on first use."""
        session = self._session
        if session.closed:
            raise ClientStateError("this AsyncCubicl is closed; create a new client")
        loop = asyncio.get_running_loop()
        if session.loop is None:
            if session.http is None:
                session.http = httpx.AsyncClient(
                    transport=self._transport,
                    timeout=self._timeout,
                    limits=httpx.Limits(
                        max_connections=self.max_concurrency,
                        max_keepalive_connections=self.max_concurrency,
                    ),
                )
            session.slots = asyncio.Semaphore(self.max_concurrency)
            session.loop = loop
        elif loop is not session.loop:
            raise ClientStateError(
                "this AsyncCubicl belongs to the event loop it was first used in; "
                "create one client per event loop (e.g. inside the function given to asyncio.run)"
            )
        assert session.http is not None and session.slots is not None  # noqa: PT018, S101 - set above
        return session.http, session.slots

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        into: Any = None,
    ) -> Any:
        """Send one API call through the throttle and the retry rules; return its result.

        `path` is relative to `base_url` and already percent-encoded; `body` is a record
        or JSON-ready data; `into` is the type the answer is structured into (raw JSON
        when `None`). The call runs as a task of its own, so `aclose()` can end it.
        """
        http, slots = self._bind()
        request = http.build_request(
            method,
            self.base_url + path,
            params=encode_params(params),
            json=unstructure(body) if body is not None else None,
            headers=self._headers,
            timeout=self._timeout,
        )
        session = self._session
        job = asyncio.ensure_future(self._attempts(http, slots, request, into))
        session.jobs.add(job)
        job.add_done_callback(session.jobs.discard)
        try:
            return await job
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if session.closed and not (task and task.cancelling()):
                raise ClientStateError(
                    f"the client was closed while {method} {request.url.path} was pending"
                ) from None
            raise
        except BaseException:
            session.stats.failed += 1
            raise

    async def _attempts(
        self,
        http: httpx.AsyncClient,
        slots: asyncio.Semaphore,
        request: httpx.Request,
        into: Any,
    ) -> Any:
        """Send `request` until it succeeds or `RetryPolicy.decide` says to raise."""
        method, path, policy = request.method, request.url.path, self.retry
        throttle, stats = self._session.limiter, self._session.stats
        async with slots:
            for retries in itertools.count():
                if retries:
                    stats.retries += 1
                waited = await throttle.acquire()
                stats.requests += 1
                stats.throttle_wait += waited
                sent_at = asyncio.get_running_loop().time()
                error: APIError | APIConnectionError | None = None
                cause: httpx.TransportError | None = None
                try:
                    response = await http.send(request)
                except httpx.TransportError as exc:
                    error, cause = _connection_error(exc, request), exc
                    status, sent, frees_in = None, not isinstance(exc, _NEVER_SENT), None
                else:
                    # httpx links a response and its stream both ways, so each response
                    # (body included) would wait for the cyclic GC: with the body read and
                    # the stream closed, unlink them and a page is freed as soon as it is used.
                    response.stream = _READ
                    status, sent = response.status_code, True
                    frees_in = await throttle.record(sent_at, rate_limited=status == 429)
                outcome = type(cause).__name__ if cause else str(status)
                logger.debug("%s %s -> %s (attempt %d, waited %.3fs)",
                             method, path, outcome, retries + 1, waited)  # fmt: skip
                if error is None:
                    if response.is_success:
                        return _decode(response, into)
                    error = _api_error(response)
                    stats.rate_limited += status == 429
                decision = policy.decide(
                    method=method, retries=retries, status=status, request_sent=sent,
                    retry_after=getattr(error, "retry_after", None), window_frees_in=frees_in,
                    period=throttle.period,
                )  # fmt: skip
                if decision.action is Action.RAISE:
                    error.retries_taken = retries
                    logger.warning("%s %s failed with %s after %d attempt(s)",
                                   method, path, outcome, retries + 1)  # fmt: skip
                    raise error from cause
                if decision.action is Action.COOL_DOWN:
                    await throttle.cool_down(decision.delay)
                else:
                    await asyncio.sleep(decision.delay)
        raise AssertionError("unreachable")  # pragma: no cover


def _connection_error(exc: httpx.TransportError, request: httpx.Request) -> APIConnectionError:
    kind = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
    return kind(
        f"{type(exc).__name__} on {request.method} {request.url}: {exc or 'no detail'}",
        method=request.method,
        url=str(request.url),
    )


def _json_or_text(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def _api_error(response: httpx.Response) -> APIError:
    body = _json_or_text(response)
    message = body.get("message") if isinstance(body, dict) else None
    request = response.request
    error = error_class(response.status_code)(
        message if isinstance(message, str) else response.reason_phrase,
        status_code=response.status_code,
        body=body,
        method=request.method,
        url=str(request.url),
        request_id=response.headers.get("x-request-id"),
    )
    if isinstance(error, RateLimitError):
        error.retry_after = parse_retry_after(response.headers.get("retry-after"))
    return error


def _decode(response: httpx.Response, into: Any) -> Any:
    request = response.request
    if not response.content:
        return None
    try:
        data = json.loads(response.content)
        return data if into is None else structure(data, into)
    except (ValueError, StructureFailure) as exc:
        raise DecodeError(
            f"{request.method} {request.url}: {exc}",
            body=response.content,
            method=request.method,
            url=str(request.url),
            request_id=response.headers.get("x-request-id"),
        ) from exc
