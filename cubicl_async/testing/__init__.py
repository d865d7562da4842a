"""In-memory emulator of the Cubicl REST API, for tests, examples and benchmarks.

It speaks raw JSON, as written in ``cubicl-api.md``, and imports nothing from the SDK.
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
demo until Ctrl-C. Endpoints so far: ``GET /app/me``, ``GET /organization/users``,
``GET /users``, ``GET /groups``.

Behaviour where the API docs are silent
---------------------------------------

Pipeline
    Every request goes through, in this order: the request log, injected faults,
    authentication, the rate limit, routing, the handler. So a fault applies even to a
    request without a token; a missing, malformed (not ``Bearer <token>``, the scheme
    matched case-insensitively) or unknown token gets 401 on any path, known or not,
    with ``WWW-Authenticate: Bearer``; only authenticated requests count towards the
    rate limit; and only then does an unknown path get 404 and a known path with
    another method 405 with an ``Allow`` header (methods in alphabetical order). HEAD
    is answered wherever GET is (as Starlette does), so ``Allow`` lists it. A trailing
    slash is not redirected: 404.

Answers
    Success bodies are bare JSON. Errors are JSON ``{"message": "<text>"}``, with
    ``"code": <int>`` only where ``cubicl-api.md`` documents an application code (none
    of the endpoints above). Every answer, errors and injected faults included, carries
    ``X-Request-Id: req-000001``, ``req-000002``, ... counted over all requests of the
    emulator (never reset, not even by ``requests.clear()``).

Records
    Sparse as in the docs: ``taskStates`` and ``perms`` (and ``perms.users``) are
    present only when given to ``add_project``; the main project's ``parents`` is
    ``null``; ``groups`` (the children) is derived from the other projects' ``parents``
    in creation order. Dates will be integer Unix seconds (no endpoint so far has
    any). Ids are 24 hex digits from one
    counter shared by all records (the main project is ``000...001``), skipping ids
    that callers chose with ``id=``; a taken id raises ValueError. The emulator's
    helpers raise ValueError for unknown ids.

Users
    ``profile`` is ``https://cubicl.test/profiles/<id>.png``. ``GET /app/me`` has
    ``jobTitle`` null, ``language`` "en", localization ``DD/MM/YYYY``, ``HH:mm``,
    timezone 0, ``org.countryCode`` "US", and ``org.admins`` the current organization
    admins. ``GET /organization/users`` lists current members in creation order.
    ``GET /users`` requires ``ids`` (400 without it), answers in the order of ``ids``,
    each user once, skips unknown ids (``ids=`` gives ``[]``), resolves removed users,
    and never includes ``email``. A removed user's token gets 401; the user leaves
    ``org.admins`` but stays in project records.

Projects
    The main project is named after the organization; its ``admins`` are the current
    organization admins and its ``members`` are empty, so other users do not see it.
    Every other project has at least one parent; ``add_parent`` may add more, and may
    create cycles. ``GET /groups`` without ``parent`` lists every visible project; with
    ``parent``: its visible children, or with ``recursive=true`` its visible
    descendants, each once, never ``parent`` itself even through a cycle, and walking
    through projects the caller cannot see. Lists are in creation order. ``recursive``
    must be ``true`` or ``false`` (else 400), checked even without ``parent``, where it
    has no effect. An unknown ``parent`` (also an empty one) gets 404, a parent the
    caller cannot see 403.

Permissions
    As in §4.3: an admin of the project or of any ancestor gets the top level of every
    feature; else ``perms.users[<id>]``; else ``perms.members`` for a member; else
    ``perms.everybody``. An organization admin is an admin of the main project, hence of
    everything. Without ``perms``: members ``tasks: manage, files: manage, gantt: edit,
    reports: view``, everybody ``none``. A feature (or a whole ``members``/``everybody``
    entry) missing from custom ``perms`` counts as ``none``. A project is visible when
    any feature level is above ``none``. `Emulator.level` exposes the resolution.

Rate limit
    Off by default. When set, a sliding window per token: at most ``requests`` accepted
    requests in any ``period`` seconds of the injectable ``clock`` (a request at ``t``
    leaves the window at ``t + period``). A refused request gets 429, is not counted,
    and gets ``Retry-After``: the whole seconds until a slot frees (rounded up, at least
    1), or that moment as an HTTP-date (from ``now``, rounded up to a whole second), or
    no header, as chosen. No ``X-RateLimit-*`` headers. ``set_rate_limit`` starts with
    empty windows.

Faults
    Queued faults apply in the order they were added, at most one per request, to the
    requests matching their ``method`` (any case) and exact ``path`` (relative to
    ``/api/v1``).
    ``fail_next`` answers ``{"message": "Injected fault: HTTP <status>"}`` (or the given
    JSON ``body``; ``bytes`` go out as ``text/plain``) without processing the request.
    ``malformed_next`` answers 200 ``application/json`` with a truncated JSON text.
    ``drop_next`` starts a 200 answer announcing 1000 bytes, sends 9, and closes the
    connection: a client sees ``httpx.RemoteProtocolError``. ``latency`` delays every
    answer (``asyncio.sleep`` before the status line), injected ones included; ``clear()``
    removes the queued faults and sets the latency back to 0.

Request log
    ``Emulator.requests`` gets one `RequestRecord` per request as it is answered,
    before the client receives the end of the answer (so it is there when a call
    returns, over loopback too):
    ``path`` relative to ``/api/v1`` (other paths whole), ``query`` with the last value
    of a repeated name, ``status`` 0 for a dropped connection, ``user_id`` None when the
    request was not authenticated (faults, 401), ``body`` empty when a drop happened
    before reading it.
"""

from ._demo import Demo, seed_demo
from ._emulator import Emulator
from ._faults import Faults
from ._gate import RequestRecord
from ._server import serve

__all__ = ["Demo", "Emulator", "Faults", "RequestRecord", "seed_demo", "serve"]
