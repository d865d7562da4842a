"""What every API command shares: the token, the client's options, logging, one-line errors."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import re
import sqlite3
import sys
from pathlib import Path

from .. import (
    APIConnectionError,
    APITimeoutError,
    AsyncCubicl,
    AuthenticationError,
    ConfigurationError,
    CubiclError,
    DecodeError,
    NotFoundError,
    PermissionDeniedError,
    RateLimit,
    RateLimitError,
    RetryPolicy,
    ServerError,
)
from ._progress import duration

__all__ = [
    "Failure", "UsageError", "describe", "identifier", "make_client", "rate_limit", "read_token",
    "setup_logging",
]  # fmt: skip


class UsageError(Exception):
    """The command line cannot work as given (exit status 2)."""


class Failure(Exception):
    """The command cannot go on, for a reason its message says (exit status 1)."""


def identifier(text: str) -> str:
    """Check an id given on the command line (one path segment) for argparse."""
    if not text or text in (".", "..") or "/" in text or text != text.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not an id")
    return text


def rate_limit(text: str) -> RateLimit:
    """Parse `N/PERIOD` (requests per period in seconds: `60/60`, `500/1`) for argparse."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*", text)
    if not match or int(match[1]) < 1 or float(match[2]) <= 0:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not N/PERIOD: requests per period in seconds, such as 60/60"
        )
    return RateLimit(int(match[1]), float(match[2]))


def read_token(token_file: Path | None) -> str:
    """Return the token: from `--token-file`, else `CUBICL_TOKEN`, else a prompt on a terminal."""
    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UsageError(f"cannot read the token file {token_file}: {exc.strerror}") from None
        if not token:
            raise UsageError(f"the token file {token_file} is empty")
        return token
    token = os.environ.get("CUBICL_TOKEN", "").strip()
    if token:
        return token
    if sys.stdin.isatty():
        token = getpass.getpass("Cubicl API token: ").strip()
        if token:
            return token
    raise UsageError(
        "no API token: set CUBICL_TOKEN, or pass --token-file PATH (in a terminal, "
        "the command asks for it)"
    )


def make_client(args: argparse.Namespace, token: str) -> AsyncCubicl:
    """Build the client of an API command from its options."""
    retry = RetryPolicy(max_retries=args.retries)
    try:
        return AsyncCubicl(token, base_url=args.base_url, rate_limit=args.rate_limit, retry=retry)
    except ConfigurationError as exc:
        raise UsageError(str(exc)) from None


class _StderrHandler(logging.Handler):
    """Writes to the `sys.stderr` of the moment (a live display may have replaced it)."""

    def emit(self, record: logging.LogRecord) -> None:
        print(self.format(record), file=sys.stderr, flush=True)


def setup_logging(verbose: bool) -> None:
    """Send the SDK's log to stderr: warnings (retries, long waits), or all with `--verbose`."""
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s" if verbose
                                           else "warning: %(message)s"))  # fmt: skip
    logger = logging.getLogger("cubicl_async")
    logger.handlers = [h for h in logger.handlers if not isinstance(h, _StderrHandler)]
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING)


#: One line per kind of error: what happened (`{exc}`), and what to do.
_LINES: tuple[tuple[type[BaseException], str], ...] = (
    (AuthenticationError, "the API refused the token ({exc}): check CUBICL_TOKEN or --token-file"),
    (RateLimitError, "rate limited ({exc}): the API asks to wait {wait} before the next request"),
    (PermissionDeniedError, "not permitted: {exc}"),
    (NotFoundError, "not found: {exc}"),
    (APITimeoutError, "the API did not answer in time: {exc}; try again later"),
    (APIConnectionError, "cannot reach the API: {exc}; check the network and --base-url"),
    (ServerError, "the API failed: {exc}; try again later"),
    (DecodeError, "the API sent an answer this SDK cannot read: {first}"),
    (Failure, "{exc}"),
    (CubiclError, "{first}"),
    (sqlite3.Error, "the export database failed: {exc}"),
    (OSError, "{exc}"),
)


def describe(exc: BaseException) -> str:
    """Say in one line what went wrong, and what to do about it."""
    retry_after = getattr(exc, "retry_after", None)
    wait = duration(retry_after) if retry_after is not None else "a while"
    first = (str(exc).splitlines() or [type(exc).__name__])[0]
    for kind, line in _LINES:
        if isinstance(exc, kind):
            return line.format(exc=first, wait=wait, first=first)
    return f"{type(exc).__name__}: {first} (a bug: run with --verbose for the traceback, report it)"
