"""The loopback server: the emulator's app (or any ASGI app) under uvicorn, in a thread."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

from ._emulator import Emulator
from ._http import PREFIX, ConnectionDropped


class _HideDrops(logging.Filter):
    """Keep uvicorn from logging a traceback for every injected connection drop."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


_HIDE_DROPS = _HideDrops()


@contextmanager
def serve(emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``emulator`` over HTTP on ``host``:``port`` (0: a free port) while in the block.

    Yields the base URL, such as ``http://127.0.0.1:54321/api/v1/``, once the server
    accepts connections. The server runs in a thread with its own event loop, logs only
    warnings and errors, and is shut down (socket closed, thread joined) on exit.
    """
    with serve_app(emulator.app, host, port) as origin:
        yield f"{origin}{PREFIX}/"


@contextmanager
def serve_app(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve any ASGI app as `serve` does (a webhook receiver); yield its origin.

    Such as ``http://127.0.0.1:54321``, without a trailing slash.
    """
    logging.getLogger("uvicorn.error").addFilter(_HIDE_DROPS)
    config = uvicorn.Config(
        app,
        http="h11",
        ws="none",
        lifespan="on",
        log_config=None,
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    errors: list[BaseException] = []
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only then (else +40 ms per request).
    with socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))

        def run() -> None:
            try:
                server.run(sockets=[sock])
            except BaseException as exc:  # reported to the caller's thread below
                errors.append(exc)

        thread = threading.Thread(target=run, name="cubicl-emulator", daemon=True)
        thread.start()
        try:
            while not server.started:
                if errors:
                    raise RuntimeError("the emulator server failed to start") from errors[0]
                time.sleep(0.002)
            bound_host, bound_port = sock.getsockname()[:2]
            netloc = f"[{bound_host}]" if family == socket.AF_INET6 else bound_host
            yield f"http://{netloc}:{bound_port}"
        finally:
            server.should_exit = True
            thread.join()
