"""The Webhooks area's records: each user's webhooks, and which events they are delivered."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from starlette.types import ASGIApp

from .._store import Store, known, ordered_copy
from ..customers import Customers
from ..projects import Projects
from ..tasks import Tasks, may_view
from ..users import Users
from . import _payloads as payloads
from ._delivery import DeliveryRecord, Sender
from ._fields import TASK_TYPES, TYPES

#: A webhook's keys, in the order answers follow.
WEBHOOK_KEYS = ("_id", "type", "url", "group", "user", "createdAt")


class Webhooks:
    """The users' webhooks and their deliveries (``emu.webhooks``).

    The seeding helpers are `add`, `get` and `delete` (ValueError for unknown ids or
    types, or a task type without a project); `mount`, `drain` and `aclose` drive the
    deliveries, recorded in `deliveries` (also ``emu.deliveries``); `retry_delays` and
    `timeout` are settings. It subscribes to the events of the tasks and customers areas.
    """

    def __init__(
        self, store: Store, users: Users, projects: Projects, tasks: Tasks, customers: Customers
    ) -> None:
        self.store = store
        self.users = users
        self.projects = projects
        self.tasks = tasks
        #: The seconds to wait before each retry of a failed delivery (tests: zeros).
        self.retry_delays: tuple[float, ...] = (0.5, 1.0)
        #: How long one attempt may take, in seconds.
        self.timeout = 5.0
        self._sender = Sender()
        #: Every delivery attempt, in the order they ended.
        self.deliveries: list[DeliveryRecord] = self._sender.deliveries
        self._hooks: dict[str, dict[str, Any]] = {}
        tasks.on_event(self._task_event)
        customers.on_event(self._client_event)

    # Seeding helpers

    def add(self, user_id: str, type: str, url: str, *, group: str | None = None) -> str:
        """Add a webhook of ``user_id`` and return its id (the URL is stored as given)."""
        self.users.get(user_id)
        hook_id = self.store.new_id()
        self._hooks[hook_id] = {"_id": hook_id, "user": user_id}
        try:
            self.change(hook_id, {"type": type, "url": url, "group": group})
        except ValueError:
            del self._hooks[hook_id]
            raise
        self._hooks[hook_id]["createdAt"] = self.store.timestamp()
        return hook_id

    def get(self, hook_id: str) -> dict[str, Any]:
        """Return a copy of a webhook as the API sends it."""
        return ordered_copy(known(self._hooks, hook_id, "webhook"), WEBHOOK_KEYS)

    def delete(self, hook_id: str) -> None:
        """Delete a webhook (the deliveries under way go on)."""
        known(self._hooks, hook_id, "webhook")
        del self._hooks[hook_id]

    # Reading and changing

    def find(self, hook_id: str) -> Mapping[str, Any] | None:
        """Return a stored webhook (read only), or None."""
        return self._hooks.get(hook_id)

    def records(self) -> Iterator[Mapping[str, Any]]:
        """Yield every stored webhook (read only), in creation order."""
        yield from self._hooks.values()

    def change(self, hook_id: str, fields: Mapping[str, Any]) -> None:
        """Set ``type``, ``url`` or ``group`` (None: unbound); ValueError if it does not fit."""
        hook = {**known(self._hooks, hook_id, "webhook"), **fields}
        if hook["type"] not in TYPES:
            raise ValueError(f"unknown webhook type {hook['type']!r}")
        if hook.get("group") is None:
            hook.pop("group", None)
            if hook["type"] in TASK_TYPES:
                raise ValueError(f"a {hook['type']} webhook needs a group (a project)")
        else:
            self.projects.stored(hook["group"])
        self._hooks[hook_id] = hook

    # Deliveries

    def mount(self, origin: str, app: ASGIApp) -> None:
        """Deliver to ``origin`` (``http://receiver.test``) through ``app``, in process."""
        self._sender.mount(origin, app)

    async def drain(self, within: float = 5.0) -> None:
        """Wait until every delivery under way has finished (TimeoutError after ``within`` s)."""
        await self._sender.drain(within)

    async def aclose(self) -> None:
        """Cancel the deliveries under way and wait for them (the emulator's `aclose`)."""
        await self._sender.aclose()

    def _listening(self, event: str) -> Iterator[Mapping[str, Any]]:
        """Yield the webhooks of current users registered for this event."""
        for hook in list(self._hooks.values()):
            if hook["type"] == event and self.users.is_current(hook["user"]):
                yield hook

    def _deliver(self, hook: Mapping[str, Any], event: str, payload: Mapping[str, Any]) -> None:
        self._sender.send(
            hook["_id"],
            event,
            hook["url"],
            payload,
            created_at=self.store.timestamp(),
            delays=self.retry_delays,
            timeout=self.timeout,
        )

    def _task_event(self, event: str, data: Mapping[str, Any]) -> None:
        """Deliver a task event to the webhooks of its project whose owner may see the task."""
        task = data["updatedTask"] if "updatedTask" in data else data["task"]
        body = payloads.payload(self.users, data)
        for hook in self._listening(event):
            if hook.get("group") == task["group"] and may_view(self.tasks, hook["user"], task):
                self._deliver(hook, event, body)

    def _client_event(self, event: str, data: Mapping[str, Any]) -> None:
        """Deliver a client event to every webhook of that type (organization-wide)."""
        body = payloads.payload(self.users, data)
        for hook in self._listening(event):
            self._deliver(hook, event, body)
