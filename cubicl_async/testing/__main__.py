"""Command line: ``python -m cubicl_async.testing`` serves the demo organization until Ctrl-C."""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
from collections.abc import Callable, Sequence

from ._demo import seed_demo
from ._emulator import Emulator
from ._server import serve

#: Never set: waiting on it lasts until Ctrl-C.
_NEVER = threading.Event()


def main(argv: Sequence[str] | None = None, *, wait: Callable[[], object] = _NEVER.wait) -> int:
    """Serve the demo organization (see `seed_demo`) until Ctrl-C, or until ``wait`` returns."""
    parser = argparse.ArgumentParser(
        prog="python -m cubicl_async.testing",
        description="Serve the in-memory Cubicl emulator with the demo organization.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8765, help="port (0: any free port)")
    parser.add_argument("--rate-limit", type=int, metavar="N", help="requests per token")
    parser.add_argument(
        "--rate-period", type=float, default=60.0, metavar="S", help="rate-limit window"
    )
    args = parser.parse_args(argv)
    emulator = Emulator(rate_limit=args.rate_limit, rate_period=args.rate_period)
    demo = seed_demo(emulator)
    with serve(emulator, args.host, args.port) as base_url:
        token = emulator.token(demo.admin)
        print(f"Cubicl emulator at {base_url} (token: {token})", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            wait()
    return 0


if __name__ == "__main__":  # pragma: no cover (run by the CLI test in a subprocess)
    sys.exit(main())
