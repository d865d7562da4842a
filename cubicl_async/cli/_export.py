"""`cubicl export`: every area the token can read into the store, page by page, resumable anywhere.

Stages, in order: `me`, `users`, `projects`; then, concurrently, the `tasks` listing
(which queues each task's `activities`), `customers` (which queue their Files pages),
`bookkeeping`, `webhooks`, `chat` threads (which queue their messages), the `files`
directories (project pages are queued with the projects, subdirectories as they are
found) and, with `--files`, the file `contents`. Each request's answer is committed
with the cursor that follows it (see `_store`), so a run that stops loses at most the
requests in flight, and the next run goes on from the store.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import attrs

from .. import AsyncCubicl, NotFoundError, PermissionDeniedError, ProjectTree, Task
from ._cost import MESSAGE_PAGE, PAGE
from ._progress import Tracker
from ._resume import pages_from
from ._runner import WORKERS, Runner, why
from ._session import Failure
from ._store import Batch, Store
from ._tables import dumps
from ._units import Units

__all__ = ["AREAS", "ExportOptions", "Exporter"]

#: Every `Task` attribute: one paged list gives whole records, no task is read one by one.
TASK_FIELDS = [field.name for field in attrs.fields(Task)]

#: The areas (stages and fan-out work), in display order, with their labels.
AREAS = [
    ("me", "me"), ("users", "users"), ("projects", "projects"), ("tasks", "tasks"),
    ("activities", "task activities"), ("customers", "customers"),
    ("bookkeeping", "bookkeeping"), ("webhooks", "webhooks"), ("chat", "chat threads"),
    ("messages", "chat messages"), ("files", "Files pages"), ("contents", "file contents"),
]  # fmt: skip


@dataclass(frozen=True)
class ExportOptions:
    """What to export: a project's subtree only, archived tasks too, the files' contents."""

    project: str | None = None
    include_archived: bool = False
    files: bool = False


def _file_name(file_id: str) -> str:
    """Return the name of a file's content under DEST/files: its id, when that is a safe name."""
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", file_id):
        return file_id
    return "id-" + file_id.encode().hex()


