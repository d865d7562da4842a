"""Chat through the SDK against the emulator: threads, the cursor pager, sending."""

from __future__ import annotations

import pytest

from cubicl_async import AsyncCubicl, ChatThread, NotFoundError, ThreadType
from cubicl_async.testing import Demo, Emulator

from .conftest import ActAs


async def test_threads_are_typed_with_their_counters(client: AsyncCubicl, demo: Demo) -> None:
    """Each seeded kind of thread reads; `access` 0 reads as None (never opened)."""
    threads = await client.chat.threads()
    assert {t.type for t in threads} >= {ThreadType.GROUP, ThreadType.PERSONAL, ThreadType.CUSTOM}
    backend = next(t for t in threads if t.id == demo.threads["Backend"])
    assert (backend.type, backend.project) == (ThreadType.GROUP, demo.projects["Backend"])
    assert backend.last_message is not None
    assert all(isinstance(t, ChatThread) for t in threads)


@pytest.mark.parametrize("order", ["newest", "oldest", "shuffled"])
async def test_messages_walk_back_newest_first_whatever_the_page_order(
    local: AsyncCubicl, emu: Emulator, demo: Demo, order: str
) -> None:
    """Newest first, each message once, however the server orders a page; N // size + 1 requests."""
    emu.chat.page_order = order
    thread = demo.threads["Backend"]
    every = [m async for m in local.chat.messages(thread, page_size=7)]
    times = [(m.created_at, m.id) for m in every]
    assert times == sorted(times, reverse=True)
    assert len({m.id for m in every}) == len(every) >= 50
    pages = [r for r in emu.requests if r.path.endswith("/messages")]
    assert len(pages) == len(every) // 7 + 1
    assert all("after" not in r.query for r in pages)


async def test_after_resumes_oldest_first_from_the_last_id_seen(
    local: AsyncCubicl, demo: Demo
) -> None:
    """A sync job keeps the newest id it stored; after= gives everything newer, oldest first."""
    thread = demo.threads["Backend"]
    newest_first = await local.chat.messages(thread)
    stored = newest_first[20]  # the job had read up to here
    newer = await local.chat.messages(thread, after=stored.id, page_size=6)
    assert [m.id for m in newer] == [m.id for m in reversed(newest_first[:20])]


async def test_new_messages_during_a_walk_back_are_never_repeated(
    local: AsyncCubicl, emu: Emulator, demo: Demo
) -> None:
    """Messages sent while the pager reads come before its cursor: nothing twice, nothing lost."""
    thread = demo.threads["Backend"]
    seen = []
    async for message in local.chat.messages(thread, page_size=5):
        seen.append(message.id)
        if len(seen) % 5 == 0:
            emu.chat.add_message(thread, demo.member, f"while reading {len(seen)}")
    assert len(seen) == len(set(seen))
    assert not any(m.content and m.content.startswith("while") for m in await local.chat.messages(
        thread, before=seen[-1]))  # fmt: skip


async def test_search_and_max_items(local: AsyncCubicl, demo: Demo) -> None:
    """Search narrows by text; max_items stops the iteration."""
    thread = demo.threads["Backend"]
    found = await local.chat.messages(thread, search="NOTE 1")
    assert len(found) == 11  # note 1 and notes 10 to 19
    assert all(m.content and "note 1" in m.content for m in found)
    assert len([m async for m in local.chat.messages(thread, max_items=3)]) == 3


async def test_send_to_a_thread_and_to_a_user_in_both_answer_forms(
    client: AsyncCubicl, emu: Emulator, demo: Demo
) -> None:
    """The newer answer has the whole message; the older only its id; `to` creates a thread."""
    sent = await client.chat.send("Ship it", thread=demo.threads["Backend"])
    assert sent.message is not None
    assert (sent.message.content, sent.message_id) == ("Ship it", sent.message.id)
    assert sent.thread is None
    first = await client.chat.send("Hello Alan", to=demo.outsider)
    assert first.thread is not None
    assert first.thread.type is ThreadType.PERSONAL
    emu.chat.legacy_send_answer = True
    again = await client.chat.send("Still there?", to=demo.outsider, reply_to=first.message_id)
    assert again.message is None
    assert again.message_id
    assert again.thread is None  # the personal thread exists already


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"content": "x"}, ValueError, "exactly one of thread= .* or to="),
        ({"content": "x", "thread": "t", "to": "u"}, ValueError, "exactly one"),
        ({"thread": "t"}, ValueError, "content, files, or both"),
        ({"content": "x", "thread": "t", "files": "f1"}, TypeError, "single string"),
        ({"content": "x", "thread": ".."}, ValueError, "thread"),
    ],
    ids=["no-target", "two-targets", "empty", "files-str", "dot-thread"],
)
async def test_bad_sends_are_refused_before_sending(
    local: AsyncCubicl, emu: Emulator, kwargs: dict[str, object], error: type[Exception],
    message: str,
) -> None:  # fmt: skip
    """Each bad combination raises at once, nothing sent."""
    with pytest.raises(error, match=message):
        await local.chat.send(**kwargs)  # type: ignore[arg-type]
    assert emu.requests == []


async def test_a_thread_of_others_is_not_found(demo: Demo, act_as: ActAs) -> None:
    """Alan is no member of the Backend thread: 404, its existence not leaked."""
    with pytest.raises(NotFoundError):
        await act_as(demo.outsider).chat.messages(demo.threads["Backend"])


def test_before_and_after_together_are_refused(local: AsyncCubicl) -> None:
    """One direction at a time."""
    with pytest.raises(ValueError, match="not both"):
        local.chat.messages("t", before="a", after="b")


def test_a_page_larger_than_the_api_serves_is_refused(local: AsyncCubicl, emu: Emulator) -> None:
    """100 messages a page at most (a larger one would be a 400): refused, nothing sent."""
    with pytest.raises(ValueError, match="at most 100"):
        local.chat.messages("t", page_size=101)
    assert emu.requests == []
