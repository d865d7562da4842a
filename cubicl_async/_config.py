"""The client's options checked at construction, no I/O: token, base URL, numbers and types.

Each check raises `ConfigurationError` naming the argument, so that a bad option fails
where it is given rather than deep inside the first request.
"""

from __future__ import annotations

import ipaddress
import math
import re
import warnings
from typing import Any
from urllib.parse import urlsplit

from ._errors import ConfigurationError

__all__ = [
    "InsecureURLWarning",
    "check_base_url",
    "check_number",
    "check_token",
    "check_type",
    "pool_size",
]

_TOKEN_SHAPE = re.compile(r"[\x21-\x7e]+")
_UNSAFE = re.compile(r"[\x00-\x20\x7f]")


class InsecureURLWarning(UserWarning):
    """A plain `http://` base URL to a host other than this machine: the token is sent in clear."""


def check_token(token: object) -> str:
    """Return `token` if it is a usable API token (printable ASCII, no spaces)."""
    if token is None or token == "":
        raise ConfigurationError("no API token: pass token=... or set CUBICL_TOKEN")
    if not isinstance(token, str):
        raise ConfigurationError(f"token must be a str, got {type(token).__name__}")
    if not _TOKEN_SHAPE.fullmatch(token):
        raise ConfigurationError("the API token contains spaces or control characters")
    return token


def check_base_url(url: object) -> str:
    """Return the base URL, ending in "/", if every request can be joined to it safely.

    It must be `https://` (or `http://`, with an `InsecureURLWarning` unless the host is
    this machine, a loopback address, or under a reserved name such as `localhost` or
    `.test`, as the emulator's in-process URL is), name a host, and hold no query,
    fragment, credentials, white space or control characters.
    """
    if not isinstance(url, str):
        raise ConfigurationError(f"base_url must be a str, got {type(url).__name__}")
    if _UNSAFE.search(url):
        raise ConfigurationError(f"base_url holds white space or control characters: {url!r}")
    try:
        parts = urlsplit(url)
        port = parts.port  # reading it validates it
    except ValueError as exc:
        raise ConfigurationError(f"base_url is not a valid URL: {url!r} ({exc})") from None
    if parts.scheme not in ("https", "http"):
        raise ConfigurationError(f"base_url must start with https:// or http://, got {url!r}")
    if not parts.hostname:
        raise ConfigurationError(f"base_url names no host: {url!r}")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise ConfigurationError(f"base_url must not hold a query or a fragment: {url!r}")
    if parts.username is not None or parts.password is not None:
        raise ConfigurationError("base_url must not hold credentials; pass token= instead")
    if parts.scheme == "http" and not _is_local(parts.hostname):
        warnings.warn(
            f"base_url {parts.scheme}://{parts.hostname}{'' if port is None else f':{port}'}"
            " is plain http to another host: the API token travels unencrypted",
            InsecureURLWarning,
            stacklevel=3,
        )
    return url.rstrip("/") + "/"


#: Top-level names reserved by RFC 2606 and 6761: never hosts on the public internet.
_RESERVED = ("localhost", "test", "invalid", "example")


def _is_local(host: str) -> bool:
    if host.rsplit(".", 1)[-1] in _RESERVED:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_type(name: str, value: Any, kind: type | tuple[type, ...], expected: str) -> None:
    """Raise `ConfigurationError` unless `value` is an instance of `kind`."""
    if not isinstance(value, kind):
        raise ConfigurationError(f"{name} must be {expected}, got {value!r}")


def check_number(name: str, value: Any, *, minimum: float, integer: bool = False) -> None:
    """Raise `ConfigurationError` unless `value` is a number (an int if `integer`) >= `minimum`."""
    number = isinstance(value, int) or (isinstance(value, float) and not integer)
    if isinstance(value, bool) or not number or not minimum <= value:
        what = "an int" if integer else "a number"
        raise ConfigurationError(f"{name} must be at least {minimum} ({what}), got {value!r}")


#: The latency a default pool is sized for, in seconds.
SIZED_FOR_LATENCY = 0.5


def pool_size(rate: float | None) -> int:
    """Return the default `max_concurrency` for a rate limit of `rate` requests a second.

    Enough requests in flight to keep the rate at `SIZED_FOR_LATENCY` of latency, within
    4 and 32; 4 when there is no client-side limit (`benchmarks/overhead.py`: each pooled
    connection costs every request CPU in httpcore, and 4 on loopback served more calls a
    second than 8 or 16).
    """
    if rate is None:
        return 4
    return min(32, max(4, math.ceil(rate * SIZED_FOR_LATENCY)))
