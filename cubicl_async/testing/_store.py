"""What every area shares: the organization's name, one id counter and the wall clock."""

from __future__ import annotations

from collections.abc import Callable


class Store:
    """The state the areas share; each area keeps its own records (see `Emulator`).

    ``now`` gives the Unix time (seconds) of the dates the emulator sets.
    """

    def __init__(self, org_name: str, *, now: Callable[[], float]) -> None:
        #: The organization's name, also the name of its main project.
        self.org_name = org_name
        #: The wall clock: Unix seconds.
        self.now = now
        self._counter = 0
        self._ids: set[str] = set()

    def new_id(self, wanted: str | None = None) -> str:
        """Return ``wanted`` if it is free, else the next free counter id (24 hex digits).

        One counter serves every record of every area; ids chosen with ``wanted`` are
        skipped by it. A taken ``wanted`` id raises ValueError.
        """
        if wanted is not None:
            if wanted in self._ids:
                raise ValueError(f"id {wanted!r} is already used")
            new = wanted
        else:
            new = ""
            while not new or new in self._ids:
                self._counter += 1
                new = f"{self._counter:024x}"
        self._ids.add(new)
        return new

    def timestamp(self) -> int:
        """Return the current Unix time in whole seconds, as the emulator's dates are sent."""
        return int(self.now())