class Exporter(Runner):
    """One run of an export into `store` (its pass opened), through `client`."""

    listings = ("tasks", "customers")
    singles = ("bookkeeping", "webhooks", "chat")
    self_feeding = ("files",)

    def __init__(self, client: AsyncCubicl, store: Store, dest: Path, options: ExportOptions,
                 tracker: Tracker) -> None:  # fmt: skip
        super().__init__(client, store, tracker, ("activities", "messages", "files", "contents"))
        self.dest, self.options = dest, options

    async def run(self) -> None:
        """Export everything the store does not hold yet for this pass."""
        users = self.client.users

        async def me() -> list[Any]:
            return [await users.me()]

        await self._single("me", me, self._save_all("me"))
        await self._single("users", users.list().to_list, self._save_all("users"))
        await self._single("projects", self.client.projects.list().to_list, self._projects)
        tasks = self.client.tasks.list(
            include=TASK_FIELDS, archived="all" if self.options.include_archived else False,
            page_size=PAGE, project=self.options.project,
            recursive=self.options.project is not None,
        )  # fmt: skip
        customers = self.client.customers.list(full=True, page_size=PAGE)
        queues, chat, books = self._queues, self.client.chat, self.client.bookkeeping
        if not self.options.files:
            queues["contents"].producer_done()
        jobs: list[Coroutine[Any, Any, None]] = [
            self._listing("tasks", tasks, "activities", lambda task: task.id),
            self._listing("customers", customers, "files",
                          lambda customer: dumps(["customer", customer.id, ""])),
            self._single("bookkeeping", books.page, self._books, optional=True),
            self._single("webhooks", self.client.webhooks.list().to_list,
                         self._save_all("webhooks"), optional=True),
            self._single("chat", chat.threads().to_list, self._threads, optional=True,
                         feeds="messages"),
            self._after(queues["files"], queues["contents"]),
        ]  # fmt: skip
        work = {"activities": self._activities, "messages": self._messages,
                "files": self._directory, "contents": self._content}  # fmt: skip
        for area, units in queues.items():
            if area != "contents" or self.options.files:
                jobs.append(self._watch(units))
            jobs.extend(self._worker(units, work[area]) for _ in range(WORKERS))
        await self._all(jobs)

    async def _listing(self, stage: str, pager: Any, feeds: str, unit: Callable[[Any], str]
                       ) -> None:  # fmt: skip
        """Run a `skip`/`limit` listing from its saved `skip`; each record queues a `feeds` unit."""
        done, cursor, _ = self.store.state(stage)
        if not done:
            self.tracker.start(stage)
            skip = int(cursor or 0)

            def commit(batch: Batch, page: list[Any], last: bool) -> None:
                nonlocal skip
                skip += len(page)
                batch.upsert(stage, page)
                batch.units(feeds, [unit(record) for record in page])
                batch.stage(stage, done=last, cursor=str(skip))

            await self._pages(stage, pages_from(pager, skip), PAGE, commit)
        self._done.add(stage)
        self.tracker.finish(stage, None if not done else "done in an earlier run")
        self._queues[feeds].producer_done()

    async def _after(self, first: Units, then: Units) -> None:
        """Close `then` to its producer once `first` has ended (the contents follow the pages)."""
        if self.options.files:
            await first.wait_ended()
            then.producer_done()

    # What each stage stores

    @staticmethod
    def _save_all(table: str) -> Callable[[Batch, list[Any]], int]:
        def save(batch: Batch, records: list[Any]) -> int:
            batch.upsert(table, records)
            return len(records)

        return save

    def _projects(self, batch: Batch, projects: list[Any]) -> int:
        root = self.options.project
        if root is not None:
            tree = ProjectTree(projects)
            if root not in tree:
                raise Failure(f"project {root} is not among the projects this token can see")
            projects = [tree[root], *tree.descendants(root)]
        batch.upsert("projects", projects)
        batch.units("files", [dumps(["project", p.id, ""]) for p in projects])
        return len(projects)

    def _books(self, batch: Batch, page: Any) -> int:
        batch.upsert("bookkeeping_entries", page.entries)
        batch.upsert("bookkeeping_activities", page.activities)
        for kind in ("payables", "receivables"):
            if getattr(page, kind) is not None:
                batch.upsert("bookkeeping_totals", [getattr(page, kind)], id=kind)
        return len(page.entries) + len(page.activities)

    def _threads(self, batch: Batch, threads: list[Any]) -> int:
        batch.upsert("chat_threads", threads)
        batch.units("messages", [thread.id for thread in threads])
        return len(threads)

    async def _activities(self, task_id: str, _: str | None) -> None:
        found = await self._unit(
            "activities", task_id, lambda: self.client.tasks.activities(task_id)
        )
        if found is not None:
            with self.store.batch() as batch:
                batch.upsert("task_activities", found, task=task_id)
                batch.unit("activities", task_id)
            self.tracker.add("activities", items=len(found))

    async def _messages(self, thread: str, cursor: str | None) -> None:
        pager = self.client.chat.messages(thread, before=cursor, page_size=MESSAGE_PAGE)

        def commit(batch: Batch, page: list[Any], last: bool) -> None:
            nonlocal cursor
            cursor = page[-1].id if page else cursor  # the oldest: the next page is before it
            batch.upsert("chat_messages", page, thread=thread)
            batch.unit("messages", thread, cursor=cursor, done=last)

        try:
            await self._pages("messages", pager.pages(), MESSAGE_PAGE, commit)
        except (NotFoundError, PermissionDeniedError) as exc:
            with self.store.batch() as batch:
                batch.unit("messages", thread, cursor=cursor, note=why(exc))

    async def _directory(self, key: str, _: str | None) -> None:
        kind, owner, parent = (str(part) for part in json.loads(key))
        owner_arg = {kind: owner}
        nodes = await self._unit("files", key, self.client.files.nodes(
            **owner_arg, parent=parent or None).to_list)  # fmt: skip
        if nodes is None:
            return
        base = (
            self.store.value("SELECT path FROM file_nodes WHERE id = ?", parent) if parent else ""
        )
        with self.store.batch() as batch:
            for node in nodes:
                path = f"{base}/{node.display_name}" if base else node.display_name
                batch.upsert("file_nodes", [node], owner_type=kind, owner=owner, path=path)
            batch.units("files", [dumps([kind, owner, n.id]) for n in nodes if n.is_directory])
            if self.options.files:
                batch.units("contents", _file_ids(nodes))
            batch.unit("files", key)
        self._feed(batch)

    async def _content(self, file_id: str, _: str | None) -> None:
        target = self.dest / "files" / _file_name(file_id)
        target.parent.mkdir(exist_ok=True)
        if await self._unit(
            "contents", file_id, lambda: self.client.files.download(file_id, target)
        ):
            with self.store.batch() as batch:
                batch.unit("contents", file_id)
            self.tracker.add("contents", items=1)


def _file_ids(nodes: Iterable[Any]) -> list[str]:
    return [n.file.id for n in nodes if not n.is_directory and n.file is not None]
