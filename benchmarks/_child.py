"""Runs a benchmark's emulator in a child process, as a real server would be (no shared GIL)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

from cubicl_async.testing import Emulator, seed_demo, serve


@contextlib.contextmanager
def child_server(script: str, *args: str) -> Iterator[str]:
    """Run `script --serve *args` and yield the base URL it prints; stop it on exit."""
    command = [sys.executable, script, "--serve", *args]
    child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # noqa: S603
    assert child.stdout is not None
    assert child.stdin is not None
    try:
        yield child.stdout.readline().strip()
    finally:
        child.stdin.close()  # the child serves until its stdin closes
        child.wait(timeout=30)


def serve_until_stdin_closes(emulator: Emulator) -> None:
    """In the child: serve `emulator` on loopback, print its URL, wait for stdin to close."""
    with serve(emulator) as url:
        print(url, flush=True)
        sys.stdin.read()


def serve_demo(**options: Any) -> None:
    """In the child: serve the demo organization (`Emulator(**options)`) until stdin closes."""
    emulator = Emulator(**options)
    seed_demo(emulator)
    serve_until_stdin_closes(emulator)
