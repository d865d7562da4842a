"""What an export costs in requests: the documented minimum, computed from what was exported."""

from __future__ import annotations

from .._pagination import MAX_MESSAGES_PAGE, MAX_PAGE
from ._store import Store

__all__ = ["COST", "MESSAGE_PAGE", "PAGE", "minimum_requests"]

#: Tasks and customers per request (the API's largest page).
PAGE = MAX_PAGE
#: Chat messages per request (the largest page of them).
MESSAGE_PAGE = MAX_MESSAGES_PAGE

#: The cost, as `cubicl export --help` and the README state it.
COST = f"""\
cost in requests, for P projects, T tasks, C customers, H chat threads with M_h
messages each, and D directories on the Files pages (each listed once, roots
included), the minimum an export can make, which it makes:
  2 (me, users) + 1 (projects) + (T // {PAGE} + 1) (tasks, full records)
  + T (activities, one request per task) + (C // {PAGE} + 1) (customers, all fields)
  + 1 (bookkeeping) + 1 (webhooks) + 1 + sum of (M_h // {MESSAGE_PAGE} + 1) (chat)
  + (P + C + D) (Files pages), plus one per file with --files (its download link).
200 projects, 10,000 tasks and 500 customers (no chat, no directories) take 10,760
requests: about 3 h 06 min at 60 a minute (the client keeps 2% below the limit), 1 h
32 min at 120. An interrupted export resumes where it stopped: run it again."""


def minimum_requests(store: Store, *, files: bool) -> int:
    """Return the documented minimum for the records of the store's current pass."""
    current = store.pass_number

    def count(table: str, where: str = "1") -> int:
        sql = f"SELECT COUNT(*) FROM {table} WHERE export_pass = ? AND {where}"  # noqa: S608 - ours
        return int(store.value(sql, current))

    tasks, customers = count("tasks"), count("customers")
    messages = store.column(
        "SELECT COUNT(m.id) FROM chat_threads t LEFT JOIN chat_messages m"
        " ON m.thread = t.id AND m.export_pass = t.export_pass"
        " WHERE t.export_pass = ? GROUP BY t.id",
        current,
    )
    chat = 1 + sum(int(m) // MESSAGE_PAGE + 1 for m in messages)
    pages = count("projects") + customers + count("file_nodes", "type = 'd'")
    links = len(set(store.column(
        "SELECT file_id FROM file_nodes WHERE export_pass = ? AND type != 'd'"
        " AND file_id IS NOT NULL", current,
    ))) if files else 0  # fmt: skip
    return (
        2 + 1 + (tasks // PAGE + 1) + tasks + (customers // PAGE + 1) + 1 + 1 + chat + pages + links
    )
