"""Projects ("groups" in the API): their records, the `client.projects` resource, and DAG walks.

Projects form a DAG: a project may have several parents, and nothing in the API rules out
a cycle. Every walk here yields each project once, never loops, and uses as few requests
as the API allows.
"""

from __future__ import annotations

import builtins
import html
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import ClassVar, Literal

import attrs

from ._common import DEFAULT_TASK_STATES, TaskState
from ._display import Printer, Record
from ._pagination import Pager
from ._permissions import Feature, PermissionLevels, ProjectPermissions, resolve
from ._resource import Resource, gather
from ._wire import check_id

__all__ = ["Project", "ProjectNode", "ProjectTree", "Projects"]

#: The lines a notebook shows of a tree (the rest is a `str(tree)` away).
_NOTEBOOK_LINES = 40


@attrs.frozen(kw_only=True)
class Project(Record):
    """A project ("group"); lists of ids are empty, never `None`, when the API omits them."""

    _card: ClassVar[tuple[str, ...]] = ("parents", "children", "admins", "members")

    #: The project id (`_id`).
    id: str
    #: Display name.
    name: str | None = None
    #: Parent project ids; several are allowed, the organization's main project has none.
    parents: tuple[str, ...] = ()
    #: Admin user ids.
    admins: tuple[str, ...] = ()
    #: Member user ids.
    members: tuple[str, ...] = ()
    #: Child project ids (`groups` on the wire).
    children: tuple[str, ...] = attrs.field(default=(), metadata={"wire": "groups"})
    #: The project's task states: the four `DEFAULT_TASK_STATES` unless customised.
    task_states: tuple[TaskState, ...] = DEFAULT_TASK_STATES
    #: Customised permissions, or `None` when the project uses the defaults.
    perms: ProjectPermissions | None = None

    @property
    def has_custom_task_states(self) -> bool:
        """Whether the project defines its own task states (the API sent `taskStates`)."""
        return self.task_states is not DEFAULT_TASK_STATES

    @property
    def default_state(self) -> TaskState | None:
        """The state a new task gets when created without one."""
        return next((s for s in self.task_states if s.is_default), None) or next(
            iter(self.task_states), None
        )


@attrs.frozen
class ProjectNode:
    """A project reached by a walk.

    `depth` counts from the walk's start: the children of `root=` are at depth 1 (the root
    itself is not yielded); without a root, the organization's top projects are at depth 1.
    `path` holds the ids from depth 1 down to this project, so `len(path) == depth`; it is
    built when read (from the node above), so a walk costs the same per project at any
    depth.
    """

    #: The project.
    project: Project
    #: Distance from the walk's start (at least 1).
    depth: int
    #: The node this one was reached from (`None` at depth 1).
    via: ProjectNode | None = attrs.field(default=None, repr=False, eq=False)

    @property
    def path(self) -> tuple[str, ...]:
        """Ids from the first level down to `project.id`."""
        ids: list[str] = []
        node: ProjectNode | None = self
        while node is not None:
            ids.append(node.project.id)
            node = node.via
        return tuple(reversed(ids))


