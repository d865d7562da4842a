"""The examples: the README's demo command, and the pytest plugin in a fresh project."""

from __future__ import annotations

import asyncio
import importlib.util
import pathlib
import socket
import subprocess
import sys

import pytest

from cubicl_async.testing import Emulator, seed_demo, serve
from cubicl_async.testing._server import serve_app

ROOT = pathlib.Path(__file__).parent.parent


def test_the_demo_prints_the_seeded_project_tree() -> None:
    """The demo starts the emulator, needs no token, and prints the DAG and a walk."""
    result = subprocess.run(  # noqa: S603 - our own script, run with this interpreter
        [sys.executable, str(ROOT / "examples" / "project_tree.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={"PATH": "", "PYTHONPATH": str(ROOT)},
    )
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Cubicl emulator at http://127.0.0.1:")
    assert "Acme" in lines
    assert "│   └── Frontend" in result.stdout or "│   ├── Frontend" in result.stdout
    assert sum("Website" in line for line in lines) == 3  # twice in the tree, once in the walk
    assert "      API (depth 4: todo, doing, done)" in lines


def test_the_pytest_plugin_example_passes_in_a_fresh_project(tmp_path: pathlib.Path) -> None:
    """examples/test_with_cubicl.py passes in a project of its own, through the entry point."""
    example = tmp_path / "test_with_cubicl.py"
    example.write_text((ROOT / "examples" / "test_with_cubicl.py").read_text())
    result = subprocess.run(  # noqa: S603 - pytest on our own example, with this interpreter
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(example)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


async def test_the_webhook_receiver_example_prints_the_demo_events(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """examples/webhook_receiver.py against the demo on loopback: both changes arrive."""
    spec = importlib.util.spec_from_file_location(
        "receiver", ROOT / "examples" / "webhook_receiver.py"
    )
    assert spec is not None
    assert spec.loader is not None
    receiver = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(receiver)
    emu = Emulator()
    seed_demo(emu)
    emu.webhooks.retry_delays = (0.2, 0.5, 1.0)  # the receiver starts listening after its hooks
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    seen: list[object] = []
    with serve(emu) as base_url:
        monkeypatch.setenv("CUBICL_BASE_URL", base_url)
        monkeypatch.setenv("CUBICL_TOKEN", "demo-token")
        app = receiver.build_app(f"http://127.0.0.1:{port}", demo=True, show=seen.append)
        with serve_app(app, port=port):
            for _ in range(100):  # bounded: at most 5 s
                if len(seen) >= 2:
                    break
                await asyncio.sleep(0.05)
        await emu.aclose()
    assert {type(event).__name__ for event in seen} == {"TaskUpdated", "TaskStateChanged"}
