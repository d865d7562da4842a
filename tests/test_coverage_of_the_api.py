"""All 40 endpoints of cubicl-api.md §2: each has an SDK method and an emulator route."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from cubicl_async import AsyncCubicl, CubiclError
from cubicl_async.testing import Emulator

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "cubicl-api.md"

# One SDK call per endpoint (the ids are placeholders: "x").
CALLS: dict[tuple[str, str], Callable[[AsyncCubicl], Any]] = {
    ("GET", "/organization/users"): lambda c: c.users.list().to_list(),
    ("GET", "/users"): lambda c: c.users.get_many(["x"]),
    ("GET", "/app/me"): lambda c: c.users.me(),
    ("GET", "/groups"): lambda c: c.projects.list().to_list(),
    ("GET", "/tasks"): lambda c: c.tasks.list().to_list(),
    ("GET", "/tasks/x"): lambda c: c.tasks.get("x"),
    ("POST", "/tasks"): lambda c: c.tasks.create(project="x", name="n"),
    ("PUT", "/tasks/x"): lambda c: c.tasks.update("x", name="n"),
    ("DELETE", "/tasks/x"): lambda c: c.tasks.delete("x"),
    ("POST", "/tasks/x/subtasks"): lambda c: c.tasks.create_subtask("x", name="n"),
    ("PUT", "/tasks/x/state"): lambda c: c.tasks.set_state("x", "s"),
    ("POST", "/tasks/x/activities"): lambda c: c.tasks.comment("x", "hi"),
    ("PUT", "/tasks/x/activities/x"): lambda c: c.tasks.set_comment_visibility(
        "x", "x", visible=True),
    ("GET", "/tasks/x/activities"): lambda c: c.tasks.activities("x"),
    ("POST", "/files/upload"): lambda c: c.files.upload(b"b", filename="f"),
    ("GET", "/files/x/url"): lambda c: c.files.link("x"),
    ("GET", "/file-system-nodes"): lambda c: c.files.nodes(project="x").to_list(),
    ("POST", "/file-system-nodes/files"): lambda c: c.files.add_files(project="x", files=["x"]),
    ("POST", "/file-system-nodes/directories"): lambda c: c.files.add_directory(
        project="x", name="d"),
    ("DELETE", "/file-system-nodes"): lambda c: c.files.delete_nodes(["x"]),
    ("GET", "/crm/customers"): lambda c: c.customers.list().to_list(),
    ("GET", "/crm/customers/x"): lambda c: c.customers.get("x"),
    ("POST", "/crm/customers"): lambda c: c.customers.create(name="n"),
    ("PUT", "/crm/customers/x"): lambda c: c.customers.update("x", name="n"),
    ("DELETE", "/crm/customers/x"): lambda c: c.customers.delete("x"),
    ("GET", "/chat/threads"): lambda c: c.chat.threads().to_list(),
    ("GET", "/chat/threads/x/messages"): lambda c: c.chat.messages("x").to_list(),
    ("POST", "/chat/messages"): lambda c: c.chat.send("hi", thread="x"),
    ("GET", "/bookkeeping/page"): lambda c: c.bookkeeping.page(),
    ("GET", "/bookkeeping/activities"): lambda c: c.bookkeeping.activities("x"),
    ("GET", "/bookkeeping/entries/x"): lambda c: c.bookkeeping.entry("x"),
    ("POST", "/bookkeeping/entries"): lambda c: c.bookkeeping.create_entry(
        customer="x", type="receivable", name="n", currency="USD", amount=Decimal(1)),
    ("PUT", "/bookkeeping/entries/x"): lambda c: c.bookkeeping.update_entry(
        "x", type="receivable", name="n", currency="USD"),
    ("DELETE", "/bookkeeping/entries/x"): lambda c: c.bookkeeping.delete_entry("x"),
    ("POST", "/bookkeeping/payment/x"): lambda c: c.bookkeeping.add_payment("x", amount=1),
    ("DELETE", "/bookkeeping/payments/x"): lambda c: c.bookkeeping.delete_payment("x"),
    ("GET", "/users/self/webhook"): lambda c: c.webhooks.list().to_list(),
    ("POST", "/users/self/webhook"): lambda c: c.webhooks.create(
        type="client-created", url="https://r.test/h"),
    ("PUT", "/users/self/webhook/x"): lambda c: c.webhooks.update("x", url="https://r.test/h"),
    ("DELETE", "/users/self/webhook/x"): lambda c: c.webhooks.delete("x"),
}  # fmt: skip


def documented() -> list[tuple[str, str]]:
    """Return the (method, path) rows of §2, ids written as `x`."""
    rows = re.findall(r"^\| \d+ \| \w+ \| (\w+) \| `([^`]+)` \|", REFERENCE.read_text(), re.M)
    return [(method, re.sub(r":\w+|\{\w+\}", "x", path)) for method, path in rows]


def test_the_reference_has_forty_endpoints_and_each_an_sdk_call() -> None:
    """The table of §2 has the 40 endpoints, and the calls above are exactly them."""
    assert len(documented()) == 40
    assert set(documented()) == set(CALLS)


@pytest.mark.parametrize(("method", "path"), list(CALLS), ids=[f"{m} {p}" for m, p in CALLS])
async def test_each_endpoint_is_reached_by_the_sdk_and_routed_by_the_emulator(
    method: str, path: str, emu: Emulator
) -> None:
    """The SDK call sends exactly that method and path; the emulator has a route for it."""
    sent: list[tuple[str, str, int, bytes]] = []
    inner = emu.transport()

    class Recording(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await inner.handle_async_request(request)
            body = await response.aread()
            path = request.url.path.removeprefix("/api/v1")
            sent.append((request.method, path, response.status_code, body))
            return httpx.Response(response.status_code, headers=response.headers, content=body)

    ada = emu.add_user("Ada", "L", org_admin=True)
    async with AsyncCubicl(emu.token(ada), base_url=emu.base_url_in_process,
                           transport=Recording(), rate_limit=None) as client:  # fmt: skip
        with contextlib.suppress(CubiclError):  # placeholder ids: typed 4xx answers expected
            await CALLS[method, path](client)
    (sent_method, sent_path, status, body) = sent[0]
    assert (sent_method, sent_path) == (method, path)
    assert status != 405, body
    assert not body.startswith(b'{"message":"Not Found: '), body  # a route, not a 404 of paths
