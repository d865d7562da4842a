"""`Resource`, the typed base of every API area: `_get`/`_post`/`_put`/`_delete`, lists, bodies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime
from operator import attrgetter
from typing import Any, ClassVar, Generic, Literal, Protocol, TypeVar, overload

import attrs

from ._convert import request_body, wire_name
from ._pagination import Pager, SkipLimit, Unpaged
from ._wire import check_id, encode_params

__all__ = ["GetMany", "Requester", "Resource", "gather", "projection", "request_fields"]

T = TypeVar("T")
R = TypeVar("R")
Params = Mapping[str, Any] | None

_by_id: Callable[[Any], str] = attrgetter("id")


class Requester(Protocol):
    """What an API area needs from the client: one call through the request pipeline.

    `into` is the type the answer is structured into, or `None` for an endpoint that
    answers nothing; `unwrap` names the key of a wrapper object the answer may come in.
    """

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Params = None,
        body: Any = None,
        into: Any = None,
        unwrap: str | None = None,
    ) -> Any: ...

    def _download(self, url: str) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
        """Stream the body at a download link, chunk by chunk (no token is sent)."""
        ...


class Resource:
    """The base of `client.tasks`, `client.projects`, ...: typed calls through the client."""

    def __init__(self, client: Requester) -> None:
        self._client = client

    async def _send(
        self,
        method: str,
        path: str,
        *,
        into: type[T],
        params: Params = None,
        body: Any = None,
        unwrap: str | None = None,
    ) -> T:
        result: T = await self._client._request(
            method, path, params=params, body=body, into=into, unwrap=unwrap
        )
        return result

    async def _get(
        self, path: str, *, params: Params = None, into: type[T], unwrap: str | None = None
    ) -> T:
        return await self._send("GET", path, params=params, into=into, unwrap=unwrap)

    async def _post(self, path: str, *, body: Any, into: type[T], unwrap: str | None = None) -> T:
        return await self._send("POST", path, body=body, into=into, unwrap=unwrap)

    async def _put(self, path: str, *, body: Any, into: type[T], unwrap: str | None = None) -> T:
        return await self._send("PUT", path, body=body, into=into, unwrap=unwrap)

    async def _delete(self, path: str, *, params: Params = None, body: Any = None) -> None:
        await self._client._request("DELETE", path, params=params, body=body)

    def _paged(
        self,
        path: str,
        item: type[T],
        *,
        params: Mapping[str, Any],
        page_size: int,
        max_items: int | None,
    ) -> Pager[T]:
        """Return a `skip`/`limit` list of `item` records at `path`."""

        async def fetch(skip: int, limit: int) -> list[T]:
            query = {**params, "skip": skip, "limit": limit}
            return await self._get(path, params=query, into=list[item])  # type: ignore[valid-type]

        return Pager(SkipLimit(fetch, page_size), _by_id, max_items=max_items,
                     describe=_describe(path, params))  # fmt: skip

    def _unpaged(self, path: str, item: type[T], *, params: Params = None) -> Pager[T]:
        """Return a list of `item` records that `path` answers whole."""

        async def fetch() -> list[T]:
            return await self._get(path, params=params, into=list[item])  # type: ignore[valid-type]

        return Pager(Unpaged(fetch), _by_id, describe=_describe(path, params))


class GetMany(Resource, Generic[R]):
    """A resource whose records are read one by one (`get`), so also many at once."""

    #: The name of the id argument, for error messages.
    _id_name: ClassVar[str] = "id"

    async def get(self, record_id: str, /) -> R:
        """Return one record."""
        raise NotImplementedError

    @overload
    async def get_many(
        self, ids: Iterable[str], *, return_exceptions: Literal[False] = False
    ) -> list[R]: ...
    @overload
    async def get_many(
        self, ids: Iterable[str], *, return_exceptions: Literal[True]
    ) -> list[R | BaseException]: ...
    async def get_many(
        self, ids: Iterable[str], *, return_exceptions: bool = False
    ) -> list[R] | list[R | BaseException]:
        """Fetch many records concurrently, through the throttle; return them in input order.

        A repeated id is fetched once (one request per distinct id). If one fetch fails,
        the others still pending are cancelled and its error is raised; with
        `return_exceptions=True` every fetch runs to its end and a failure takes its
        place in the list as the exception raised. Every id is checked before anything
        is sent, and a single string (not a collection of ids) is a `TypeError`.
        """
        if isinstance(ids, str | bytes):
            raise TypeError(
                f"get_many takes a collection of ids, not a single {type(ids).__name__}"
            )
        order = [check_id(self._id_name, value) for value in ids]
        distinct = list(dict.fromkeys(order))
        results = await gather(
            [self.get(key) for key in distinct], return_exceptions=return_exceptions
        )
        outcomes = dict(zip(distinct, results, strict=True))
        return [outcomes[value] for value in order]


def _describe(path: str, params: Params) -> str:
    """Return `GET path name=value ...` for a pager's repr (the values as the wire has them)."""
    query = " ".join(f"{name}={value}" for name, value in encode_params(params))
    return f"GET {path} {query}".rstrip()


async def gather(calls: Iterable[Awaitable[T]], *, return_exceptions: bool = False) -> list[Any]:
    """Await `calls` concurrently; return their results in order.

    The first failure cancels the calls still pending and is raised as itself (never
    wrapped in an `ExceptionGroup`, so a caller sees the `CubiclError` it expects); with
    `return_exceptions=True` every call runs to its end and a failure takes its place.
    """
    fetches = [asyncio.ensure_future(call) for call in calls]
    try:
        await asyncio.gather(*fetches, return_exceptions=return_exceptions)
    finally:
        for fetch in fetches:
            fetch.cancel()
        await asyncio.gather(*fetches, return_exceptions=True)
    return [fetch.exception() or fetch.result() for fetch in fetches]


def request_fields(
    kind: type, fields: Mapping[str, Any], *, renames: Mapping[str, str] = {}, **required: Any
) -> dict[str, Any]:
    """Build a JSON body from `required` and `fields`, the keywords a TypedDict `kind` declares.

    A keyword `kind` does not declare is a `TypeError`, as for any function; `renames`
    maps Python names whose wire names are not their camelCase; `UNSET` is left out.
    """
    unknown = set(fields) - kind.__optional_keys__  # type: ignore[attr-defined]
    if unknown:
        raise TypeError(f"unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    given = {**required, **fields}
    for name, value in given.items():
        if isinstance(value, date) and not isinstance(value, datetime):
            raise TypeError(f"{name} takes an aware datetime, not a date: {value!r}")
    return request_body({renames.get(name, name): value for name, value in given.items()})


def projection(record: type, name: str, fields: Sequence[str] | None) -> list[str] | None:
    """Return the wire names of the `record` attributes given to a projection (`include=`)."""
    if fields is None:
        return None
    if isinstance(fields, str):
        raise TypeError(f"{name} takes a sequence of field names, not a string")
    wire = {field.name: wire_name(field) for field in attrs.fields(record)}
    unknown = [field for field in fields if field not in wire]
    if unknown:
        raise ValueError(
            f"{name}: {unknown!r} are not {record.__name__} attributes (use the Python names)"
        )
    return [wire[field] for field in fields]
