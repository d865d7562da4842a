"""Fault injection: failing, malformed, dropped and unpaged answers for the next requests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass
class Fault:
    """One injected fault, applied to the next ``remaining`` requests that match it."""

    kind: Literal["fail", "malformed", "drop", "unpaged"]
    remaining: int
    method: str | None = None
    path: str | None = None
    status: int = 200
    retry_after: str | None = None
    body: object = None
    headers: dict[str, str] | None = None
    after_body: bool = False

    def matches(self, method: str, path: str) -> bool:
        """Tell whether a request with this method and path (relative to the prefix) matches."""
        return (self.method is None or self.method == method) and (
            self.path is None or self.path == path
        )


class Faults:
    """The faults to inject; the emulator checks them first, before authentication.

    Each ``*_next`` call queues a fault for the next ``n`` matching requests, optionally
    only for one ``method`` and/or one exact ``path`` relative to ``/api/v1`` (``"/groups"``).
    A request consumes at most one fault: the oldest queued one that matches.
    """

    def __init__(self) -> None:
        #: Seconds to wait (``asyncio.sleep``) before every answer, including injected ones.
        self.latency = 0.0
        self._queue: list[Fault] = []

    def _add(self, fault: Fault) -> None:
        if fault.remaining < 1:
            raise ValueError(f"n must be at least 1, not {fault.remaining}")
        if fault.method is not None:
            fault.method = fault.method.upper()
        self._queue.append(fault)

    def fail_next(
        self,
        n: int,
        status: int,
        *,
        retry_after: str | float | None = None,
        body: object = None,
        headers: dict[str, str] | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Answer the next ``n`` matching requests with ``status``, without processing them.

        The body is ``{"message": "Injected fault: HTTP <status>"}`` unless ``body`` is given:
        ``bytes`` are sent as they are (``text/plain``, unless ``headers`` say otherwise),
        anything else as JSON. ``retry_after`` becomes the ``Retry-After`` header, as given,
        and ``headers`` are added as they are. Any status goes, 2xx included: a 200 with
        an empty body, ``{}`` where a list is due, or JSON nested deeper than a parser's
        recursion limit are hostile answers too; ``headers={"Content-Encoding": "gzip"}``
        over bytes that are not gzip is a corrupt encoding.
        """
        self._add(
            Fault(
                "fail",
                n,
                method,
                path,
                status=status,
                retry_after=None if retry_after is None else str(retry_after),
                body=body,
                headers=headers,
            )
        )

    def malformed_next(self, n: int, *, method: str | None = None, path: str | None = None) -> None:
        """Answer the next ``n`` matching requests 200 with a body that is not valid JSON."""
        self._add(Fault("malformed", n, method, path))

    def drop_next(
        self,
        n: int,
        *,
        after_body: bool = False,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Drop the connection of the next ``n`` matching requests, in the middle of the answer.

        With ``after_body=False`` the request is not processed at all (its body is not even
        read); with ``after_body=True`` it is processed (its writes apply) and only the
        answer is lost.
        """
        self._add(Fault("drop", n, method, path, after_body=after_body))

    def unpaged_next(self, n: int, *, method: str | None = None, path: str | None = None) -> None:
        """Process the next ``n`` matching requests as if they sent no paging cursor.

        ``skip``, ``before`` and ``after`` are dropped from the query, as by a server that
        ignores them: each page is the first one again.
        """
        self._add(Fault("unpaged", n, method, path))

    def clear(self) -> None:
        """Remove every queued fault and set the latency back to 0."""
        self._queue.clear()
        self.latency = 0.0

    def take(self, method: str, path: str) -> Fault | None:
        """Consume and return the fault for a request, if one matches (used by the pipeline)."""
        for fault in self._queue:
            if fault.matches(method, path):
                fault.remaining -= 1
                if not fault.remaining:
                    self._queue.remove(fault)
                return fault
        return None
