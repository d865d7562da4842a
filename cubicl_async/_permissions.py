"""Who may do what in a project: the levels of each feature, ordered, and the four-step rule.

Each feature has its own scale, lowest first (cubicl-api.md §4.2), and its own enum, whose
members compare by rank: `level >= TaskLevel.EDIT`. Comparing levels of two different
features (`TaskLevel.EDIT > FilesLevel.VIEW`) raises `TypeError` rather than answer
`False`. A level the SDK does not know arrives as a plain string and ranks below `none`:
it grants nothing.

The rule (§4.3), first step that applies wins: an admin of the project or of any of its
ancestors, along any parent path, gets the top level of every feature; else the
project's `perms.users[user]`; else `perms.members` for a member; else `perms.everybody`.
A project without `perms` uses the defaults below (the emulator's choice where the docs
are silent: docs/emulator.md, Permissions); a feature, or a whole entry, missing from
customised `perms` counts as `none`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any, Literal

import attrs

__all__ = [
    "DEFAULT_PERMISSIONS",
    "FilesLevel",
    "GanttLevel",
    "PermissionLevel",
    "PermissionLevels",
    "ProjectPermissions",
    "ReportsLevel",
    "TaskLevel",
    "resolve",
]

Feature = Literal["tasks", "files", "gantt", "reports"]


class PermissionLevel(enum.StrEnum):
    """The names of every level of every feature (each feature's own scale is below)."""

    NONE = "none"
    VIEW = "view"
    CONTRIBUTE = "contribute"
    EDIT = "edit"
    MANAGE = "manage"


class _Level(enum.StrEnum):
    """A level of one feature's scale: its members compare by rank, within the scale only."""

    @property
    def rank(self) -> int:
        """The level's place on its scale: 0 for `none`."""
        return list(type(self)).index(self)

    @classmethod
    def rank_of(cls, value: object) -> int:
        """Rank a level of this scale, given as a member or a string (unknown: -1)."""
        if isinstance(value, _Level) and not isinstance(value, cls):
            raise TypeError(f"cannot compare a {cls.__name__} with a {type(value).__name__}")
        if not isinstance(value, str):
            raise TypeError(f"a {cls.__name__} compares with levels, not {value!r}")
        member = cls._value2member_map_.get(value)
        return -1 if member is None else list(cls).index(member)  # type: ignore[arg-type]

    def __lt__(self, other: object) -> bool:
        return self.rank < self.rank_of(other)

    def __le__(self, other: object) -> bool:
        return self.rank <= self.rank_of(other)

    def __gt__(self, other: object) -> bool:
        return self.rank > self.rank_of(other)

    def __ge__(self, other: object) -> bool:
        return self.rank >= self.rank_of(other)


class TaskLevel(_Level):
    """The Tasks, Calendar and Time Chart pages: none < view < contribute < edit < manage."""

    NONE = "none"
    VIEW = "view"
    CONTRIBUTE = "contribute"
    EDIT = "edit"
    MANAGE = "manage"


class FilesLevel(_Level):
    """The Files page: none < view < edit < manage."""

    NONE = "none"
    VIEW = "view"
    EDIT = "edit"
    MANAGE = "manage"


class GanttLevel(_Level):
    """The Gantt chart: none < view < edit."""

    NONE = "none"
    VIEW = "view"
    EDIT = "edit"


class ReportsLevel(_Level):
    """The Reports page: none < view."""

    NONE = "none"
    VIEW = "view"


#: Each feature's scale.
SCALES: dict[str, type[_Level]] = {
    "tasks": TaskLevel, "files": FilesLevel, "gantt": GanttLevel, "reports": ReportsLevel,
}  # fmt: skip


@attrs.frozen(kw_only=True)
class PermissionLevels:
    """One permission level per main feature of a project."""

    #: Tasks, Calendar and Time Chart pages.
    tasks: TaskLevel | str | None = None
    #: Files page.
    files: FilesLevel | str | None = None
    #: Gantt chart.
    gantt: GanttLevel | str | None = None
    #: Reports page.
    reports: ReportsLevel | str | None = None

    def allows(self, feature: Feature, level: str) -> bool:
        """Tell whether these levels reach `level` of `feature` (given as string or member)."""
        scale = SCALES.get(feature)
        if scale is None:
            raise ValueError(f"feature must be one of {sorted(SCALES)}, got {feature!r}")
        wanted = scale.rank_of(level)
        if wanted < 0:
            raise ValueError(f"{level!r} is not a level of {feature} ({[str(m) for m in scale]})")
        have = getattr(self, feature)
        return have is not None and scale.rank_of(have) >= wanted


#: The top level of every feature: what an admin gets.
TOP = PermissionLevels(tasks=TaskLevel.MANAGE, files=FilesLevel.MANAGE,
                       gantt=GanttLevel.EDIT, reports=ReportsLevel.VIEW)  # fmt: skip
#: Nothing at all.
NOTHING = PermissionLevels(tasks=TaskLevel.NONE, files=FilesLevel.NONE,
                           gantt=GanttLevel.NONE, reports=ReportsLevel.NONE)  # fmt: skip


@attrs.frozen(kw_only=True)
class ProjectPermissions:
    """A project's customised permissions."""

    #: Levels for the project's members.
    members: PermissionLevels | None = None
    #: Levels for organization users who are not members.
    everybody: PermissionLevels | None = None
    #: Per-user overrides, by user id.
    users: dict[str, PermissionLevels] = attrs.field(factory=dict)


#: What a project without `perms` gives: its members the top of tasks and files, edit of
#: the Gantt chart and view of the reports; everybody else nothing.
DEFAULT_PERMISSIONS = ProjectPermissions(members=TOP, everybody=NOTHING)


def _complete(levels: PermissionLevels | None) -> PermissionLevels:
    """Fill the features customised `perms` leave out with `none`."""
    if levels is None:
        return NOTHING
    given = {name: value for name, value in attrs.asdict(levels).items() if value is not None}
    return attrs.evolve(NOTHING, **given)


def resolve(user_id: str, project: Any, ancestors: Iterable[Any]) -> PermissionLevels:
    """Apply the four steps for `user_id` in `project` (a `Project`), given its ancestors."""
    if user_id in project.admins or any(user_id in above.admins for above in ancestors):
        return TOP
    perms: ProjectPermissions = project.perms or DEFAULT_PERMISSIONS
    if user_id in perms.users:
        return _complete(perms.users[user_id])
    if user_id in project.members:
        return _complete(perms.members)
    return _complete(perms.everybody)
