"""The Chat area's records: threads of three kinds, their messages, and when each user read them."""

from __future__ import annotations

import copy
import random
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol

from .._paging import Sorted
from .._store import Store, known
from ..projects import Projects
from ..users import Users

#: The orders a page of messages may be answered in (`Chat.page_order`).
PAGE_ORDERS = ("newest", "oldest", "shuffled")


class FileStore(Protocol):
    """What the chat reads of a files area: whether a file exists, and its ``File`` record."""

    def has(self, file_id: str) -> bool:
        """Tell whether a file with this id is stored."""

    def get(self, file_id: str) -> dict[str, Any]:
        """Return a copy of the file's ``File`` record."""


def sent_key(message: Mapping[str, Any]) -> tuple[Any, str]:
    """Order messages by when they were sent, then by id (``before``/``after`` compare it)."""
    return (message["createdAt"], message["_id"])


class Chat:
    """The chat threads and messages of the organization (``emu.chat``).

    The seeding helpers are `add_thread`, `personal_thread`, `group_thread`,
    `add_message` and `messages`; they raise ValueError for unknown ids. The settings
    `page_order` and `legacy_send_answer` change how the endpoints answer; `files`
    is where message files are looked up (see docs/emulator.md, section Chat).
    """

    def __init__(
        self, store: Store, users: Users, projects: Projects, *, files: FileStore | None = None
    ) -> None:
        self.store = store
        self.users = users
        self.projects = projects
        #: The files area, if there is one: a message's file is its record there, when
        #: stored; else (and without one) ``{"_id": <id>, "name": <id>}``.
        self.files = files
        #: Whether ``POST /chat/messages`` answers the older form (the new message's id).
        self.legacy_send_answer = False
        #: The generator of the ``shuffled`` page order (seeded, so runs repeat).
        self.random = random.Random(0)  # noqa: S311 (test data, not cryptography)
        self._page_order = "newest"
        self._threads: dict[str, dict[str, Any]] = {}
        #: Per thread: its messages sorted by when they were sent (`sent_key`).
        self._messages: dict[str, Sorted[dict[str, Any]]] = {}
        self._by_id: dict[str, dict[str, Any]] = {}
        self._project_threads: dict[str, str] = {}
        #: Per message id, its number in the order messages were added (for unread counts).
        self._added: dict[str, int] = {}
        #: The numbers of the messages added, per thread and per (thread, sender): ascending.
        self._numbers: dict[str, list[int]] = {}
        self._numbers_from: dict[tuple[str, str], list[int]] = {}
        #: Per (thread, user): the last read's time, and the number of the last message then.
        self._reads: dict[tuple[str, str], tuple[int, int]] = {}

    @property
    def page_order(self) -> str:
        """The order of the messages in a page: ``newest``, ``oldest`` or ``shuffled``.

        ``newest`` first is the default; ``oldest`` first and ``shuffled`` (by `random`)
        let tests prove that a client does not depend on it.
        """
        return self._page_order

    @page_order.setter
    def page_order(self, order: str) -> None:
        if order not in PAGE_ORDERS:
            raise ValueError(f"page_order must be one of {PAGE_ORDERS}, not {order!r}")
        self._page_order = order

    # Seeding helpers

    def add_thread(
        self, name: str, users: Iterable[str], *, created_at: float | None = None
    ) -> str:
        """Add a ``custom`` thread (a named group chat of ``users``) and return its id."""
        members = list(dict.fromkeys(users))
        for user_id in members:
            self.users.get(user_id)
        return self._new("custom", {"name": name, "users": members}, created_at)

    def personal_thread(self, user_id: str, other_id: str) -> str:
        """Return the id of the ``personal`` thread of two users, made if there is none."""
        if user_id == other_id:
            raise ValueError("a personal thread is between two different users")
        self.users.get(user_id)
        self.users.get(other_id)
        found = self.find_personal(user_id, other_id)
        if found is not None:
            return found
        return self._new("personal", {"users": [user_id, other_id]}, None)

    def group_thread(self, project_id: str) -> str:
        """Return the id of a project's ``group`` thread, made if there is none yet."""
        self.projects.stored(project_id)
        if project_id not in self._project_threads:
            thread_id = self._new("group", {"group": project_id}, None)
            self._project_threads[project_id] = thread_id
        return self._project_threads[project_id]

    def add_message(
        self,
        thread_id: str,
        sender: str,
        content: str = "",
        *,
        files: Iterable[str] = (),
        reply_to: str | None = None,
        likes: Iterable[str] = (),
        dislikes: Iterable[str] = (),
        created_at: float | None = None,
    ) -> str:
        """Add a message from ``sender`` (a member of the thread) and return its id.

        ``files`` are file ids, ``reply_to`` a message of the same thread, ``likes`` and
        ``dislikes`` user ids; ``created_at`` (Unix seconds) defaults to now.
        """
        thread = self._stored(thread_id)
        if not self.is_member(sender, thread):
            raise ValueError(f"user {sender!r} is not a member of thread {thread_id!r}")
        if reply_to is not None and self.message_of(thread_id, reply_to) is None:
            raise ValueError(f"thread {thread_id!r} has no message {reply_to!r}")
        for user_id in (*likes, *dislikes):
            self.users.get(user_id)
        message_id = self.store.new_id()
        self._by_id[message_id] = {
            "_id": message_id,
            "thread": thread_id,
            "from": sender,
            "content": content,
            "files": list(dict.fromkeys(files)),
            "likes": list(dict.fromkeys(likes)),
            "dislikes": list(dict.fromkeys(dislikes)),
            "replyTo": reply_to,
            "createdAt": self.store.timestamp() if created_at is None else created_at,
        }
        self._messages[thread_id].add(self._by_id[message_id])
        number = self._added[message_id] = len(self._added) + 1
        self._numbers[thread_id].append(number)
        self._numbers_from.setdefault((thread_id, sender), []).append(number)
        return message_id

    def messages(self, thread_id: str) -> list[dict[str, Any]]:
        """Return a thread's messages as the API sends them, in the order they were sent."""
        self._stored(thread_id)
        return [self.render_message(message) for message in self.sent(thread_id)]

    def message(self, message_id: str) -> dict[str, Any]:
        """Return a message as the API sends it."""
        return self.render_message(known(self._by_id, message_id, "message"))

    def thread(self, thread_id: str, user_id: str) -> dict[str, Any]:
        """Return a thread as the API sends it to this user (who need not be a member)."""
        return self.render_thread(self._stored(thread_id), user_id)

    # Reading

    def _new(self, kind: str, fields: dict[str, Any], created_at: float | None) -> str:
        thread_id = self.store.new_id()
        when = self.store.timestamp() if created_at is None else created_at
        self._threads[thread_id] = {"_id": thread_id, "type": kind, **fields, "createdAt": when}
        self._messages[thread_id] = Sorted(sent_key)
        self._numbers[thread_id] = []
        return thread_id

    def _stored(self, thread_id: str) -> dict[str, Any]:
        return known(self._threads, thread_id, "thread")

    def find(self, thread_id: str) -> Mapping[str, Any] | None:
        """Return a stored thread (read only), or None."""
        return self._threads.get(thread_id)

    def find_personal(self, user_id: str, other_id: str) -> str | None:
        """Return the id of the personal thread of these two users, or None."""
        pair = {user_id, other_id}
        return next(
            (
                thread["_id"]
                for thread in self._threads.values()
                if thread["type"] == "personal" and set(thread["users"]) == pair
            ),
            None,
        )

    def _project_members(self, project_id: str) -> list[str]:
        """Return who is in a project's thread: its members and admins, the organization admins."""
        record = self.projects.stored(project_id)
        ids = [*record["members"], *self.projects.admins(project_id), *self.users.admins()]
        return [user_id for user_id in dict.fromkeys(ids) if self.users.is_current(user_id)]

    def members(self, thread: Mapping[str, Any]) -> list[str]:
        """Return the ids of a thread's members (a project's thread: as they are now)."""
        if thread["type"] == "group":
            return self._project_members(thread["group"])
        return list(thread["users"])

    def is_member(self, user_id: str, thread: Mapping[str, Any]) -> bool:
        """Tell whether the user is a member of the thread."""
        return user_id in self.members(thread)

    def threads_of(self, user_id: str) -> list[Mapping[str, Any]]:
        """Return the threads the user is a member of, making their projects' threads first."""
        for project_id in self.projects.ids():
            if user_id in self._project_members(project_id):
                self.group_thread(project_id)
        return [thread for thread in self._threads.values() if self.is_member(user_id, thread)]

    def sent(self, thread_id: str) -> list[Mapping[str, Any]]:
        """Return a thread's stored messages (read only), in the order they were sent."""
        return list(self._messages[thread_id])

    def sent_before(
        self, thread_id: str, mark: Mapping[str, Any] | None = None
    ) -> Iterator[Mapping[str, Any]]:
        """Yield a thread's messages sent before ``mark`` (None: all), the latest first.

        Read only; the first step is a bisection, each further one constant.
        """
        return self._messages[thread_id].before(None if mark is None else sent_key(mark))

    def sent_after(self, thread_id: str, mark: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
        """Yield a thread's messages sent after ``mark``, the earliest first (read only)."""
        return self._messages[thread_id].after(sent_key(mark))

    def message_of(self, thread_id: str, message_id: str) -> Mapping[str, Any] | None:
        """Return the stored message of this thread with this id (read only), or None."""
        message = self._by_id.get(message_id)
        return message if message is not None and message["thread"] == thread_id else None

    def mark_read(self, thread_id: str, user_id: str) -> None:
        """Record that the user read the thread now (its ``access``; nothing unread)."""
        self._reads[thread_id, user_id] = (self.store.timestamp(), len(self._added))

    # Rendering

    def render_message(self, message: Mapping[str, Any]) -> dict[str, Any]:
        """Return a copy of a message as the API sends it, its files as ``File`` records."""
        rendered = copy.deepcopy(dict(message))
        rendered["files"] = [self._file(file_id) for file_id in message["files"]]
        return rendered

    def _file(self, file_id: str) -> dict[str, Any]:
        if self.files is not None and self.files.has(file_id):
            return self.files.get(file_id)
        return {"_id": file_id, "name": file_id}

    def render_thread(self, thread: Mapping[str, Any], user_id: str) -> dict[str, Any]:
        """Return a thread as the API sends it to this user (``access``, unread count)."""
        thread_id = thread["_id"]
        latest = self._messages[thread_id].last()
        access, seen = self._reads.get((thread_id, user_id), (0, 0))
        rendered = {key: copy.deepcopy(value) for key, value in thread.items()}
        del rendered["createdAt"]
        return rendered | {
            "users": self.members(thread),
            "activity": thread["createdAt"] if latest is None else latest["createdAt"],
            "access": access,
            "lastMessage": None if latest is None else self.render_message(latest),
            "newActivityCount": self._unread(thread_id, user_id, seen),
            "createdAt": thread["createdAt"],
        }

    def _unread(self, thread_id: str, user_id: str, seen: int) -> int:
        """Count the thread's messages from others added after number ``seen`` (bisections)."""
        added, own = self._numbers[thread_id], self._numbers_from.get((thread_id, user_id), [])
        return len(added) - bisect_right(added, seen) - (len(own) - bisect_right(own, seen))
