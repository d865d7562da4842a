"""The `cubicl` command, run as a subprocess against the emulator served on loopback.

Each test serves a fresh emulator (the demo organization; grown past one page of tasks
and of customers where paging matters) and runs `python -m cubicl_async ...` with `CUBICL_TOKEN` and
`CUBICL_BASE_URL` in the child's environment. An export's SQLite rows are compared with
the emulator's own data (its helpers, or raw HTTP for the areas read whole). Faults are
injected at the n-th request to a path, just before the emulator sees it, so nothing
depends on timing; the child's coverage is measured when the suite's is.
"""

from __future__ import annotations

import asyncio
import copy
import getpass
import io
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Coroutine, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from cubicl_async import (
    APIError,
    APITimeoutError,
    AsyncCubicl,
    DecodeError,
    Pager,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from cubicl_async._pagination import SkipLimit, Unpaged
from cubicl_async.cli import main
from cubicl_async.cli._demo import grow
from cubicl_async.cli._progress import PlainView, Tracker, duration
from cubicl_async.cli._resume import pages_from
from cubicl_async.cli._session import UsageError, describe, rate_limit, read_token
from cubicl_async.testing import Demo, Emulator, Faults, serve

T = TypeVar("T")
EXTRA_TASKS, EXTRA_CUSTOMERS = 195, 197  # 201 open tasks, 201 customers: two pages of each
FAST = ("--rate-limit", "5000/1")
HAS_CHAT = hasattr(Emulator(), "chat")
HAS_FILES = hasattr(Emulator(), "files")


def _coverage_env() -> dict[str, str]:
    """Make the child measure its coverage into the suite's data, when the suite measures."""
    try:
        import coverage

        current = coverage.Coverage.current()
        if current is None:
            return {}
        config = copy.copy(current.config)
        config.parallel = True  # a data file of its own, combined with the suite's at the end
        config.data_file = os.path.abspath(current.config.data_file)
        return {"COVERAGE_PROCESS_CONFIG": config.serialize()}
    except Exception:  # an older coverage: the child runs unmeasured
        return {}


DEMO_TOKEN = "demo-token"  # noqa: S105 - the emulator's demo token


def environment(base_url: str | None, token: str | None = DEMO_TOKEN) -> dict[str, str]:
    """Return the child's environment: ours without CUBICL_*, plus the given ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUBICL_")}
    env.update(_coverage_env())
    if base_url is not None:
        env["CUBICL_BASE_URL"] = base_url
    if token is not None:
        env["CUBICL_TOKEN"] = token
    return env


def cubicl(*args: str | Path, env: dict[str, str], cwd: Path | None = None
           ) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """Run `python -m cubicl_async ARGS` to its end (stdin not a terminal)."""
    return subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "cubicl_async", *map(str, args)], env=env, cwd=cwd,
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def cubicl_all(*commands: tuple[tuple[str | Path, ...], dict[str, str]]
               ) -> list[subprocess.CompletedProcess[str]]:  # fmt: skip
    """Run several commands at once (independent reads); return their results in order."""
    children = [
        (args, subprocess.Popen(  # noqa: S603 - our own command
            [sys.executable, "-m", "cubicl_async", *map(str, args)], env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        for args, env in commands
    ]  # fmt: skip
    done = []
    for args, child in children:
        out, err = child.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(args, child.returncode, out, err))
    return done


def last_line(stdout: str) -> dict[str, str]:
    """Parse the export's machine-readable last line (`key=value` words)."""
    line = stdout.strip().splitlines()[-1]
    assert line.startswith("cubicl export: complete"), stdout
    return dict(word.split("=", 1) for word in line.split() if "=" in word)


class NthRequest:
    """ASGI wrapper: queue a fault right before the emulator sees the n-th request to `path`."""

    def __init__(self, emu: Emulator, path: str, n: int, inject: Callable[[Faults], None]) -> None:
        self.app, self.emu, self.path, self.n, self.inject = emu.app, emu, path, n, inject
        self.seen = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Count the requests to the path; inject on the n-th; pass every request on."""
        if scope["type"] == "http" and scope["path"] == f"/api/v1{self.path}":
            self.seen += 1
            if self.seen == self.n:
                self.inject(self.emu.faults)
        await self.app(scope, receive, send)


def seeded(emu: Emulator, seed: Callable[[AsyncCubicl], Coroutine[Any, Any, T]]) -> T:
    """Seed the emulator through the SDK, in process; the requests it took are forgotten."""

    async def run() -> T:
        async with AsyncCubicl(DEMO_TOKEN, base_url=emu.base_url_in_process,
                               transport=emu.transport(), rate_limit=None) as client:  # fmt: skip
            return await seed(client)

    result = asyncio.run(run())
    emu.requests.clear()
    return result


def send_messages(emu: Emulator, demo: Demo, count: int) -> str:
    """Send `count` messages to Grace's personal thread with Ada; return the thread's id."""

    async def send(client: AsyncCubicl) -> str:
        first = await client.chat.send("Hello", to=demo.member)
        thread = first.thread.id if first.thread else (await client.chat.threads())[0].id
        for n in range(count - 1):
            await client.chat.send(f"Message {n}", thread=thread)
        return thread

    return seeded(emu, send)


@pytest.fixture
def grown(emu: Emulator, demo: Demo) -> Emulator:
    """Grow the demo organization past one page (200) of tasks and of customers."""
    grow(emu, demo, EXTRA_TASKS)
    for n in range(EXTRA_CUSTOMERS):
        emu.add_client(f"Client {n:03d}", email=f"client{n}@example.com")
    return emu


@pytest.fixture
def url(emu: Emulator, demo: Demo) -> Iterator[str]:
    """Serve the demo organization on loopback (a test's fault wrapper goes in before)."""
    with serve(emu) as base_url:
        yield base_url


@pytest.fixture
def raw(url: str) -> Iterator[Raw]:
    """Read the served emulator over raw HTTP, as the demo admin."""
    reader = Raw(url)
    yield reader
    reader.http.close()


@pytest.fixture
def env(url: str) -> dict[str, str]:
    """Return the environment of a child that reaches the served emulator as the demo admin."""
    return environment(url)


class Raw:
    """The emulator's data over raw HTTP, as the demo admin (`None` for a 404)."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, headers={"Authorization": "Bearer demo-token"})

    def get(self, path: str, **params: Any) -> Any:
        """GET a path; return its JSON, or `None` if the emulator does not serve it."""
        answer = self.http.get(path, params=params)
        if answer.status_code == 404:
            return None
        answer.raise_for_status()
        return answer.json()

    def messages(self, thread: str) -> list[dict[str, Any]]:
        """Every message of a thread, walking back 100 at a time from the newest."""
        found: list[dict[str, Any]] = []
        before: dict[str, str] = {}
        while True:
            page = self.get(f"chat/threads/{thread}/messages", limit=100, **before) or []
            found += page
            if len(page) < 100:
                return found
            oldest = min(page, key=lambda m: (m.get("createdAt") or 0, m["_id"]))
            before = {"before": oldest["_id"]}

    def nodes(self, owner: dict[str, str], parent: str | None = None) -> list[dict[str, Any]]:
        """Every node of a Files page, directories walked."""
        listed = self.get("file-system-nodes", **owner, **({"parent": parent} if parent else {}))
        found = list(listed or [])
        for node in listed or []:
            if node.get("type") == "d":
                found += self.nodes(owner, node["_id"])
        return found


def rows(dest: Path, table: str) -> dict[str, dict[str, Any]]:
    """Return a table of the export, by id."""
    db = sqlite3.connect(dest / "cubicl.sqlite")
    db.row_factory = sqlite3.Row
    try:
        return {row["id"]: dict(row) for row in db.execute(f"SELECT * FROM {table}")}  # noqa: S608
    finally:
        db.close()


def iso(seconds: float | None) -> str | None:
    """Render Unix seconds as the export writes dates."""
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC).isoformat()


def money(value: float | None) -> str | None:
    """Render a JSON amount as the export writes it (the decimal the SDK reads)."""
    return None if value is None else str(Decimal(repr(value)) if isinstance(value, float)
                                          else Decimal(value))  # fmt: skip


def assert_matches(dest: Path, emu: Emulator, raw: Raw, *, archived: bool = False,
                   projects: set[str] | None = None) -> None:  # fmt: skip
    """Check every table against the emulator's data: the ids, and the main fields."""
    visible = [
        emu.task(t["_id"]) for t in emu.tasks.records()
        if (archived or t.get("archivedAt") is None)
        and (projects is None or t["group"] in projects)
    ]  # fmt: skip
    tasks = rows(dest, "tasks")
    assert set(tasks) == {t["_id"] for t in visible}
    for task in visible:
        row = tasks[task["_id"]]
        assert (row["name"], row["project"], row["state"], row["priority"]) == (
            task["name"], task["group"], task["state"], task["priority"])  # fmt: skip
        assert row["customer"] == (task["customer"] or {}).get("_id")
        assert (row["created_at"], row["archived_at"]) == (
            iso(task["createdAt"]), iso(task.get("archivedAt")))  # fmt: skip
        assert json.loads(row["json"])["_id"] == task["_id"]
    activities = rows(dest, "task_activities")
    expected = {a["_id"]: a for t in visible for a in emu.activities(t["_id"])}
    assert set(activities) == set(expected)
    for key, activity in expected.items():
        got = activities[key]
        assert (got["task"], got["type"], got["content"]) == (
            activity["task"], activity["type"], activity.get("content"))  # fmt: skip
    customers = rows(dest, "customers")
    assert {k: (v["name"], v["email"]) for k, v in customers.items()} == {
        c["_id"]: (c["name"], c.get("email")) for c in emu.customers.records()}  # fmt: skip
    every = raw.get("groups")
    groups = [p for p in every if projects is None or p["_id"] in projects]
    assert {k: (v["name"], json.loads(v["parents"])) for k, v in rows(dest, "projects").items()} \
        == {p["_id"]: (p["name"], p["parents"] or []) for p in groups}  # fmt: skip
    users = raw.get("organization/users")
    assert {k: v["email"] for k, v in rows(dest, "users").items()} == {
        u["_id"]: u["email"] for u in users}  # fmt: skip
    assert list(rows(dest, "me")) == [raw.get("app/me")["_id"]]
    page = raw.get("bookkeeping/page")
    entries = rows(dest, "bookkeeping_entries")
    assert {k: (v["amount"], v["paid_amount"], v["currency"]) for k, v in entries.items()} == {
        e["_id"]: (money(e["amount"]), money(e["paidAmount"]), e["currency"])
        for e in page["entries"]}  # fmt: skip
    assert set(rows(dest, "bookkeeping_activities")) == {a["_id"] for a in page["activities"]}
    totals = rows(dest, "bookkeeping_totals")
    assert {k: v["outstanding"] for k, v in totals.items()} == {
        k: money(page[k]["outstanding"]) for k in ("payables", "receivables")}  # fmt: skip
    hooks = raw.get("users/self/webhook") or []
    assert set(rows(dest, "webhooks")) == {h["_id"] for h in hooks}
    threads = raw.get("chat/threads") or []
    assert set(rows(dest, "chat_threads")) == {t["_id"] for t in threads}
    messages = rows(dest, "chat_messages")
    assert set(messages) == {m["_id"] for t in threads for m in raw.messages(t["_id"])}
    owners = [{"group": p["_id"]} for p in groups]
    owners += [{"customer": c["_id"]} for c in emu.customers.records()]
    assert set(rows(dest, "file_nodes")) == {n["_id"] for o in owners for n in raw.nodes(o)}


def expected_minimum(emu: Emulator, raw: Raw) -> int:
    """Count the documented cost from the emulator's data, independently of the export."""
    tasks = sum(1 for t in emu.tasks.records() if t.get("archivedAt") is None)
    customers = sum(1 for _ in emu.customers.records())
    projects = len(raw.get("groups"))
    threads = raw.get("chat/threads") or []
    chat = 1 + sum(len(raw.messages(t["_id"])) // 100 + 1 for t in threads)
    owners = [{"group": p["_id"]} for p in raw.get("groups")]
    owners += [{"customer": c["_id"]} for c in emu.customers.records()]
    directories = sum(n.get("type") == "d" for o in owners for n in raw.nodes(o))
    return (2 + 1 + (tasks // 200 + 1) + tasks + (customers // 200 + 1) + 1 + 1 + chat
            + projects + customers + directories)  # fmt: skip


# A full export, in both formats, and again


def test_a_full_export_matches_the_organization_and_costs_the_minimum(
    grown: Emulator, raw: Raw, env: dict[str, str], tmp_path: Path
) -> None:
    """Every table matches the emulator; requests == the documented minimum == what it served."""
    dest = tmp_path / "out"
    done = cubicl("export", dest, *FAST, env=env)
    assert done.returncode == 0, done.stderr
    emu = grown
    served = len(emu.requests)  # every request the command made (and nothing else yet)
    summary = last_line(done.stdout)
    assert_matches(dest, emu, raw)
    minimum = expected_minimum(emu, raw)
    assert int(summary["requests"]) == int(summary["minimum"]) == minimum == served
    tables = ("tasks", "task_activities", "customers", "projects", "users", "me",
              "bookkeeping_entries", "bookkeeping_activities", "bookkeeping_totals", "webhooks",
              "chat_threads", "chat_messages", "file_nodes")  # fmt: skip
    assert int(summary["records"]) == sum(len(rows(dest, t)) for t in tables)
    tasks_pages = [r for r in emu.requests if r.path == "/tasks"]
    assert [r.query["limit"] for r in tasks_pages] == ["200", "200"]
    assert "desc" in tasks_pages[0].query["include"]  # whole records: no task read one by one
    assert not any(r.path.startswith("/tasks/") and not r.path.endswith("/activities")
                   for r in emu.requests)  # fmt: skip


def test_jsonl_has_one_object_per_line_and_file_per_table(
    emu: Emulator, raw: Raw, env: dict[str, str], tmp_path: Path
) -> None:
    """--format jsonl: DEST/<table>.jsonl beside the store, the same records, no partial files."""
    dest = tmp_path / "out"
    done = cubicl("export", dest, "--format", "jsonl", *FAST, env=env)
    assert done.returncode == 0, done.stderr
    assert_matches(dest, emu, raw)
    for table in ("tasks", "task_activities", "customers", "projects", "bookkeeping_entries"):
        lines = (dest / f"{table}.jsonl").read_text().splitlines()
        assert sorted(json.loads(line)["_id"] for line in lines) == sorted(rows(dest, table))
    totals = [json.loads(line) for line in (dest / "bookkeeping_totals.jsonl").read_text().split()]
    assert sorted(t["kind"] for t in totals) == ["payables", "receivables"]
    assert not list(dest.glob(".*.part"))


def test_a_second_run_is_a_fresh_pass_that_prunes_what_is_gone(
    emu: Emulator, raw: Raw, env: dict[str, str], tmp_path: Path
) -> None:
    """Run again after completion: a new pass at the same cost; a deleted task leaves the store."""
    dest = tmp_path / "out"
    first = last_line(cubicl("export", dest, *FAST, env=env).stdout)
    gone = next(t["_id"] for t in emu.tasks.records() if t["name"] == "Set up CI")
    emu.delete_task(gone)
    again = cubicl("export", dest, *FAST, env=env)
    second = last_line(again.stdout)
    assert (first["pass"], second["pass"], second["resumed"]) == ("1", "2", "no")
    cost = int(first["minimum"]) - 1  # the deleted task's activities
    assert int(second["requests"]) == int(second["minimum"]) == cost
    assert gone not in rows(dest, "tasks")
    assert_matches(dest, emu, raw)


def test_a_project_subtree_and_archived_tasks(
    emu: Emulator, demo: Demo, raw: Raw, env: dict[str, str], tmp_path: Path
) -> None:
    """--project keeps the subtree (root included); --include-archived adds archived tasks."""
    engineering = demo.projects["Engineering"]
    subtree = {engineering, *emu.projects.descendants(engineering)}
    done = cubicl("export", tmp_path / "eng", "--project", engineering, *FAST, env=env)
    assert done.returncode == 0, done.stderr
    assert set(rows(tmp_path / "eng", "projects")) == subtree
    assert_matches(tmp_path / "eng", emu, raw, projects=subtree)
    summary = last_line(done.stdout)
    assert summary["requests"] == summary["minimum"]
    done = cubicl("export", tmp_path / "all", "--include-archived", *FAST, env=env)
    assert demo.tasks["Spring newsletter"] in rows(tmp_path / "all", "tasks")
    assert_matches(tmp_path / "all", emu, raw, archived=True)


# Resuming: a fault stops the export at some point; the next run does what was left


FAULTS = [  # (path, n, inject): the grown organization for the second page of a list
    pytest.param(("/tasks", 2, lambda f: f.fail_next(1, 500, path="/tasks")), id="500-tasks-page"),
    pytest.param(("activity", 1, lambda f, p: f.drop_next(1, path=p)), id="drop-activities"),
    pytest.param(("/crm/customers", 2,
                  lambda f: f.fail_next(1, 429, retry_after=3600, path="/crm/customers")),
                 id="429-customers-page"),
    pytest.param(("/file-system-nodes", 5,
                  lambda f: f.fail_next(1, 500, path="/file-system-nodes")), id="500-files-page"),
    pytest.param(("chat", 2, lambda f, p: f.fail_next(1, 500, path=p)), id="500-chat-page",
                 marks=pytest.mark.skipif(not HAS_CHAT, reason="the emulator has no chat yet")),
]  # fmt: skip


@pytest.fixture
def faulty(request: pytest.FixtureRequest, emu: Emulator, demo: Demo) -> NthRequest:
    """Wrap the emulator's app (before it is served) to inject the test's fault."""
    path, n, inject = request.param
    if n == 2 and path != "chat":
        request.getfixturevalue("grown")
    if path in ("activity", "chat"):  # the fourth task's activities, a thread's second page
        if path == "activity":
            path = f"/tasks/{[t['_id'] for t in emu.tasks.records()][3]}/activities"
        else:
            path = f"/chat/threads/{send_messages(emu, demo, 150)}/messages"
        wrapper = NthRequest(emu, path, n, lambda faults: inject(faults, path))
    else:
        wrapper = NthRequest(emu, path, n, inject)
    emu.app = wrapper  # type: ignore[assignment]
    return wrapper


@pytest.mark.parametrize("faulty", FAULTS, indirect=True)
def test_an_export_stopped_by_a_fault_resumes_where_it_stopped(
    faulty: NthRequest, emu: Emulator, raw: Raw, env: dict[str, str], tmp_path: Path
) -> None:
    """Exit 1 in one line; the next run makes what was left (at most one page more), once each."""
    dest = tmp_path / "out"
    stopped = cubicl("export", dest, *FAST, "--retries", "0", env=env)
    assert stopped.returncode == 1, stopped.stdout + stopped.stderr
    assert faulty.seen >= faulty.n
    [line] = stopped.stderr.splitlines()
    assert "run the same command again to resume" in line
    assert "Traceback" not in stopped.stderr
    answered = len(emu.requests) - 1  # the faulted request brought nothing
    done = cubicl("export", dest, *FAST, env=env)
    assert done.returncode == 0, done.stderr
    summary = last_line(done.stdout)
    left = int(summary["minimum"]) - answered
    assert summary["resumed"] == "yes"
    assert left <= int(summary["requests"]) <= left + 1
    assert_matches(dest, emu, raw)


def test_ctrl_c_stops_cleanly_and_the_next_run_completes(
    grown: Emulator, raw: Raw, env: dict[str, str], tmp_path: Path
) -> None:
    """SIGINT mid-export: exit 130, how to resume; a later run completes, every record once."""
    dest = tmp_path / "out"
    child = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "cubicl_async", "export", str(dest), "--rate-limit", "100/1"],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert child.stdout is not None
    for line in child.stdout:  # once some activities are stored (240 at 100 a second)
        if re.match(r"task activities: [1-9]\d* items, .* \| ", line):
            break
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 130, out + err
    assert err.strip() == (
        "cubicl: interrupted: the export is saved, run the same command again to resume"
    )
    assert len(rows(dest, "tasks")) > 0
    done = cubicl("export", dest, *FAST, env=env)
    assert done.returncode == 0, done.stderr
    assert last_line(done.stdout)["resumed"] == "yes"
    assert_matches(dest, grown, raw)


def test_an_unfinished_export_with_other_options_needs_restart(
    emu: Emulator, raw: Raw, env: dict[str, str], tmp_path: Path
) -> None:
    """Other options on an unfinished pass: exit 2; --restart starts a new pass."""
    dest = tmp_path / "out"
    emu.faults.fail_next(1, 500, path="/tasks")
    assert cubicl("export", dest, *FAST, env=env).returncode == 1
    refused = cubicl("export", dest, "--include-archived", *FAST, env=env)
    assert refused.returncode == 2
    assert "unfinished export with other options" in refused.stderr
    done = cubicl("export", dest, "--include-archived", "--restart", *FAST, env=env)
    assert done.returncode == 0, done.stderr
    assert last_line(done.stdout)["pass"] == "2"  # noqa: S105 - a pass number
    assert_matches(dest, emu, raw, archived=True)


# What a terminal user sees


def test_output_off_a_terminal_is_plain_lines(env: dict[str, str], tmp_path: Path) -> None:
    """Not a terminal: one plain line per step, no escape codes; the summary and client stats."""
    done = cubicl("export", tmp_path / "out", *FAST, env=env)
    lines = done.stdout.splitlines()
    assert not any("\x1b" in line or "\r" in line for line in lines)
    for label in ("me", "users", "projects", "tasks", "task activities", "customers",
                  "bookkeeping", "Files pages"):  # fmt: skip
        assert any(line.startswith(f"{label}: done, ") for line in lines), label
    assert any(re.search(r"rate \d+\.\d\d/5000\.00 req/s, ETA ", line) for line in lines)
    assert any(line.startswith("client: requests=") for line in lines)
    assert any(re.fullmatch(r"tasks\s+6", line) for line in lines)  # the table of rows


def test_the_everyday_reads(demo: Demo, env: dict[str, str]) -> None:
    """whoami, projects tree (whole, or under a root), tasks list (table, JSON lines, filters)."""
    me, tree, under, table, found, mine = (done.stdout for done in cubicl_all(
        (("whoami",), env), (("projects", "tree"), env),
        (("projects", "tree", "--root", demo.projects["Engineering"]), env),
        (("tasks", "list", "--project", demo.projects["Marketing"]), env),
        (("tasks", "list", "--search", "newsletter", "--archived", "all", "--json"), env),
        (("tasks", "list", "--assignee", demo.outsider, "--json"), env),
    ))  # fmt: skip
    assert me.splitlines() == [f"Ada Lovelace (user {demo.admin})",
                               "admin of the organization Acme"]  # fmt: skip
    assert tree.splitlines()[0] == "Acme"
    assert "│   │   └── API" in tree
    assert under.splitlines()[0] == "Backend"
    assert "Marketing" not in under
    lines = table.splitlines()
    assert lines[0].split() == ["id", "name", "state", "project", "assignees", "deadline"]
    assert any("Launch campaign" in line and "Grace Hopper" in line for line in lines)
    assert lines[-1] == f"{len(lines) - 2} tasks"
    assert [json.loads(line)["name"] for line in found.splitlines()] == ["Spring newsletter"]
    assert [json.loads(line)["name"] for line in mine.splitlines()] == ["Landing page copy"]


def test_the_token_comes_from_a_file_and_is_never_printed(url: str, tmp_path: Path) -> None:
    """--token-file works without CUBICL_TOKEN; the token is in no output."""
    token_file = tmp_path / "token"
    token_file.write_text("demo-token\n")
    done = cubicl("whoami", "--token-file", token_file, env=environment(url, token=None))
    assert done.returncode == 0, done.stderr
    assert "demo-token" not in done.stdout + done.stderr
    empty = tmp_path / "empty"
    empty.write_text("\n")
    refused = cubicl("whoami", "--token-file", empty, env=environment(url, token=None))
    assert refused.returncode == 2
    assert refused.stderr == f"cubicl: error: the token file {empty} is empty\n"


@pytest.mark.parametrize(
    "args",
    [("export",), ("export", "d", "--rate-limit", "fast"), ("export", "d", "--format", "xml"),
     ("tasks", "list", "--archived", "maybe"), ("frobnicate",), ("projects",)],
    ids=["no-dest", "bad-rate", "bad-format", "bad-archived", "no-command", "no-action"],
)  # fmt: skip
def test_bad_arguments_exit_2(args: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    """Usage errors are argparse's: exit 2 and a usage line (in process: only parsing runs)."""
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    assert exited.value.code == 2
    assert "usage: cubicl" in capsys.readouterr().err


def test_errors_are_one_line_with_their_exit_status(url: str, tmp_path: Path) -> None:
    """A refused token: 1, one line, no traceback, not the token; no token and no terminal: 2."""
    not_ours = tmp_path / "not-ours"
    not_ours.mkdir()
    (not_ours / "cubicl.sqlite").write_text("not a database")
    wrong = environment(url, token="wrong-token-123")
    refused, missing, verbose, unreachable, broken = cubicl_all(
        (("whoami",), wrong), (("export", tmp_path / "out"), environment(url, token=None)),
        (("whoami", "--verbose"), wrong),
        (("whoami", "--retries", "0"), environment("http://127.0.0.1:9/api/v1/")),
        (("export", not_ours, *FAST), environment(url)),
    )  # fmt: skip
    assert refused.returncode == 1
    [line] = refused.stderr.splitlines()
    assert line.startswith("cubicl: the API refused the token (401 on GET ")
    assert line.endswith("check CUBICL_TOKEN or --token-file")
    assert "wrong-token-123" not in refused.stderr
    assert missing.returncode == 2
    assert missing.stderr.startswith("cubicl: error: no API token: set CUBICL_TOKEN")
    assert not (tmp_path / "out").exists()
    assert "Traceback" in verbose.stderr
    assert "DEBUG cubicl_async: GET /api/v1/app/me -> 401" in verbose.stderr
    assert unreachable.returncode == 1
    assert unreachable.stderr.startswith("cubicl: cannot reach the API: ")
    assert broken.returncode == 2
    assert "is not a cubicl export database" in broken.stderr


def test_demo_exports_a_grown_organization_in_process(tmp_path: Path) -> None:
    """No token, no network: the demo grown by --tasks, exported, summarized."""
    dest = tmp_path / "demo"
    done = cubicl("demo", dest, "--tasks", "40", "--format", "jsonl", env=environment(None))
    assert done.returncode == 0, done.stderr
    assert f"Exporting into {dest}" in done.stdout
    summary = last_line(done.stdout)
    assert summary["requests"] == summary["minimum"]
    assert len(rows(dest, "tasks")) == 6 + 40  # the demo's open tasks, and the new ones
    assert len((dest / "task_activities.jsonl").read_text().splitlines()) > 46
    assert "client: requests=" in done.stdout


def test_the_emulator_command_serves_the_demo_until_ctrl_c(tmp_path: Path) -> None:
    """`cubicl emulator --port 0` prints its URL and token; another command reaches it."""
    child = subprocess.Popen(
        [sys.executable, "-m", "cubicl_async", "emulator", "--port", "0", "--rate-limit", "50/1"],
        env=environment(None), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdout is not None
    first, hint = child.stdout.readline(), child.stdout.readline()
    found = re.match(r"Cubicl emulator at (\S+) \(token: demo-token\)", first)
    assert found, first
    assert hint.split() == ["export", f"CUBICL_BASE_URL={found[1]}", "CUBICL_TOKEN=demo-token"]
    me = cubicl("whoami", env=environment(found[1]))
    assert me.stdout.startswith("Ada Lovelace")
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=30)
    assert child.returncode == 0, err
    assert out.splitlines()[-1] == "emulator stopped"


def test_help_documents_the_cost_and_the_exit_statuses() -> None:
    """`python -m cubicl_async export --help` states the request formula and the exit statuses."""
    done = cubicl("export", "--help", env=environment(None))
    assert done.returncode == 0
    assert "(T // 200 + 1)" in done.stdout
    assert "sum of (M_h // 100 + 1)" in done.stdout
    assert "130 interrupted" in done.stdout


# The parts, in process


def test_rate_limits_and_durations_parse_and_print() -> None:
    """N/PERIOD parses (else argparse's error), durations read as people say them."""
    assert (rate_limit("120/60").requests, rate_limit("500/1").period) == (120, 1.0)
    for bad in ("60", "0/60", "60/0", "x/y"):
        with pytest.raises(Exception, match="N/PERIOD"):
            rate_limit(bad)
    assert [duration(s) for s in (4.4, 125, 3900)] == ["4s", "2m 05s", "1h 05m"]


async def test_a_skip_limit_list_resumes_at_its_saved_position() -> None:
    """Pager.starting_at: the pages from a saved `skip` on; only for skip/limit lists."""
    items = list("abcde")

    async def fetch(skip: int, limit: int) -> list[str]:
        return items[skip : skip + limit]

    async def whole() -> list[str]:
        return items

    pager = Pager(SkipLimit(fetch, 2), str)
    assert [p async for p in pages_from(pager, 2)] == [["c", "d"], ["e"]]
    assert [p async for p in pages_from(pager, 0)] == [["a", "b"], ["c", "d"], ["e"]]
    with pytest.raises(TypeError, match="skip/limit"):
        Pager(Unpaged(whole), str).starting_at(1)


def test_the_live_display_draws_bars_and_the_status_line() -> None:
    """On a terminal, rich draws each area's progress and the rate and ETA under them."""
    pytest.importorskip("rich")
    from rich.console import Console

    from cubicl_async.cli._rich import RichView, print_table

    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    view = RichView(console)
    tracker = Tracker([("tasks", "tasks"), ("activities", "task activities")], view,
                      rate=lambda: 0.96, limit=1.0)  # fmt: skip
    tracker.estimate = lambda: {"tasks": (1, True), "activities": (120, False)}
    tracker.add("tasks", items=200, requests=1)
    tracker.finish("tasks")
    tracker.add("activities", items=3, requests=2)
    view.close(tracker)
    print_table(("table", "rows"), [("tasks", "200")], console)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue())
    assert "task activities" in text
    assert "3 requests, rate 0.96/1.00 req/s, ETA ≥ 2m 06s" in text
    assert "200" in text


def test_plain_lines_come_at_most_once_a_second_per_area() -> None:
    """A running area prints when it starts, then not before `every` seconds; done always."""
    out = io.StringIO()
    view = PlainView(out, every=3600)
    tracker = Tracker([("tasks", "tasks")], view)
    for _ in range(5):
        tracker.add("tasks", items=1, requests=1)
    tracker.finish("tasks", "skipped: not permitted (403)")
    assert out.getvalue().splitlines() == [
        "tasks: 1 items, 1 requests | 1 requests, rate off req/s, ETA ?",
        "tasks: skipped: not permitted (403), 5 items, 5 requests",
    ]


class _Terminal(io.StringIO):
    """A stdin that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_the_token_is_asked_for_only_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No CUBICL_TOKEN on a terminal: getpass asks (nothing echoed); a missing file is usage."""
    monkeypatch.delenv("CUBICL_TOKEN", raising=False)
    monkeypatch.setattr(sys, "stdin", _Terminal())
    monkeypatch.setattr(getpass, "getpass", lambda prompt: " typed-token \n")
    assert read_token(None) == "typed-token"
    with pytest.raises(UsageError, match="cannot read the token file"):
        read_token(tmp_path / "missing")


def _api_error(kind: type[APIError], status: int, retry_after: float | None = None) -> APIError:
    error = kind("Nope", status_code=status, body={"message": "Nope"}, method="GET",
                 url="https://cubicl.test/api/v1/tasks", request_id=None)  # fmt: skip
    if retry_after is not None:
        error.retry_after = retry_after  # type: ignore[attr-defined]
    return error


@pytest.mark.parametrize(
    ("error", "line"),
    [
        (_api_error(RateLimitError, 429, retry_after=3600.0),
         "rate limited (429 on GET https://cubicl.test/api/v1/tasks: Nope): the API asks to "
         "wait 1h 00m before the next request"),
        (_api_error(PermissionDeniedError, 403), "not permitted: 403 on GET "),
        (_api_error(ServerError, 500), "the API failed: 500 on GET "),
        (APITimeoutError("read timeout", method="GET", url="u"), "the API did not answer in "),
        (DecodeError("bad\nmore", body=b"", method="GET", url="u", request_id=None),
         "the API sent an answer this SDK cannot read: bad"),
        (sqlite3.OperationalError("disk I/O error"), "the export database failed: disk I/O"),
        (PermissionError(13, "Permission denied", "/dest"), "[Errno 13] Permission denied"),
        (KeyError("x"), "KeyError: 'x' (a bug: run with --verbose"),
    ],
    ids=["429", "403", "500", "timeout", "decode", "sqlite", "oserror", "bug"],
)  # fmt: skip
def test_each_error_reads_as_one_line(error: BaseException, line: str) -> None:
    """What happened, and what to do, in one line."""
    described = describe(error)
    assert described.startswith(line)
    assert "\n" not in described


@pytest.mark.skipif(not HAS_FILES, reason="the emulator has no Files pages yet")
def test_files_pages_and_their_contents(
    emu: Emulator, demo: Demo, raw: Raw, env: dict[str, str], tmp_path: Path
) -> None:
    """--files: the nodes with their paths, on project and customer pages, and the bytes."""
    marketing = demo.projects["Marketing"]

    async def pages(client: AsyncCubicl) -> str:
        brief = await client.files.upload(b"the brief", filename="brief.txt")
        folder = await client.files.add_directory(project=marketing, name="Campaign")
        await client.files.add_directory(project=marketing, parent=folder.id, name="Drafts")
        await client.files.add_files(project=marketing, parent=folder.id, files=[brief.id])
        await client.files.add_files(customer=demo.client, files=[brief.id])
        return brief.id

    brief = seeded(emu, pages)
    dest = tmp_path / "out"
    done = cubicl("export", dest, "--files", *FAST, env=env)
    assert done.returncode == 0, done.stderr
    summary = last_line(done.stdout)
    assert summary["requests"] == summary["minimum"]
    assert_matches(dest, emu, raw)
    nodes = {(n["owner_type"], n["path"]) for n in rows(dest, "file_nodes").values()}
    assert {("project", "Campaign/brief.txt"), ("project", "Campaign/Drafts"),
            ("customer", "brief.txt")} <= nodes  # fmt: skip
    assert (dest / "files" / brief).read_bytes() == b"the brief"
