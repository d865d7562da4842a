"""Chat: threads, messages paged by message-id cursors, sending, and `client.chat`.

Messages are listed newest first, walking back in time with the `before` cursor; with
`after=<message id>` they are listed oldest first from just after it, walking forward
with `after`, so a sync job resumes from the last id it stored. Each next cursor is the
oldest (or, forward, the newest) message of the page by `(created_at, id)`, never by its
position in the page, whose order the API leaves unspecified; a page is yielded in the
iteration's order whatever order the server sent it in.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import ClassVar

import attrs

from ._common import File
from ._convert import never_if_zero
from ._display import Record
from ._pagination import Cursor, Pager
from ._resource import Resource
from ._wire import check_id, check_ids, path

__all__ = ["Chat", "ChatMessage", "ChatThread", "SentMessage", "ThreadType"]


class ThreadType(enum.StrEnum):
    """What a thread is; other values are kept as plain strings."""

    #: Between two users, made by the first message one sends the other.
    PERSONAL = "personal"
    #: A project's thread, for its members (one per project).
    GROUP = "group"
    #: A named group chat of some users.
    CUSTOM = "custom"


@attrs.frozen(kw_only=True)
class ChatMessage(Record):
    """A message of a thread."""

    _card: ClassVar[tuple[str, ...]] = ("sender", "content", "created_at")

    #: Message id.
    id: str
    #: Its thread's id.
    thread: str | None = None
    #: The sender's user id (`from` on the wire).
    sender: str | None = attrs.field(default=None, metadata={"wire": "from"})
    #: Text.
    content: str | None = None
    #: Attached files (whole records).
    files: tuple[File, ...] = ()
    #: Ids of the users who liked it.
    likes: tuple[str, ...] = ()
    #: Ids of the users who disliked it.
    dislikes: tuple[str, ...] = ()
    #: The message it answers.
    reply_to: str | None = None
    #: When it was sent.
    created_at: datetime | None = None


@attrs.frozen(kw_only=True)
class ChatThread(Record):
    """A thread the caller can see."""

    _card: ClassVar[tuple[str, ...]] = ("type", "users", "new_activity_count", "activity")

    #: Thread id.
    id: str
    #: Personal, project (group) or custom.
    type: ThreadType | str | None = None
    #: The project, for a project's thread (`group` on the wire).
    project: str | None = attrs.field(default=None, metadata={"wire": "group"})
    #: The name, for a custom thread.
    name: str | None = None
    #: Member ids.
    users: tuple[str, ...] = ()
    #: When its latest message was sent.
    activity: datetime | None = None
    #: When the caller last opened it; `None` if never (the API sends 0).
    access: datetime | None = attrs.field(default=None, metadata={"structure": never_if_zero})
    #: Its latest message.
    last_message: ChatMessage | None = None
    #: Messages since the caller last opened it.
    new_activity_count: int = 0
    #: Creation time.
    created_at: datetime | None = None


@attrs.frozen(kw_only=True)
class SentMessage:
    """What sending returns: the message's id, and more when the server sends it.

    `message` is the whole record when the server answers with it (the newer form of the
    docs; the older sends the id only), `thread` the thread the call created, if it did
    (a first message `to` a user).
    """

    #: The new message's id (always there).
    message_id: str
    #: The message, when the server answered with the whole record (newer API form).
    message: ChatMessage | None = None
    #: The personal thread the call created, if it did.
    thread: ChatThread | None = None


@attrs.frozen(kw_only=True)
class _SentAnswer:
    """Both documented forms: `{message: ChatMessage | id, thread?}`."""

    message: ChatMessage | str
    thread: ChatThread | None = None


_DAWN = datetime.min.replace(tzinfo=UTC)


def _moment(message: ChatMessage) -> tuple[datetime, str]:
    """Order messages by when they were sent, then by id (a message without a date first)."""
    return (message.created_at or _DAWN, message.id)


class Chat(Resource):
    """`client.chat`: threads, their messages, and sending."""

    def threads(self) -> Pager[ChatThread]:
        """List the threads the caller can see (one request; the API answers them whole)."""
        return self._unpaged("chat/threads", ChatThread)

    def messages(
        self,
        thread_id: str,
        *,
        search: str | None = None,
        before: str | None = None,
        after: str | None = None,
        page_size: int = 50,
        max_items: int | None = None,
    ) -> Pager[ChatMessage]:
        """Page through a thread's messages (see the module's docstring for the order).

        Newest first from the latest (or from just `before` a message id); with `after`,
        oldest first from just after that message. `search` narrows to the messages whose
        text contains it. Not both `before` and `after`.
        """
        check_ids(before=before, after=after)
        if before is not None and after is not None:
            raise ValueError("give before= or after=, not both (one direction at a time)")
        where = path("chat/threads/{thread_id}/messages", thread_id=thread_id)
        forward = after is not None
        direction = "after" if forward else "before"

        async def fetch(cursor: str | None, limit: int) -> list[ChatMessage]:
            query = {"search": search, direction: cursor, "limit": limit}
            return await self._get(where, params=query, into=list[ChatMessage])

        strategy = Cursor(fetch, _moment, page_size=page_size, start=after or before,
                          forward=forward)  # fmt: skip
        start = f" {direction}={after or before}" if after or before else ""
        return Pager(strategy, lambda message: message.id, max_items=max_items,
                     describe=f"GET {where}{start} (newest first)" if not forward
                     else f"GET {where}{start} (oldest first)")  # fmt: skip

    async def send(
        self,
        content: str | None = None,
        *,
        thread: str | None = None,
        to: str | None = None,
        files: Iterable[str] = (),
        reply_to: str | None = None,
    ) -> SentMessage:
        """Send a message to a `thread`, or `to` a user (the first one makes their thread).

        Exactly one of `thread`/`to`, and `content`, `files` or both, checked before sending.
        """
        if (thread is None) == (to is None):
            raise ValueError("give exactly one of thread= (an existing thread) or to= (a user)")
        if isinstance(files, str):
            raise TypeError("files takes a collection of file ids, not a single string")
        file_ids = [check_id("files", file_id) for file_id in files]
        if not content and not file_ids:
            raise ValueError("a message needs content, files, or both")
        check_ids(thread=thread, to=to, reply_to=reply_to)
        body = {"thread": thread, "to": to, "content": content, "files": file_ids or None,
                "replyTo": reply_to}  # fmt: skip
        answer = await self._post(
            "chat/messages", body={k: v for k, v in body.items() if v is not None},
            into=_SentAnswer,
        )  # fmt: skip
        message = answer.message
        if isinstance(message, str):
            return SentMessage(message_id=message, thread=answer.thread)
        return SentMessage(message_id=message.id, message=message, thread=answer.thread)
