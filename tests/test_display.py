"""Records in notebooks: short pretty and HTML displays, to_dict and to_json, the tree, pagers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from cubicl_async import AsyncCubicl, Entry, Project, ProjectTree, Task
from cubicl_async.testing import Demo, Emulator


class Printer:
    """Collects what a `_repr_pretty_` prints, as IPython's printer would."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def text(self, text: str) -> None:
        """Keep the text."""
        self.parts.append(text)


def pretty(value: Any) -> str:
    """Return what IPython would show for `value`."""
    printer = Printer()
    value._repr_pretty_(printer, False)
    return "".join(printer.parts)


WHEN = datetime(2026, 3, 1, tzinfo=UTC)


def test_a_task_shows_as_one_short_line_and_a_card() -> None:
    """Name, id and the main fields; never the nested repr."""
    task = Task(id="t1", name="Ship <it>", state="cb_active", deadline=WHEN, priority=5,
                assignees=("a", "b"), desc="x" * 5000)  # fmt: skip
    line = pretty(task)
    assert line == ("Task 'Ship <it>' (id=t1, state=cb_active, deadline=2026-03-01, "
                    "priority=5, assignees=2 items)")  # fmt: skip
    card = task._repr_html_()
    assert "Ship &lt;it&gt;" in card
    assert "<it>" not in card
    assert len(card) < 600


def test_records_turn_into_dicts_and_json() -> None:
    """to_dict: Python names and values; to_json: the wire form, as the API sends it."""
    entry = Entry(id="e1", amount=Decimal("12.50"), due_at=WHEN, customer="c1")
    as_dict = entry.to_dict()
    assert as_dict["amount"] == Decimal("12.50")
    assert as_dict["due_at"] == WHEN
    assert "paid_amount" in as_dict
    assert json.loads(entry.to_json()) == {"_id": "e1", "amount": 12.5, "customer": "c1",
                                           "dueAt": int(WHEN.timestamp())}  # fmt: skip
    task = Task(id="t1", project="p1", assignees=("a",))
    assert task.to_dict()["assignees"] == ["a"]  # lists, for a DataFrame
    assert json.loads(task.to_json())["group"] == "p1"


def chain(n: int) -> list[Project]:
    """Return n projects, each the child of the one before."""
    return [Project(id=f"p{i}", name=f"P{i}", parents=(f"p{i - 1}",) if i else ())
            for i in range(n)]  # fmt: skip


def test_a_big_tree_shows_its_first_lines_only() -> None:
    """A tree of 500 projects: 40 lines and a note, in text and HTML; nesting balanced."""
    tree = ProjectTree(chain(500))
    text = pretty(tree)
    assert text.splitlines()[0] == "<ProjectTree 500 projects, 1 roots>"
    assert len(text.splitlines()) == 42
    assert "500 projects in all" in text.splitlines()[-1]
    page = tree._repr_html_()
    assert page.count("<li>") == 41
    assert page.count("<ul>") == page.count("</ul>")
    assert "<code>p39</code>" in page
    assert "p40</code>" not in page


async def test_descendants_in_a_notebook_are_short(local: AsyncCubicl, demo: Demo) -> None:
    """The cell that printed 6,200 characters: each project is now one short line."""
    tree = await local.projects.tree()
    lines = [pretty(p) for p in tree.descendants(demo.projects["Acme"])]
    assert all(len(line) < 160 for line in lines)
    assert sum(map(len, lines)) < 1500


async def test_a_pager_says_what_it_will_fetch_without_fetching(
    local: AsyncCubicl, emu: Emulator, demo: Demo
) -> None:
    """Repr and the notebook display of a Pager send nothing."""
    pager = local.tasks.list(project=demo.projects["Backend"], page_size=20)
    assert repr(pager) == (f"<Pager GET tasks group={demo.projects['Backend']} archived=false "
                           "page_size=20 max_items=None>")  # fmt: skip
    assert "not fetched" in pretty(pager)
    assert repr(local.projects.list()) == "<Pager GET groups whole max_items=None>"
    assert emu.requests == []


async def test_client_stats_show_as_a_line_and_a_table(local: AsyncCubicl) -> None:
    """ClientStats: its summary line, and an HTML table of its counters."""
    await local.projects.list()
    assert pretty(local.stats).startswith("ClientStats(requests=1 retries=0")
    assert "<th style='text-align:left;padding-right:1em'>requests</th><td>1</td>" in (
        local.stats._repr_html_()
    )
