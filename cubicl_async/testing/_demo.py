"""The demo organization: a small, fixed set of users and projects for examples and tests."""

from __future__ import annotations

from dataclasses import dataclass

from ._emulator import Emulator


@dataclass(frozen=True)
class Demo:
    """The ids `seed_demo` created."""

    #: Ada Lovelace: organization admin, token ``demo-token``; sees every project.
    admin: str
    #: Grace Hopper: member of Engineering, Backend, API, Marketing, Website and Secret.
    member: str
    #: Alan Turing: member of nothing; sees Marketing (everybody may view its tasks) and
    #: Frontend (a per-user override lets him view its tasks).
    outsider: str
    #: Project name -> id, including the main project under the organization's name.
    projects: dict[str, str]


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
        task_states=[
            {
                "name": "todo",
                "type": "waiting",
                "color": "#f39c12",
                "textColor": "#fff",
                "isDefault": True,
            },
            {"name": "doing", "type": "active", "color": "#2ecc71", "textColor": "#fff"},
            {"name": "done", "type": "completed", "color": "#d8d8d8", "textColor": "#333"},
        ],
    )
    return Demo(admin=admin, member=member, outsider=outsider, projects=projects)
