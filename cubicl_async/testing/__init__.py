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
``GET /users``, ``GET /groups``, and the ten task endpoints: ``GET``/``POST /tasks``,
``GET``/``PUT``/``DELETE /tasks/:id``, ``POST /tasks/:id/subtasks``,
``PUT /tasks/:id/state``, ``GET``/``POST /tasks/:id/activities`` and
``PUT /tasks/:taskId/activities/:activityId``.

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
    Success bodies are bare JSON (``DELETE`` answers 204 with an empty body). Errors
    are JSON ``{"message": "<text>"}``, with ``"code": <int>`` only where
    ``cubicl-api.md`` documents an application code (none of the endpoints above).
    Every answer, errors and injected faults included, carries ``X-Request-Id:
    req-000001``, ``req-000002``, ... counted over all requests of the emulator (never
    reset, not even by ``requests.clear()``).

Records
    Sparse as in the docs: ``taskStates`` and ``perms`` (and ``perms.users``) are
    present only when given to ``add_project``; the main project's ``parents`` is
    ``null``; ``groups`` (the children) is derived from the other projects' ``parents``
    in creation order. Dates the emulator sets are integer Unix seconds from its
    ``now``. Ids are 24 hex digits from one counter shared by all records (users,
    projects, clients, tasks, activities, checklist items; the main project is
    ``000...001``), skipping ids that callers chose with ``id=``; a taken id raises
    ValueError. The emulator's helpers raise ValueError for unknown ids.

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

Tasks: records
    Every field of §5.9, in its order. ``portalFollowers``, ``archivedAt``, ``steps``,
    ``email``, ``support``, ``sharedWithCustomer``, ``workflow``, ``estimatedTime``,
    ``customFields``, ``lastCopy`` and ``recurrence`` are absent until set; ``recurrent``
    (default false) comes last. A new task has ``desc`` "", the project's ``isDefault``
    state (else its first; a project whose ``taskStates`` is missing or empty has the
    four ``cb_*`` states of §4.4), null ``start``, ``deadline``, ``customer``,
    ``parent`` and ``completedAt``, empty lists, ``priority`` 3, ``priorityScore`` its
    creation number (1, 2, ... in the organization), ``assignedBy`` the creator,
    ``followers`` the creator then the assignees, ``stepType`` "none", ``private``
    false and ``createdAt`` now. ``completedAt`` becomes now when a task enters a state
    of type ``completed`` from another type (or is created in one), stays when it moves
    between completed states, and is null in any other state. New assignees join the
    ``followers``, who are never removed. Dates and ``estimatedTime`` sent by clients
    are stored as sent (integer or float). A task is archived when ``archivedAt`` is a
    number.

Tasks: bodies
    A JSON object, else 400; unknown keys are ignored; a wrong type gets 400 naming the
    field. ``group``, ``name`` and ``parent`` are non-empty strings; ``priority`` an
    integer from 1 to 5 (``3.0`` is not); ``assignees`` and ``tags`` arrays of strings
    (repeats dropped); ``files`` an array of file ids, stored as ``[{"_id"}]`` (there is
    no file store: any non-empty string does); ``customer`` a client id, embedded as
    ``{"_id", "name"}``; ``workFlowId`` is stored as ``workflow: {"id"}``; ``stepType``
    is ``none``, ``steps`` or ``progress``; ``steps`` a CheckList, an array of
    ``{"_id"?: str, "name": str, "checked"?: bool (false)}`` (items without ``_id`` get
    one; other item keys are dropped), or a ProgressBar ``{"completed": number,
    "total": number}``; ``private``, ``recurrent`` and ``sharedWithCustomer`` booleans;
    ``recurrence`` any object; ``estimatedTime`` seconds, at least 0; ``customFields``
    an object of strings. After the change, ``steps`` must match ``stepType`` (none: no
    steps; ``steps``: a CheckList; ``progress``: a ProgressBar) and ``recurrence`` must
    be there exactly when ``recurrent`` is true, else 400; ``stepType: "none"`` drops
    the steps and ``recurrent: false`` the recurrence. On create a null counts as not
    sent.

Tasks: create
    ``POST /tasks`` answers the full Task. An unknown ``group`` gets 404, as does an
    unknown ``parent`` or a private one hidden from the caller; a parent in another
    project gets 422; an unknown ``state`` of the project, an assignee who is not a
    current user of the organization and an unknown ``customer`` get 422. The parent's
    ``subtasks`` gets the new id appended. ``POST /tasks/:id/subtasks`` takes the same
    body without ``group`` and ``parent`` (ignored if sent) and answers the new Task, in
    the parent's project. Creating a subtask needs the ``contribute`` level in the
    project, whoever created the parent. ``archived``/``archivedAt`` are not create
    fields (ignored). A ``create`` activity is recorded on the new task, none on its
    parent. The embedded ``customer`` keeps the client's name of that moment.

