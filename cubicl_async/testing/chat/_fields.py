"""The Chat area's request body: ``POST /chat/messages`` (a null counts as not sent)."""

from __future__ import annotations

from .._fields import ARRAY, STRING, Body, Field, kind, non_empty, non_empty_strings


def _id(what: str) -> Field:
    return kind(f"{what} id (a non-empty string)", STRING, valid=non_empty)


def _unique(key: str, value: list[str]) -> list[str]:
    return list(dict.fromkeys(value))


#: File ids, repeats dropped.
FILE_IDS = kind(
    "an array of file ids (non-empty strings)", ARRAY, valid=non_empty_strings, convert=_unique
)

#: ``POST /chat/messages``: one of thread/to and content/files are the handler's checks.
SEND = Body(
    {
        "thread": _id("a thread"),
        "to": _id("a user"),
        "content": kind("a string", STRING),
        "files": FILE_IDS,
        "replyTo": _id("a message"),
    },
    null_is_absent=True,
)
