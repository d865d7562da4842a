"""Every Python snippet of the README runs as written, in order, against the emulator.

The snippets share one namespace, as the cells of a notebook do, and those with top-level
`await` run in one event loop that lives across them (a notebook's). The emulator serves
the demo organization on loopback; `CUBICL_TOKEN` and `CUBICL_BASE_URL` point at it, and
`project_id`, `user_id` and `ids` name demo records, as a reader's own code would. A
snippet that defines an ASGI `app` is started (its lifespan too) and each GET route is
called. A snippet that defines `test_*` functions is a test file: it is written into an
empty folder and run there by pytest, with the emulator's pytest plugin.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from cubicl_async.testing import Demo, Emulator, seed_demo, serve

README = Path(__file__).parent.parent / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def snippets() -> list[str]:
    """Return the README's Python snippets, in order."""
    return BLOCK.findall(README.read_text())


def test_the_readme_has_snippets_and_they_parse() -> None:
    """The extraction finds the snippets, and each one is valid Python."""
    found = snippets()
    assert len(found) >= 5
    for code in found:
        ast.parse(code)


def run_in_thread(code: Any, namespace: dict[str, Any]) -> None:
    """Exec `code` in a thread of its own, where it may call `asyncio.run`."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            exec(code, namespace)  # noqa: S102 - the README's own code
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=60)
    if failure:
        raise failure[0]


def is_test_file(source: str) -> bool:
    """Whether a snippet is a pytest file: it defines `test_*` functions."""
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_")
        for node in ast.parse(source).body
    )


def run_pytest(source: str, path: Path) -> None:
    """Run a snippet as a test file in a folder of its own, as a user's project would."""
    folder = path.parent / path.stem
    folder.mkdir()
    (folder / path.name).write_text(source)
    result = subprocess.run(  # noqa: S603 - pytest, on the README's own test file
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", path.name],
        cwd=folder, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


async def exercise_app(app: Any) -> None:
    """Start a Starlette (FastAPI) app with its lifespan and GET each of its plain routes."""
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://app") as http,
    ):
        for route in app.routes:
            if "GET" in getattr(route, "methods", ()) and "{" not in route.path:
                assert (await http.get(route.path)).status_code == 200, route.path


def test_every_snippet_runs_as_written(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Run the snippets in order, like notebook cells, against the demo on loopback."""
    emu = Emulator()
    demo: Demo = seed_demo(emu)
    monkeypatch.chdir(tmp_path)
    with serve(emu) as base_url, asyncio.Runner() as notebook:
        monkeypatch.setenv("CUBICL_TOKEN", emu.token(demo.admin))
        monkeypatch.setenv("CUBICL_BASE_URL", base_url)
        namespace: dict[str, Any] = {
            "__name__": "__readme__",
            "project_id": demo.projects["Backend"],
            "user_id": demo.member,
            "ids": list(demo.tasks.values()),
        }
        for index, source in enumerate(snippets()):
            if is_test_file(source):
                run_pytest(source, tmp_path / f"test_readme_{index + 1}.py")
                continue
            before = set(namespace)
            code = compile(source, f"README snippet {index + 1}", "exec",
                           flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)  # fmt: skip
            if code.co_flags & inspect.CO_COROUTINE:
                notebook.run(eval(code, namespace))  # noqa: S307 - the README's own code
            else:
                run_in_thread(code, namespace)
            if "app" in set(namespace) - before:
                notebook.run(exercise_app(namespace["app"]))
        client = namespace.get("client")
        if client is not None:  # the notebook's client: closed as a notebook's last cell would
            notebook.run(client.aclose())
