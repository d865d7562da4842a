"""`Pager`, the one list type of the SDK, over page strategies: `skip`/`limit` or one answer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from typing import Any, Generic, Protocol, TypeVar

from ._errors import PaginationError, TooManyItemsError

__all__ = ["Cursor", "PageStrategy", "Pager", "SkipLimit", "Unpaged"]

T = TypeVar("T")


def _no_progress(page_size: int | None) -> PaginationError:
    return PaginationError(
        f"a full page of {page_size} items brought none not already seen: the server "
        "seems to ignore the paging cursor, so the rest of the list cannot be read"
    )


class PageStrategy(Protocol[T]):
    """How a list is fetched: an async iterator of the pages the server answers, as sent."""

    def pages(self) -> AsyncIterator[list[T]]:
        """Fetch and yield the pages, one request each, until the list ends."""
        ...


#: The largest page of a `skip`/`limit` list (tasks, customers) and of chat's messages.
#: The API does not say; the emulator answers a larger `limit` with 400 (docs/emulator.md),
#: and a server that served fewer without saying would end a list at its first page.
MAX_PAGE, MAX_MESSAGES_PAGE = 200, 100


def _check_page_size(page_size: object, maximum: int) -> None:
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
        raise ValueError(f"page_size must be an int of at least 1, got {page_size!r}")
    if page_size > maximum:
        raise ValueError(f"page_size must be at most {maximum} (the API's largest page), "
                         f"got {page_size}")  # fmt: skip


class SkipLimit(Generic[T]):
    """Pages of `page_size` items at `skip` 0, then `skip += len(page)`, to a short page.

    A list of N items costs `N // page_size + 1` requests (the last one short or empty).
    """

    def __init__(
        self, fetch: Callable[[int, int], Awaitable[list[T]]], page_size: int, start: int = 0
    ) -> None:
        _check_page_size(page_size, MAX_PAGE)
        if isinstance(start, bool) or not isinstance(start, int) or start < 0:
            raise ValueError(f"start must be an int of at least 0, got {start!r}")
        #: `fetch(skip, limit)`: one page.
        self.fetch = fetch
        #: Items requested per page (the `limit` sent).
        self.page_size = page_size
        #: The `skip` of the first page.
        self.start = start

    async def pages(self) -> AsyncIterator[list[T]]:
        """Yield each page as answered, until one comes back shorter than `page_size`."""
        skip = self.start
        while True:
            page = await self.fetch(skip, self.page_size)
            yield page
            if len(page) < self.page_size:
                return
            skip += len(page)


class Cursor(Generic[T]):
    """Pages of `page_size` items after (or before) a cursor item, to a short page.

    `fetch(cursor, limit)` returns the items just after (`forward`) or just before the
    cursor (`None`: from the newest, or the oldest when going forward). Each page is put
    in the iteration's order by `order` (ascending forward, descending backward),
    whatever order the server sent, and the next cursor is its last item's `id` in that
    order, never a position. A list of N items costs `N // page_size + 1` requests.
    """

    def __init__(
        self,
        fetch: Callable[[str | None, int], Awaitable[list[T]]],
        order: Callable[[T], Any],
        *,
        page_size: int,
        start: str | None = None,
        forward: bool = False,
    ) -> None:
        _check_page_size(page_size, MAX_MESSAGES_PAGE)
        self._fetch, self._order, self._start, self._forward = fetch, order, start, forward
        #: Items requested per page (the `limit` sent).
        self.page_size = page_size

    async def pages(self) -> AsyncIterator[list[T]]:
        """Yield each page in the iteration's order, until one comes back short."""
        cursor = self._start
        while True:
            page = sorted(await self._fetch(cursor, self.page_size), key=self._order,
                          reverse=not self._forward)  # fmt: skip
            yield page
            if len(page) < self.page_size:
                return
            cursor = page[-1].id  # type: ignore[attr-defined]


class Unpaged(Generic[T]):
    """A list the API returns whole, in one answer (one request)."""

    page_size = None

    def __init__(self, fetch: Callable[[], Awaitable[list[T]]]) -> None:
        self._fetch = fetch

    async def pages(self) -> AsyncIterator[list[T]]:
        """Yield the one answer."""
        yield await self._fetch()


