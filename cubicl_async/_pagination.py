"""The async pager over `skip`/`limit` lists: items, pages, `to_list()` and a `max_items` guard."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from typing import Generic, TypeVar

__all__ = ["Pager", "TooManyItemsError"]

T = TypeVar("T")


class TooManyItemsError(ValueError):
    """`to_list()` would hold more than `max_items` items."""


class Pager(Generic[T]):
    """An async iterator over a paginated list, fetching one page at a time.

    Pages are requested with `skip` advancing by the length of the page received and an
    explicit `limit` of `page_size`; iteration stops on a page shorter than that (or
    empty), so a list of N items costs N // page_size + 1 requests. Only the current page
    and the ids of the one before are held, so memory does not grow with the list.
    An item pushed into the next page while the list is read (an insertion before it) is
    not yielded twice: a new page is checked against the ids of the previous one, which
    covers up to `page_size` insertions between two fetches. An item pulled into an
    earlier page (a deletion before it) can be missed, as with any `skip`/`limit`
    listing: read again, or narrow the filter, when that matters.

    Use `async for item in pager`, `async for page in pager.pages()`, or
    `await pager.to_list()` (`await pager` is the same). With `max_items`, iteration
    stops after that many items and `to_list()` raises `TooManyItemsError` rather than
    return a truncated list.
    """

    def __init__(
        self,
        fetch: Callable[[int, int], Awaitable[list[T]]],
        key: Callable[[T], str],
        *,
        page_size: int,
        max_items: int | None = None,
    ) -> None:
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, got {page_size}")
        if max_items is not None and max_items < 0:
            raise ValueError(f"max_items must not be negative, got {max_items}")
        self._fetch = fetch
        self._key = key
        #: Items requested per page (the `limit` sent).
        self.page_size = page_size
        #: Stop after this many items (`None`: no limit).
        self.max_items = max_items

    async def pages(self) -> AsyncIterator[list[T]]:
        """Yield each page's new items (none of the previous page's again), in order."""
        previous: set[str] = set()
        skip, left = 0, self.max_items
        while left is None or left > 0:
            page = await self._fetch(skip, self.page_size)
            skip += len(page)
            keys = [self._key(item) for item in page]
            fresh = [item for item, key in zip(page, keys, strict=True) if key not in previous]
            previous = set(keys)
            if left is not None:
                fresh, left = fresh[:left], left - min(left, len(fresh))
            if fresh:
                yield fresh
            if len(page) < self.page_size:
                return

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
        pager = Pager(
            self._fetch, self._key, page_size=self.page_size, max_items=self.max_items + 1
        )
        items = [item async for item in pager]
        if len(items) > self.max_items:
            raise TooManyItemsError(
                f"the list has more than max_items={self.max_items} items; raise max_items "
                "or iterate with 'async for' instead"
            )
        return items