Tasks: update
    ``PUT /tasks/:id`` sets the fields sent, the create fields plus ``archived`` and
    ``archivedAt``. Null (or "" for a string) clears: ``desc`` to "", ``start``,
    ``deadline`` and ``customer`` to null, lists to [], ``priority`` to 3, booleans to
    false, ``stepType`` to "none"; ``steps``, ``recurrence``, ``workFlowId``
    (``workflow``), ``estimatedTime``, ``customFields`` and ``sharedWithCustomer``
    become absent; ``name`` and ``state`` cannot be cleared (400). ``group`` ("tasks
    cannot move between projects"), ``parent``, ``archived`` together with
    ``archivedAt``, and a body without any writable field (``{}``) get 400.
    ``archived: true`` sets ``archivedAt`` to now (even if already archived),
    ``archived: false`` (or null) sets it to null; ``archivedAt`` may be sent as a
    number or null. The answer is ``{"activity", "task"}``; an ``update`` activity is
    recorded every time, with ``changes: {}`` when nothing changed. A state set here
    shows in that ``update`` activity (same 422 rule as below).

Tasks: state and delete
    ``PUT /tasks/:id/state`` takes ``{"state": "<name>"}`` (missing or not a string:
    400; not a state of the task's project: 422) and answers ``{"activity", "task"}``
    with a ``state`` activity, recorded even when the state stays the same.
    ``DELETE /tasks/:id`` answers 204 with an empty body. It deletes the task, its
    subtasks recursively (whatever their privacy or the caller's permissions on them;
    safe against cycles) and their activities, and removes the task from its parent's
    ``subtasks``; all of them get 404 afterwards.

Tasks: activities
    A TaskActivity is ``{"_id", "task", "type", "createdBy", "createdAt"}``, ``type``
    being ``create``, ``update``, ``state`` or ``comment``. ``update`` and ``state``
    add ``changes``, ``{<field>: {"old", "new"}}``: for ``update`` every field of the
    record whose value changed, in §5.9 order, derived ones included (``followers``,
    ``completedAt``, ``archivedAt``, ``workflow``), an absent key counting as null; for
    ``state`` just ``state``. ``comment`` adds ``content`` (a string, "" with files
    only), ``files`` (``[{"_id"}]``) and ``visibleToCustomer`` (false at first).
    ``GET /tasks/:id/activities`` lists all of them, oldest first, without paging.
    ``POST /tasks/:id/activities`` takes ``{"content"?: str, "files"?: [ids]}``, at
    least one of them non-empty (else 400), and answers the comment.
    ``PUT /tasks/:taskId/activities/:activityId`` takes ``{"visibleToCustomer": bool}``
    (else 400) and answers the comment. The caller must be able to see the task (403);
    then, in this order, an activity of another task or an unknown one gets 404, one
    that is not a comment 422, someone else's comment 403.

Tasks: search
    ``GET /tasks`` lists, in creation order (ascending ``priorityScore``), the tasks the
    caller may see that match every filter given; with none, all of them. ``group``
    keeps that project's tasks; ``recursive=true`` adds those of all its descendants
    (each once, through cycles and projects the caller cannot see). ``recursive`` is
    ``true``, ``false`` or empty (else 400) and has no effect without ``group``. An
    unknown ``group`` gets 404, one the caller cannot see (as in ``GET /groups``) 403,
    even when it holds tasks the caller created or is assigned to.
    ``assignee``, ``assignedBy`` and ``customer`` compare ids (an unknown id matches
    nothing). ``tag`` must equal one of the task's ``tags``: the emulator treats tags
    as names, as the docs do not say how tag ids and names relate. ``search`` is a
    case-insensitive substring of ``name``. ``startDate`` and ``endDate`` come
    together (else 400), as decimal numbers (else 400); a task matches when its
    ``start`` or its ``deadline`` lies in [startDate, endDate], bounds included.
    ``archived`` is ``false`` (default: tasks without ``archivedAt``), ``true`` or
    ``all``, else 400. ``skip`` is an integer from 0 (default 0), ``limit`` from 1 to
    200 (default 50), else 400; a page past the end is []. The light record leaves out
    ``desc``, ``steps``, ``customFields``, ``followers``, ``portalFollowers`` and
    ``recurrence``. ``include`` (comma-separated names) returns just those fields of the
    full record, and ``_id``; ``exclude`` removes fields from the light record, never
    ``_id``; unknown names are ignored, an empty value counts as absent, and both
    together get 400. ``GET /tasks/:id`` returns the full record.

Tasks: permissions
    By the caller's tasks level in the task's project (see Permissions): ``view`` to
    see a task, list it and read its activities; ``contribute`` to create tasks and
    subtasks in the project, comment and change a state; ``edit`` to update any task;
    ``manage`` to delete any task. The creator (``assignedBy``) and the assignees of a
    task may see it, comment on it and change its state whatever their level; the
    creator may also update (so archive) and delete it. A private task is visible only
    to its creator, its assignees and the admins of its project or of an ancestor
    (organization admins included). Checks run in this order: the request's shape
    (400; so a bad body gets 400 even for an unknown task), the records it names (404),
    the permission (403), then whether it fits the data (400 for steps and
    recurrence, 422). An unknown task gets 404 even for
    outsiders, and so does a private task the caller may not see, so that its
    existence does not leak; other refusals get 403.

Tasks: helpers
    ``add_client(name)`` adds a client (only ``_id`` and ``name`` so far; ``client(id)``
    returns it as tasks embed it). ``add_task(group, name, created_by=..., **fields)``
    stores wire-named fields as given (``customer`` as ``{"_id", "name"}``, ``files`` as
    ``[{"_id"}]``; any key, even unknown ones), fills in the create defaults (given
    values win, ``followers`` and ``completedAt`` included; checklist items get ids),
    records a ``create`` activity and links a ``parent``; with ``sparse=True`` it
    stores only ``_id``, ``name``, ``group`` and the fields given, without an activity
    (the parent is still linked). ``task(id)`` and ``activities(id)`` return copies;
    ``delete_task(id)`` deletes as ``DELETE`` does, without permission checks.

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
