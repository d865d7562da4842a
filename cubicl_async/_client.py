"""AsyncCubicl: the client's lifecycle, options, one attribute per API area, and the pipeline."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import warnings
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

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
from ._throttle import RateLimit, Throttle
from ._version import __version__
from ._wire import (
    IDEMPOTENT_METHODS,
    RETRYABLE_STATUSES,
    RetryPolicy,
    encode_params,
    parse_retry_after,
)

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_TIMEOUT", "AsyncCubicl"]

#: Where the API lives unless `base_url=` or `CUBICL_BASE_URL` says otherwise.
DEFAULT_BASE_URL = "https://cubicl.io/api/v1/"
#: Connect within 5 s; read, write and wait for a pooled connection within 30 s.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)

logger = logging.getLogger("cubicl_async")

# Transport errors raised before a single byte of the request left: safe to resend a POST.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_TOKEN_SHAPE = re.compile(r"[\x21-\x7e]+")


class AsyncCubicl:
    """Async client for the Cubicl API.

    Use it as an async context manager (`async with AsyncCubicl() as client:`) or call
    `aclose()` when done. It owns one `httpx.AsyncClient`, created lazily in the event
    loop that first uses it, so a client built at import time or in a notebook cell works;
    using it from another event loop afterwards raises `ClientStateError`.

    Args:
        token: API token; defaults to the `CUBICL_TOKEN` environment variable.
        base_url: API root; defaults to `CUBICL_BASE_URL`, then `DEFAULT_BASE_URL`.
        rate_limit: client-side throttle; `None` turns it off (429 handling stays on).
        retry: how failed requests are retried (see `RetryPolicy`).
        timeout: seconds (float) or an `httpx.Timeout`.
        max_concurrency: requests in flight at once; the connection pool has this size.
        transport: an httpx transport to build our client around (for tests, proxies).
        http_client: an `httpx.AsyncClient` of yours; used as is and never closed by us.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        base_url: str | None = None,
        rate_limit: RateLimit | None = RateLimit(requests=60, period=60.0),  # noqa: B008 - frozen
        retry: RetryPolicy = RetryPolicy(max_retries=2, initial_delay=0.5, max_delay=8.0),  # noqa: B008 - frozen
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_concurrency: int = 16,
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
        #: The client-side rate limit, or `None` when off.
        self.rate_limit = rate_limit
        #: The default retry policy; each call may override it.
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
        self._http = http_client
        self._owns_http = http_client is None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._bound: tuple[httpx.AsyncClient, asyncio.Semaphore, Throttle] | None = None
        self._closed = False
        #: Projects ("groups" in the API).
        self.projects = Projects(self)

    def __repr__(self) -> str:
        return f"<AsyncCubicl base_url={self.base_url!r}{' closed' if self._closed else ''}>"

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
        """Close the client and the connections it owns; calling it again does nothing."""
        if self._closed:
            return
        self._closed = True
        if self._owns_http and self._http is not None:
            await self._http.aclose()

    def __del__(self) -> None:
        http = getattr(self, "_http", None)
        if getattr(self, "_owns_http", False) and http is not None and not http.is_closed:
            warnings.warn(
                f"{self!r} was not closed; use 'async with' or 'await client.aclose()'",
                ResourceWarning,
                source=self,
                stacklevel=1,
            )

    def _bind(self) -> tuple[httpx.AsyncClient, asyncio.Semaphore, Throttle]:
        """Return the loop-bound parts, creating them in the running loop on first use."""
        if self._closed:
            raise ClientStateError("this AsyncCubicl is closed; create a new client")
        loop = asyncio.get_running_loop()
        if self._bound is None:
            if self._http is None:
                self._http = httpx.AsyncClient(
                    transport=self._transport,
                    timeout=self._timeout,
                    limits=httpx.Limits(
                        max_connections=self.max_concurrency,
                        max_keepalive_connections=self.max_concurrency,
                    ),
                )
            self._loop = loop
            self._bound = (
                self._http,
                asyncio.Semaphore(self.max_concurrency),
                Throttle(self.rate_limit),
            )
        elif loop is not self._loop:
            raise ClientStateError(
                "this AsyncCubicl belongs to the event loop it was first used in; "
                "create one client per event loop (e.g. inside the function given to asyncio.run)"
            )
        return self._bound

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        into: Any = None,
        retry: RetryPolicy | None = None,
    ) -> Any:
        """Send one API call through the throttle and the retry rules; return its result.

        `path` is relative to `base_url` and already percent-encoded; `body` is a record
        or JSON-ready data; `into` is the type the answer is structured into (raw JSON
        when `None`).
        """
        http, slots, throttle = self._bind()
        request = http.build_request(
            method,
            self.base_url + path,
            params=encode_params(params),
            json=unstructure(body) if body is not None else None,
            headers=self._headers,
        )
        policy = retry or self.retry
        async with slots:
            retries = 0
            while True:
                waited = await throttle.acquire()
                cause: httpx.TransportError | None = None
                error: APIError | APIConnectionError
                try:
                    response = await http.send(request)
                except httpx.TransportError as exc:
                    cause, error = exc, _connection_error(exc, request)
                    retryable = method in IDEMPOTENT_METHODS or isinstance(exc, _NEVER_SENT)
                    delay = policy.backoff(retries)
                    status = type(exc).__name__
                else:
                    logger.debug(
                        "%s %s -> %d (attempt %d, waited %.3fs)",
                        method, request.url.path, response.status_code, retries + 1, waited,
                    )  # fmt: skip
                    if response.is_success:
                        return _decode(response, into)
                    error = _api_error(response)
                    status = str(response.status_code)
                    if isinstance(error, RateLimitError):
                        retryable, delay = True, policy.rate_limit_backoff(retries)
                        if error.retry_after is not None:
                            retryable = error.retry_after <= policy.max_retry_after
                            delay = error.retry_after
                        if retryable:
                            throttle.cool_down(delay)
                            delay = 0.0
                    else:
                        retryable = (
                            response.status_code in RETRYABLE_STATUSES
                            and method in IDEMPOTENT_METHODS
                        )
                        delay = policy.backoff(retries)
                if not retryable or retries >= policy.max_retries:
                    error.retries_taken = retries
                    logger.warning(
                        "%s %s failed with %s after %d attempt(s)",
                        method, request.url.path, status, retries + 1,
                    )  # fmt: skip
                    raise error from cause
                retries += 1
                if delay:
                    await asyncio.sleep(delay)


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
