"""The demo organization: a fixed set of users, projects, tasks, clients, books and files."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ._emulator import Emulator
from .projects import DEFAULT_STATES


@dataclass(frozen=True)
class Demo:
    """The ids `seed_demo` created."""

    #: Ada Lovelace: organization admin, token ``demo-token``; sees every project.
    admin: str
    #: Grace Hopper: member of Engineering, Backend, API, Marketing, Website and Secret;
    #: an account manager (bookkeeping rights).
    member: str
    #: Alan Turing: member of nothing; sees Marketing (everybody may view its tasks) and
    #: Frontend (a per-user override lets him view its tasks).
    outsider: str
    #: Project name -> id, including the main project under the organization's name.
    projects: dict[str, str]
    #: Task name -> id (see `seed_demo`).
    tasks: dict[str, str]
    #: The client Globex.
    client: str
    #: Client name -> id: Globex, Initech, Umbrella Corporation, Wayne Enterprises.
    customers: dict[str, str]
    #: Bookkeeping entry name -> id (see `seed_demo`).
    entries: dict[str, str]
    #: Uploaded file name -> file id: ``spec.md``, ``diagram.svg``, ``contract.pdf``.
    files: dict[str, str]
    #: Node path on its Files page -> node id: on Backend's page ``Docs``, ``Docs/spec.md``,
    #: ``Docs/Diagrams`` and ``Docs/Diagrams/diagram.svg``; on Globex's ``contract.pdf``.
    nodes: dict[str, str]
    #: Chat thread -> id: ``Backend`` (the project's thread), ``Ada-Grace`` (personal),
    #: ``Coffee break`` (custom: Ada, Grace and Alan).
    threads: dict[str, str]


_NONE = {"tasks": "none", "files": "none", "gantt": "none", "reports": "none"}
_MEMBER = {"tasks": "manage", "files": "manage", "gantt": "edit", "reports": "view"}


def seed_demo(emulator: Emulator) -> Demo:
    """Fill a fresh emulator with the demo organization and return its ids.

    The projects (``*`` marks customised ``perms``, ``+`` customised ``taskStates``)::

        Acme (main project; Ada is admin as organization admin)
        ├── Engineering          members: Grace
        │   ├── Backend          members: Grace
        │   │   └── API +        members: Grace; states todo (default), doing, done
        │   └── Frontend *       no members; Alan may view tasks (perms.users)
        │       └── Website      (second parent: Marketing) members: Grace
        ├── Marketing *          members: Grace (edit tasks); everybody else views tasks
        │   └── Website          (the same project as above, listed once)
        └── Secret *             members: Grace; everybody else: none

    Visible projects: Ada all 8; Grace all but Acme and Frontend; Alan Marketing and
    Frontend. ``GET /groups?parent=<Engineering>&recursive=true`` as Grace walks through
    the invisible Frontend and returns Backend, Website and API.

    One client, Globex, and seven tasks, created at the emulator's ``now()`` (``T``)::

        Backend    Set up CI            by Grace, assigned to Grace, cb_active, tag "infra",
                                        start T, deadline T + 7 days
        API        Design endpoints     by Ada, assigned to Grace, doing, client Globex,
                                        a checklist of two items (the first checked)
        API        Write OpenAPI spec   by Grace, subtask of Design endpoints, todo
        Marketing  Launch campaign      by Grace, assigned to Grace, priority 5, client
                                        Globex, tag "launch", deadline T + 30 days
        Marketing  Spring newsletter    by Grace, cb_completed, archived at T
        Secret     Acquisition plan     by Ada, private: Grace (a member) cannot see it
        Website    Landing page copy    by Grace, assigned to Alan, who sees it only as
                                        its assignee (he has no level in Website)

    Alan sees Launch campaign (Marketing tasks are open to everybody) and Landing page
    copy; ``GET /tasks`` hides Spring newsletter unless ``archived`` is ``true``/``all``.

    Four clients (Globex first, the others after the tasks), with emails and contacts,
    and six bookkeeping entries, by Ada unless said (Ada keeps the books as organization
    admin, Grace as account manager; Alan has no rights)::

        Globex      receivable  Website redesign     USD 12000, due T + 30 days, 4000 paid
        Globex      receivable  Hosting 2024         USD 1200.50, due T - 10 days: overdue
        Initech     receivable  Consulting retainer  EUR 5000, by Grace, 2000 then 3000: paid
        Initech     payable     Office supplies      USD 349.99, due T - 5 days, paid
        Umbrella    payable     Lab equipment        EUR 8750, due T + 14 days
        Wayne       payable     Security audit       USD 2500, due T - 3 days, 500 paid

    In USD (the organization's currency by default) the page's receivables total 13200.5,
    9200.5 outstanding, 1200.5 overdue; its payables 2849.99, 2000 outstanding, 2000
    overdue. The EUR entries are left out of the totals.
    Three small files, uploaded after every other record (so the ids above never
    change), and the Files pages they are on::

        Backend   Docs/                       a directory, created first
                  Docs/spec.md                text/markdown
                  Docs/Diagrams/              a directory in Docs, created after spec.md
                  Docs/Diagrams/diagram.svg   image/svg+xml
        Globex    contract.pdf                application/pdf, at the root of its page

    Three chat threads, after every other record: Backend's project thread (members
    Grace, and Ada as organization admin) with 60 messages, Ada and Grace in turns, one a
    minute from ``T - 60 min`` to ``T - 1 min`` ("Backend note 1" ... "Backend note 60";
    every tenth liked by the other one); the personal thread of Ada and Grace, three
    messages at ``T - 10``, ``T - 5`` and ``T - 1`` minutes; the custom thread "Coffee
    break" of Ada, Grace and Alan, two messages at ``T - 30`` and ``T - 29`` minutes.
    """
    admin = emulator.add_user("Ada", "Lovelace", token="demo-token", org_admin=True)  # noqa: S106 (a fixed demo token)
    member = emulator.add_user("Grace", "Hopper")
    outsider = emulator.add_user("Alan", "Turing")
    add = emulator.add_project
    projects = {emulator.org_name: emulator.root_id}
    projects["Engineering"] = add("Engineering", members=[member])
    projects["Marketing"] = add(
        "Marketing",
        members=[member],
        perms={
            "members": {**_MEMBER, "tasks": "edit"},
            "everybody": {**_NONE, "tasks": "view"},
        },
    )
    projects["Secret"] = add(
        "Secret", members=[member], perms={"members": _MEMBER, "everybody": _NONE}
    )
    projects["Backend"] = add("Backend", parents=[projects["Engineering"]], members=[member])
    projects["Frontend"] = add(
        "Frontend",
        parents=[projects["Engineering"]],
        perms={
            "members": _MEMBER,
            "everybody": _NONE,
            "users": {outsider: {**_NONE, "tasks": "view"}},
        },
    )
    projects["Website"] = add(
        "Website", parents=[projects["Marketing"], projects["Frontend"]], members=[member]
    )
    projects["API"] = add(
        "API",
        parents=[projects["Backend"]],
        members=[member],
        # The first three default states under other names: todo (the default), doing, done.
        task_states=[
            {**state, "name": name}
            for state, name in zip(DEFAULT_STATES, ("todo", "doing", "done"), strict=False)
        ],
    )
    client = emulator.add_client(
        "Globex",
        fullname="Globex Corporation",
        email="billing@globex.example",
        phone="+1 555 0100",
        contacts=[{"name": "Hank Scorpio", "position": "CEO", "email": "hank@globex.example"}],
    )
    tasks = _seed_tasks(emulator, admin, member, outsider, projects, client)
    customers = _seed_customers(emulator, client)
    emulator.users.set_account_manager(member)
    entries = _seed_books(emulator, admin, member, customers)
    files, nodes = _seed_files(emulator, projects["Backend"], client)
    return Demo(
        admin=admin,
        member=member,
        outsider=outsider,
        projects=projects,
        tasks=tasks,
        client=client,
        customers=customers,
        entries=entries,
        files=files,
        nodes=nodes,
        threads=_seed_chat(emulator, admin, member, outsider, projects["Backend"]),
    )


def _seed_tasks(
    emulator: Emulator,
    admin: str,
    member: str,
    outsider: str,
    projects: dict[str, str],
    client: str,
) -> dict[str, str]:
    """Add the demo tasks (see `seed_demo`) and return their ids by name."""
    now, day = emulator.store.timestamp(), 86_400
    globex = emulator.client(client)
    tasks: dict[str, str] = {}

    def add(project: str, name: str, by: str, **fields: Any) -> None:
        tasks[name] = emulator.add_task(projects[project], name, created_by=by, **fields)

    add(
        "Backend",
        "Set up CI",
        member,
        assignees=[member],
        state="cb_active",
        tags=["infra"],
        start=now,
        deadline=now + 7 * day,
    )
    add(
        "API",
        "Design endpoints",
        admin,
        assignees=[member],
        state="doing",
        customer=globex,
        stepType="steps",
        steps=[
            {"name": "List the resources", "checked": True},
            {"name": "Write examples", "checked": False},
        ],
    )
    add("API", "Write OpenAPI spec", member, parent=tasks["Design endpoints"])
    add(
        "Marketing",
        "Launch campaign",
        member,
        assignees=[member],
        priority=5,
        customer=globex,
        tags=["launch"],
        deadline=now + 30 * day,
    )
    add("Marketing", "Spring newsletter", member, state="cb_completed", archivedAt=now)
    add("Secret", "Acquisition plan", admin, private=True)
    add("Website", "Landing page copy", member, assignees=[outsider])
    return tasks


def _seed_customers(emulator: Emulator, globex: str) -> dict[str, str]:
    """Add the demo clients after Globex (see `seed_demo`) and return them all by name."""
    add = emulator.customers.add
    return {
        "Globex": globex,
        "Initech": add(
            "Initech",
            fullname="Initech Inc.",
            email="accounts@initech.example",
            contacts=[
                {
                    "name": "Bill Lumbergh",
                    "position": "Vice President",
                    "phone": "+1 555 0199",
                    "email": "bill@initech.example",
                }
            ],
        ),
        "Umbrella Corporation": add(
            "Umbrella Corporation",
            contacts=[{"name": "Albert Wesker", "email": "wesker@umbrella.example"}],
        ),
        "Wayne Enterprises": add("Wayne Enterprises", email="lucius@wayne.example"),
    }


def _seed_books(
    emulator: Emulator, admin: str, member: str, customers: dict[str, str]
) -> dict[str, str]:
    """Add the demo bookkeeping entries and payments (see `seed_demo`); their ids by name."""
    books, now, day = emulator.bookkeeping, emulator.store.timestamp(), 86_400
    entries: dict[str, str] = {}

    def add(client: str, kind: str, name: str, money: str, by: str = admin, **more: Any) -> None:
        currency, amount = money.split()
        entries[name] = books.add_entry(
            customers[client], kind, name, currency, Decimal(amount), created_by=by, **more
        )

    add("Globex", "receivable", "Website redesign", "USD 12000", due_at=now + 30 * day, paid=4000)
    add("Globex", "receivable", "Hosting 2024", "USD 1200.50", due_at=now - 10 * day)
    add("Initech", "receivable", "Consulting retainer", "EUR 5000", member, paid=2000)
    books.add_payment(entries["Consulting retainer"], 3000, created_by=member, note="Balance")
    add("Initech", "payable", "Office supplies", "USD 349.99", due_at=now - 5 * day)
    books.add_payment(entries["Office supplies"], Decimal("349.99"), created_by=admin)
    add("Umbrella Corporation", "payable", "Lab equipment", "EUR 8750", due_at=now + 14 * day)
    add(
        "Wayne Enterprises", "payable", "Security audit", "USD 2500", due_at=now - 3 * day, paid=500
    )
    return entries


_DEMO_FILES = {
    "spec.md": ("text/markdown", b"# Backend\n\nThe API speaks JSON over HTTPS.\n"),
    "diagram.svg": (
        "image/svg+xml",
        b'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" '
        b'height="8"/></svg>\n',
    ),
    "contract.pdf": ("application/pdf", b"%PDF-1.4\n% Globex service contract (demo)\n%%EOF\n"),
}


def _seed_files(
    emulator: Emulator, backend: str, client: str
) -> tuple[dict[str, str], dict[str, str]]:
    """Upload the demo files and build their Files pages (see `seed_demo`)."""
    files = {
        name: emulator.files.upload(name, content, content_type=content_type)
        for name, (content_type, content) in _DEMO_FILES.items()
    }
    tree = emulator.files
    nodes = {"Docs": tree.add_directory("Docs", group=backend)}
    (nodes["Docs/spec.md"],) = tree.add_files(
        [files["spec.md"]], group=backend, parent=nodes["Docs"]
    )
    nodes["Docs/Diagrams"] = tree.add_directory("Diagrams", group=backend, parent=nodes["Docs"])
    (nodes["Docs/Diagrams/diagram.svg"],) = tree.add_files(
        [files["diagram.svg"]], group=backend, parent=nodes["Docs/Diagrams"]
    )
    (nodes["contract.pdf"],) = tree.add_files([files["contract.pdf"]], customer=client)
    return files, nodes


def _seed_chat(
    emulator: Emulator, admin: str, member: str, outsider: str, backend: str
) -> dict[str, str]:
    """Add the demo chat threads and messages (see `seed_demo`); the threads by name."""
    chat, now, minute = emulator.chat, emulator.store.timestamp(), 60
    threads = {
        "Backend": chat.group_thread(backend),
        "Ada-Grace": chat.personal_thread(admin, member),
        "Coffee break": chat.add_thread("Coffee break", [admin, member, outsider]),
    }
    for number in range(1, 61):
        sender, other = (admin, member) if number % 2 else (member, admin)
        chat.add_message(
            threads["Backend"],
            sender,
            f"Backend note {number}",
            likes=[other] if number % 10 == 0 else (),
            created_at=now - (61 - number) * minute,
        )
    for sender, text, ago in (
        (admin, "Grace, can you review the API spec today?", 10),
        (member, "Sure, after lunch.", 5),
        (admin, "Thanks!", 1),
    ):
        chat.add_message(threads["Ada-Grace"], sender, text, created_at=now - ago * minute)
    for sender, text, ago in ((outsider, "Coffee at 3?", 30), (member, "Count me in.", 29)):
        chat.add_message(threads["Coffee break"], sender, text, created_at=now - ago * minute)
    return threads