class ProjectTree:
    """An in-memory view of a project DAG: children, parents, ancestors and descendants.

    Links leading outside the fetched projects are ignored. `str(tree)` renders it as text;
    a project with several parents is drawn under each, its subtree once.
    """

    def __init__(self, projects: Iterable[Project], roots: Iterable[str] | None = None) -> None:
        self._projects: dict[str, Project] = {}
        for project in projects:
            self._projects.setdefault(project.id, project)
        # dicts as ordered sets: a link named by both ends is kept once, in linear time
        children: dict[str, dict[str, None]] = {pid: {} for pid in self._projects}
        parents: dict[str, dict[str, None]] = {pid: {} for pid in self._projects}
        for project in self._projects.values():
            links = [(parent, project.id) for parent in project.parents]
            links += [(project.id, child) for child in project.children]
            for parent, child in links:
                if parent in self._projects and child in self._projects:
                    children[parent][child] = None
                    parents[child][parent] = None
        self._children = {pid: list(kids) for pid, kids in children.items()}
        self._parents = {pid: list(ups) for pid, ups in parents.items()}
        if roots is None:
            roots = [pid for pid, parents in self._parents.items() if not parents]
        #: Ids of the top projects: those with no parent among the fetched ones.
        self.roots: tuple[str, ...] = tuple(pid for pid in roots if pid in self._projects)

    def __getitem__(self, project_id: str) -> Project:
        return self._projects[project_id]

    def __contains__(self, project_id: object) -> bool:
        return project_id in self._projects

    def __iter__(self) -> Iterator[Project]:
        return iter(self._projects.values())

    def __len__(self) -> int:
        return len(self._projects)

    def children(self, project_id: str) -> list[Project]:
        """Return the project's direct children."""
        return [self._projects[c] for c in self._children[project_id]]

    def parents(self, project_id: str) -> list[Project]:
        """Return the project's direct parents."""
        return [self._projects[p] for p in self._parents[project_id]]

    def descendants(self, project_id: str) -> list[Project]:
        """Return every project below this one, each once, nearest first."""
        return [self._projects[p] for p in _reach(self._children, project_id)]

    def ancestors(self, project_id: str) -> list[Project]:
        """Return every project above this one, each once, nearest first."""
        return [self._projects[p] for p in _reach(self._parents, project_id)]

    def permissions(self, user_id: str, project_id: str) -> PermissionLevels:
        """Return the levels `user_id` has in a project, by the rule of `_permissions`.

        Admins are inherited from every ancestor in this tree, along any parent path
        (cycles are fine): for an exact answer, use the whole organization's tree
        (`projects.tree()`), since ancestors outside it cannot count. Every feature's
        level is set, `none` included.
        """
        return resolve(user_id, self._projects[project_id], self.ancestors(project_id))

    def can(self, user_id: str, project_id: str, feature: Feature, level: str) -> bool:
        """Tell whether `user_id` has at least `level` of `feature` in a project.

        `feature` is "tasks", "files", "gantt" or "reports"; `level` one of its levels,
        as a string or its enum member (`TaskLevel.EDIT`): another feature's member
        raises `TypeError`, an unknown name `ValueError`.
        """
        return self.permissions(user_id, project_id).allows(feature, level)

    def nodes(self, max_depth: int | None = None) -> Iterator[ProjectNode]:
        """Yield every project once, breadth first, at its shortest depth from the roots.

        Projects no root leads to (a cycle with no way in) follow, from depth 1 again.
        """
        seen: set[str] = set()

        def breadth_first(starts: Iterable[str]) -> Iterator[ProjectNode]:
            queue: deque[ProjectNode] = deque()
            for start in starts:
                seen.add(start)
                queue.append(ProjectNode(self._projects[start], 1))
            while queue:
                node = queue.popleft()
                if max_depth is None or node.depth <= max_depth:
                    yield node
                for child in self._children[node.project.id]:
                    if child not in seen:
                        seen.add(child)
                        queue.append(ProjectNode(self._projects[child], node.depth + 1, node))

        yield from breadth_first(self.roots)
        for pid in self._projects:
            if pid not in seen:
                yield from breadth_first([pid])

    def _drawing(self) -> Iterator[tuple[str, int, str, str]]:
        """Yield the drawing's lines as (prefix and branch, depth, project id, note).

        Without recursion, at any depth; the work is linear in the text drawn.
        """
        drawn: set[str] = set()
        on_path: set[str] = set()  # the projects above the one drawn: a cycle leads back here
        # entries: (project id, prefix, last child?, depth), or (id, None, ...) to leave it
        tops = [node.project.id for node in self.nodes(max_depth=1)]
        stack: list[tuple[str, str | None, bool, int]] = [(t, "", True, 0) for t in tops]
        stack.reverse()
        while stack:
            pid, prefix, last, depth = stack.pop()
            if prefix is None:
                on_path.discard(pid)
                continue
            note = ""
            if pid in on_path:
                note = "cycle"
            elif pid in drawn and self._children[pid]:
                note = "see above"
            branch = "" if not depth else ("└── " if last else "├── ")
            yield prefix + branch, depth, pid, note
            if note:
                continue
            drawn.add(pid)
            on_path.add(pid)
            stack.append((pid, None, last, depth))
            kids = self._children[pid]
            inner = prefix if not depth else prefix + ("    " if last else "│   ")
            n = len(kids)  # pushed last child first, so that they are drawn in order
            stack.extend((kids[i], inner, i == n - 1, depth + 1) for i in range(n - 1, -1, -1))

    def render(self, max_lines: int | None = None) -> str:
        """Draw the DAG as an indented text tree (at most `max_lines` lines, if given)."""
        lines = []
        for count, (lead, _, pid, note) in enumerate(self._drawing()):
            if max_lines is not None and count == max_lines:
                lines.append(f"… (the drawing goes on; {len(self)} projects in all)")
                break
            lines.append(f"{lead}{self._projects[pid].name or pid}{f'  ({note})' if note else ''}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()

    def _repr_pretty_(self, printer: Printer, cycle: bool) -> None:
        printer.text(f"{self!r}\n{self.render(max_lines=_NOTEBOOK_LINES)}")

    def _repr_html_(self) -> str:
        """Return a nested list of names and ids (the first lines of the drawing only)."""
        parts, depth = [f"<b>{html.escape(repr(self))}</b><ul>"], 0
        for count, (_, level, pid, note) in enumerate(self._drawing()):
            if count == _NOTEBOOK_LINES:
                parts.append(f"<li>… {len(self)} projects in all</li>")
                break
            parts.append("<ul>" * (level - depth) + "</ul>" * (depth - level))
            depth = level
            name = html.escape(self._projects[pid].name or pid)
            parts.append(f"<li>{name} <code>{html.escape(pid)}</code>"
                         f"{f' <i>({note})</i>' if note else ''}</li>")  # fmt: skip
        return "".join(parts) + "</ul>" * (depth + 1)

    def __repr__(self) -> str:
        return f"<ProjectTree {len(self)} projects, {len(self.roots)} roots>"


def _reach(links: dict[str, list[str]], start: str) -> list[str]:
    """Return what `links` lead to from `start`, nearest first (`start` too, on a cycle)."""
    seen: set[str] = set()
    order: list[str] = []
    queue = deque(links[start])
    while queue:
        pid = queue.popleft()
        if pid not in seen:
            seen.add(pid)
            order.append(pid)
            queue.extend(links[pid])
    return order


class Projects(Resource):
    """`client.projects`: list and walk the organization's projects (API: `/groups`)."""

    def list(self, parent: str | None = None, *, recursive: bool = False) -> Pager[Project]:
        """List projects, each once (one request; the API answers the list whole).

        Without `parent`: every project of the organization the token's user can see.
        With `parent`: its children, or with `recursive=True` all its descendants.
        """
        params: dict[str, str | bool] = {}
        if parent is not None:
            params = {"parent": check_id("parent", parent), "recursive": recursive}
        return self._unpaged("groups", Project, params=params)

    async def tree(self, root: str | None = None) -> ProjectTree:
        """Fetch a whole DAG in one request: the organization's, or everything under `root`."""
        if root is None:
            return ProjectTree(await self.list())
        # a cycle may lead a server to list the root among its own descendants: drop it
        projects = [p for p in await self.list(root, recursive=True) if p.id != root]
        tops = [p.id for p in projects if root in p.parents]
        return ProjectTree(projects, roots=tops)

    async def walk(
        self,
        root: str | None = None,
        *,
        max_depth: int | None = None,
        mode: Literal["subtree", "levels"] = "subtree",
    ) -> AsyncIterator[ProjectNode]:
        """Yield every project under `root` (or in the organization) once, breadth first.

        Each node carries its depth (children of `root` at 1) and its path. `mode="subtree"`
        fetches everything in one request (`recursive=true`); `mode="levels"` fetches one
        level at a time, the children of a level concurrently through the throttle, and
        stops at `max_depth`, which saves requests on a wide, deep organization.
        """
        if max_depth is not None and max_depth < 1:
            raise ValueError(f"max_depth must be at least 1, got {max_depth}")
        if mode not in ("subtree", "levels"):
            raise ValueError(f"mode must be 'subtree' or 'levels', got {mode!r}")
        if mode == "subtree" or root is None:
            for node in (await self.tree(root)).nodes(max_depth):
                yield node
            return
        seen = {root}
        level: builtins.list[ProjectNode | None] = [None]  # None: the root, not yielded
        depth = 0
        while level and (max_depth is None or depth < max_depth):
            depth += 1
            parents = [node.project.id if node else root for node in level]
            children = await gather(self.list(parent).to_list() for parent in parents)
            next_level: builtins.list[ProjectNode | None] = []
            for above, found in zip(level, children, strict=True):
                for child in found:
                    if child.id not in seen:
                        seen.add(child.id)
                        node = ProjectNode(child, depth, above)
                        next_level.append(node)
                        yield node
            level = next_level
