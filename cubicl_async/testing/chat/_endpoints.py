"""The Chat area's endpoints (cubicl-api.md §8): threads, a thread's messages, sending.

Every handler checks, in this order: the request's shape (400), the thread it names
(404, also for a thread the caller is not a member of, so that it does not leak), a
paging cursor that is not a message of the thread (400), then whether the message fits
the data (422: a recipient who is not another current user, an unknown ``replyTo``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from typing import Any

from .._endpoint import Call, Endpoint, int_param
from .._http import ApiError
from . import _fields as bodies
from ._records import Chat

#: The page size when ``limit`` is not given, and the largest allowed.
DEFAULT_LIMIT = 50
MAX_LIMIT = 100


def _thread(chat: Chat, user_id: str, thread_id: str) -> Mapping[str, Any]:
    """Return a thread the caller is a member of (404 otherwise, even if it exists)."""
    thread = chat.find(thread_id)
    if thread is None or not chat.is_member(user_id, thread):
        raise ApiError(404, f"Thread {thread_id!r} not found")
    return thread


def threads(chat: Chat, call: Call) -> list[dict[str, Any]]:
    """``GET /chat/threads``: the caller's threads, the most recent activity first."""
    found = [chat.render_thread(thread, call.user_id) for thread in chat.threads_of(call.user_id)]
    return sorted(found, key=lambda thread: (thread["activity"], thread["_id"]), reverse=True)


def messages(chat: Chat, call: Call) -> list[dict[str, Any]]:
    """``GET /chat/threads/:threadId/messages``: one page; the caller has read the thread."""
    limit = int_param(call.query, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    before, after = call.query.get("before"), call.query.get("after")
    if before is not None and after is not None:
        raise ApiError(400, "give before or after, not both")
    thread_id = _thread(chat, call.user_id, call.params["thread_id"])["_id"]
    search = (call.query.get("search") or "").casefold()
    cursor = before if before is not None else after
    mark = None if cursor is None else chat.message_of(thread_id, cursor)
    if cursor is not None and mark is None:
        name = "before" if before is not None else "after"
        raise ApiError(400, f"{name} must be a message of thread {thread_id!r}")
    if after is not None and mark is not None:
        page = _first(chat.sent_after(thread_id, mark), search, limit)
    else:
        page = _first(chat.sent_before(thread_id, mark), search, limit)[::-1]
    chat.mark_read(thread_id, call.user_id)
    return [chat.render_message(message) for message in _in_order(chat, page)]


def _first(
    messages: Iterator[Mapping[str, Any]], search: str, limit: int
) -> list[Mapping[str, Any]]:
    """Return the first ``limit`` messages whose content holds ``search`` (casefolded)."""
    found = (message for message in messages if search in message["content"].casefold())
    return list(itertools.islice(found, limit))


def _in_order(chat: Chat, page: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Put a page (oldest first) in the configured order (`Chat.page_order`)."""
    if chat.page_order == "oldest":
        return page
    if chat.page_order == "shuffled":
        shuffled = list(page)
        chat.random.shuffle(shuffled)
        return shuffled
    return page[::-1]


def send(chat: Chat, call: Call) -> dict[str, Any]:
    """``POST /chat/messages``: ``{"message", "thread"?}``, ``thread`` if the call made it."""
    fields, user_id = call.fields, call.user_id
    if ("thread" in fields) == ("to" in fields):
        raise ApiError(400, "give exactly one of thread and to")
    content, files = fields.get("content", ""), fields.get("files", [])
    if not content and not files:
        raise ApiError(400, "a message needs content or files")
    reply_to = fields.get("replyTo")
    if "to" in fields:
        to = fields["to"]
        if to == user_id or not chat.users.is_current(to):
            raise ApiError(422, f"Recipient {to!r} is not another user of the organization")
        thread_id = chat.find_personal(user_id, to)
    else:
        thread_id = _thread(chat, user_id, fields["thread"])["_id"]
    if reply_to is not None and (thread_id is None or chat.message_of(thread_id, reply_to) is None):
        raise ApiError(422, f"Message {reply_to!r} is not a message of the thread")
    created = thread_id is None
    if thread_id is None:
        thread_id = chat.personal_thread(user_id, fields["to"])
    message_id = chat.add_message(thread_id, user_id, content, files=files, reply_to=reply_to)
    answer: dict[str, Any] = {
        "message": message_id if chat.legacy_send_answer else chat.message(message_id)
    }
    if created:
        answer["thread"] = chat.thread(thread_id, user_id)
    return answer


ENDPOINTS = [
    Endpoint("GET", "/chat/threads", threads),
    Endpoint("GET", "/chat/threads/{thread_id}/messages", messages),
    Endpoint("POST", "/chat/messages", send, bodies.SEND),
]
