"""What meets httpx besides the client: typed errors from its failures, and link downloads."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from collections.abc import AsyncIterator
from typing import Any

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

__all__ = ["check_timeout", "downloading", "may_have_left", "request_error", "warm_up"]

#: What httpcore imports on a client's first request (its network backend): 145 to 286 ms
#: measured, which stalled the loop just after that request had left the throttle.
_LAZY = ("httpcore._backends.anyio", "anyio._backends._asyncio", "h11")


def warm_up() -> None:
    """Import now what the first request would import lazily (a no-op once imported)."""
    for name in _LAZY:
        with contextlib.suppress(ImportError):  # another version of httpcore: nothing to warm
            importlib.import_module(name)


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
