"""What meets httpx: how requests reach the pool, typed errors from failures, link downloads."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import urllib.request
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from typing import Any
from urllib.parse import urlencode

import httpx

from ._answers import api_error
from ._config import check_number
from ._errors import (
    APIConnectionError,
    APITimeoutError,
    ConfigurationError,
    CubiclError,
    DecodeError,
)
from ._network import AsyncioTransport

__all__ = [
    "Wire",
    "check_timeout",
    "downloading",
    "env_proxies",
    "may_have_left",
    "request_error",
    "warm_up",
    "wire_for",
]

#: What httpcore imports on a client's first request (its network backend): 145 to 286 ms
#: measured, which stalled the loop just after that request had left the throttle.
_LAZY = ("httpcore._backends.anyio", "anyio._backends._asyncio", "h11")


def warm_up() -> None:
    """Import now what the first request would import lazily (a no-op once imported)."""
    for name in _LAZY:
        with contextlib.suppress(ImportError):  # another version of httpcore: nothing to warm
            importlib.import_module(name)


class Wire:
    """How a client's requests reach its pool: built and sent once per attempt.

    With a `transport` (the client we build), requests go straight to it: headers merged
    once, here, the URL parsed once, and the answer read as `AsyncClient.send` would.
    `build_request` and `send` cost about 250 µs of CPU a call (measured: the URL merged
    and parsed again, the cookie jar's urllib objects, the auth and redirect plumbing),
    and an API call uses none of it: its headers are fixed, it follows no redirect and
    keeps no cookie. Without one (a user's `http_client=`, or a proxy that httpx mounts),
    they go through `http`, whose auth, hooks, mounts, cookies and default timeout apply;
    `headers` (ours, for a user's client) go on every request. Downloads, which follow
    redirects, always go through `http`.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        headers: Mapping[str, str] | None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.http, self.headers, self.transport = http, headers, transport
        #: httpx's defaults merged with ours, as `build_request` would merge them.
        self.merged = dict(http.headers)
        self.timeout = {"timeout": http.timeout.as_dict()}

    def build(
        self,
        method: str,
        url: str,
        query: tuple[tuple[str, str], ...],
        *,
        json: Any = None,
        content: AsyncIterable[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: Any = httpx.USE_CLIENT_DEFAULT,
    ) -> httpx.Request:
        """Return the request (its `timeout`: the client's unless given)."""
        if self.transport is None:
            if headers is not None:
                headers = {**(self.headers or {}), **headers}
            return self.http.build_request(
                method, url, params=query or None,  # an empty params= parses the URL again
                json=json, content=content, headers=headers or self.headers, timeout=timeout,
            )  # fmt: skip
        if query:
            url = f"{url}?{urlencode(query)}"  # what httpx.QueryParams would write
        own = timeout is httpx.USE_CLIENT_DEFAULT
        return httpx.Request(
            method,
            url,
            json=json,
            content=content,
            headers={**self.merged, **headers} if headers else self.merged,
            extensions=self.timeout if own else {"timeout": httpx.Timeout(timeout).as_dict()},
        )

    async def send(self, request: httpx.Request) -> httpx.Response:
        """Send `request`; return the answer with its body read (the connection is back)."""
        if self.transport is None:
            return await self.http.send(request)
        try:
            response = await self.transport.handle_async_request(request)
            response.request = request
            try:
                await response.aread()
            except BaseException:
                await response.aclose()
                raise
        except httpx.RequestError as exc:
            exc.request = request  # as AsyncClient.send sets it
            raise
        return response


def env_proxies() -> bool:
    """Tell whether the environment names a proxy (`HTTPS_PROXY`, ...) httpx would mount."""
    return any(scheme in urllib.request.getproxies() for scheme in ("http", "https", "all"))


def wire_for(
    http: httpx.AsyncClient | None,
    transport: httpx.AsyncBaseTransport | None,
    headers: Mapping[str, str],
    timeout: Any,
    size: int,
) -> Wire:
    """Return how a client's requests reach its pool: straight to it if we build it.

    A user's `http_client=` is used as is (their auth, hooks and mounts apply, our
    headers go on each request); with a proxy in the environment, an `httpx.AsyncClient`
    of ours mounts it as httpx does; else our client is built on `transport` (by default
    `AsyncioTransport`, `size` connections) and requests go straight to it.
    """
    if http is not None:
        return Wire(http, headers)
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
    if transport is None and env_proxies():
        return Wire(httpx.AsyncClient(limits=limits, timeout=timeout, headers=headers), None)
    transport = transport or AsyncioTransport(limits)
    http = httpx.AsyncClient(transport=transport, timeout=timeout, headers=headers)
    return Wire(http, None, transport)


#: Bytes a download yields at a time.
_CHUNK = 1 << 20
# Transport errors raised before a single byte of the request left: safe to resend a POST.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@contextlib.asynccontextmanager
async def downloading(
    http: httpx.AsyncClient, slots: asyncio.Semaphore, url: str, limits: Any, user_agent: str
) -> AsyncIterator[AsyncIterator[bytes]]:
    """Stream `url`, a pre-signed link, following up to 5 redirects; never send the token.

    Non-2xx answers raise their `APIError`, failures on the way their `APIConnectionError`.
    """
    headers = {"User-Agent": user_agent}
    async with slots:
        for _ in range(6):
            # not build_request(): the client's own headers (the token) must not be merged in
            timeout = {"timeout": httpx.Timeout(limits).as_dict()}
            request = httpx.Request("GET", url, headers=headers, extensions=timeout)
            try:
                response = await http.send(request, stream=True)
            except httpx.RequestError as exc:
                raise request_error(exc, request, may_have_left(exc)) from exc
            try:
                location = response.headers.get("location")
                if response.is_redirect and location:
                    url = str(response.url.join(location))
                    continue
                if not response.is_success:
                    content = await response.aread()
                    raise api_error(response.status_code, response.reason_phrase, content,
                                    method="GET", url=_no_query(request.url),
                                    headers=response.headers)  # fmt: skip
                yield _chunks(response, request)
                return
            finally:
                await response.aclose()
        raise APIConnectionError(f"GET {_no_query(request.url)}: too many redirects",
                                 method="GET", url=_no_query(request.url))  # fmt: skip


async def _chunks(response: httpx.Response, request: httpx.Request) -> AsyncIterator[bytes]:
    try:
        async for chunk in response.aiter_bytes(_CHUNK):
            yield chunk
    except httpx.RequestError as exc:
        raise request_error(exc, request, True) from exc


def _no_query(url: httpx.URL) -> str:
    """Return the URL without its query: a pre-signed link's signature is as good as a token."""
    return str(url.copy_with(query=None))


def check_timeout(timeout: object) -> None:
    if isinstance(timeout, httpx.Timeout):
        return
    check_number("timeout", timeout, minimum=0)
    if not timeout:
        raise ConfigurationError("timeout must be positive (or an httpx.Timeout)")


def may_have_left(exc: httpx.RequestError) -> bool:
    return not isinstance(exc, _NEVER_SENT)


def request_error(exc: httpx.RequestError, request: httpx.Request, sent: bool) -> CubiclError:
    """Return the typed error of a request that got no usable answer, chained to `exc`."""
    message = f"{type(exc).__name__} on {request.method} {request.url}: {exc or 'no detail'}"
    where = {"method": request.method, "url": str(request.url)}
    error: CubiclError
    if isinstance(exc, httpx.DecodingError):  # the answer came, but its body cannot be read
        error = DecodeError(message, body=b"", request_id=None, **where)
    elif isinstance(exc, httpx.TimeoutException):
        error = APITimeoutError(message, request_sent=sent, **where)
    else:  # transport failures, redirect loops, unsupported protocols ...
        error = APIConnectionError(message, request_sent=sent, **where)
    error.__cause__ = exc
    return error