class Pager(Generic[T]):
    """An async iterator over a list, fetching one page at a time; `await` it for a list.

    Nothing is sent before the pager is iterated or awaited. The requests it costs are
    its strategy's: `skip`/`limit` lists cost `N // page_size + 1` requests for N items,
    unpaged lists one (`page_size` is at most `MAX_PAGE`, 200, or `MAX_MESSAGES_PAGE`,
    100, for chat). Only the current page and the ids of the one before are held, so
    memory does not grow with the list.

    Items are yielded once per id: a repeat inside a page is dropped, and so is an item
    of the previous page seen again, which covers up to `page_size` insertions before
    the cursor between two fetches. A page that brings nothing new (a server that
    ignores `skip` and repeats itself) raises `PaginationError` instead of looping: a
    list is never silently cut short. (Only `page_size` insertions before the cursor
    between two fetches could cause the same for a correct server.) An item pulled into
    an earlier page (a deletion before it) can be missed, as with any `skip`/`limit`
    listing: read again, or narrow the filter, when that matters.

    Use `async for item in pager`, `async for page in pager.pages()`, or
    `await pager` (the same as `await pager.to_list()`). Without `max_items`, `await`
    holds the whole list in memory, however long it is. With `max_items`, iteration
    stops after that many items and `to_list()` raises `TooManyItemsError` rather than
    return a truncated list.
    """

    def __init__(
        self,
        strategy: PageStrategy[T],
        key: Callable[[T], str],
        *,
        max_items: int | None = None,
        describe: str = "",
    ) -> None:
        if max_items is not None and (
            isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 0
        ):
            raise ValueError(f"max_items must be an int of at least 0, got {max_items!r}")
        self._strategy = strategy
        self._key = key
        #: What it fetches, for its repr: `GET tasks archived=false` (nothing is fetched for it).
        self.describe = describe
        #: Stop after this many items (`None`: no limit).
        self.max_items = max_items

    @property
    def page_size(self) -> int | None:
        """Items requested per page (`None` for a list the API returns whole)."""
        size: int | None = getattr(self._strategy, "page_size", None)
        return size

    async def pages(self) -> AsyncIterator[list[T]]:
        """Yield each page's new items (none seen in it or the page before), in order."""
        previous: set[str] = set()
        left = self.max_items
        if left == 0:
            return
        async for page in self._strategy.pages():
            keys: set[str] = set()
            fresh = []
            for item in page:
                key = self._key(item)
                if key not in keys and key not in previous:
                    fresh.append(item)
                keys.add(key)
            if not fresh and page and self.page_size and len(page) >= self.page_size:
                raise _no_progress(self.page_size)
            previous = keys
            if left is not None:
                fresh = fresh[:left]
                left -= len(fresh)
            if fresh:
                yield fresh
            if left == 0:
                return

    def __repr__(self) -> str:
        size = "whole" if self.page_size is None else f"page_size={self.page_size}"
        return f"<Pager {self.describe or 'list'} {size} max_items={self.max_items}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(f"{self!r} (not fetched: iterate or await it)")

    def starting_at(self, skip: int) -> Pager[T]:
        """Return the same `skip`/`limit` list from its item `skip` on (to resume a job).

        Only for a `skip`/`limit` list; the requests it costs start from there.
        """
        strategy = self._strategy
        if not isinstance(strategy, SkipLimit):
            raise TypeError("only a skip/limit list can start elsewhere than its beginning")
        return Pager(SkipLimit(strategy.fetch, strategy.page_size, start=skip), self._key,
                     max_items=self.max_items, describe=f"{self.describe} from={skip}")  # fmt: skip

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page:
                yield item

    def __await__(self) -> Generator[object, None, list[T]]:
        return self.to_list().__await__()

    async def to_list(self) -> list[T]:
        """Return every item; with `max_items`, raise `TooManyItemsError` beyond it."""
        if self.max_items is None:
            return [item async for item in self]
        pager = Pager(self._strategy, self._key, max_items=self.max_items + 1)
        items = [item async for item in pager]
        if len(items) > self.max_items:
            raise TooManyItemsError(
                f"the list has more than max_items={self.max_items} items; raise max_items "
                "or iterate with 'async for' instead"
            )
        return items
