"""In-memory emulator of the Cubicl REST API, for tests, examples and benchmarks.

It speaks raw JSON, as written in ``cubicl-api.md``, and imports nothing from the SDK
(only the pytest plugin, `cubicl_async.testing.pytest_plugin`, builds SDK clients).
Install the ``testing`` extra (Starlette, uvicorn) to use it::

    emu = Emulator()                      # organization "Acme" with its main project
    ada = emu.add_user("Ada", "Lovelace", org_admin=True)
    eng = emu.add_project("Engineering", members=[ada])
    async with httpx.AsyncClient(
        transport=emu.transport(), base_url=emu.base_url_in_process,
        headers={"Authorization": f"Bearer {emu.token(ada)}"},
    ) as http:
        projects = (await http.get("groups", params={"parent": emu.root_id})).json()

``serve(emu)`` runs the same app on loopback under uvicorn; ``seed_demo(emu)`` fills in
a small demo organization; ``python -m cubicl_async.testing --port 8765`` serves the
demo until Ctrl-C.

What it emulates, and every decision it makes where the API docs are silent, is
specified in ``docs/emulator.md`` (one section per area). The code: `Emulator` holds a
`Store` and one subpackage per area (``users``, ``projects``, ``customers``, ``tasks``,
``bookkeeping``, ``files``, ``chat``, ``webhooks``: records, rules, seeding helpers and
an endpoint table), behind the pipeline (``_gate``: request log, faults,
authentication, rate limit). Uploaded contents over 1 MiB live in a temporary directory
until ``emu.close()`` (or ``with Emulator() as emu``); webhook deliveries run in
background tasks: ``await emu.aclose()`` ends them (and closes).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._demo import Demo, seed_demo
    from ._emulator import Emulator
    from ._faults import Faults
    from ._gate import RequestRecord
    from ._server import serve
    from .webhooks import DeliveryRecord

__all__ = ["DeliveryRecord", "Demo", "Emulator", "Faults", "RequestRecord", "seed_demo", "serve"]

#: Where each public name lives. They are imported on first use, so that importing the
#: pytest plugin (a submodule) never needs the ``testing`` extra until a fixture runs.
_HOMES = {
    "DeliveryRecord": ".webhooks",
    "Demo": "._demo",
    "Emulator": "._emulator",
    "Faults": "._faults",
    "RequestRecord": "._gate",
    "seed_demo": "._demo",
    "serve": "._server",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
