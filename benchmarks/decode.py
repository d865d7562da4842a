"""Benchmark: decoding a page of 1,000 tasks from bytes into records, against json.loads.

The page is made here: realistic tasks of about 1 KB each, with some optional fields
missing, as `GET /tasks/:id` would send them. Each round times `json.loads` of the bytes
and the SDK's decoding of the same bytes into `Task` records (json.loads plus the
converter), interleaved so both see the same machine state; the figure printed is the
median of the per-round ratios (the SDK's budget, issue 7: at most 4.5):

    decode tasks=1000 ratio=3.6

The converter is cattrs' generated code with strict hooks and detailed validation (one
path, see `cubicl_async._convert`); structuring alone takes about 2.5 times `json.loads`.
"""

from __future__ import annotations

import gc
import json
import random
import statistics
import time
from typing import Any

from cubicl_async import Task
from cubicl_async._convert import structure

ROUNDS = 41
COUNT = 1000


def realistic_tasks(count: int, seed: int = 3) -> list[dict[str, Any]]:
    """Return `count` task payloads of about 1 KB, some optional fields left out."""
    rng = random.Random(seed)

    def oid() -> str:
        return f"{rng.getrandbits(96):024x}"

    users = [oid() for _ in range(20)]
    tasks = []
    for i in range(count):
        task: dict[str, Any] = {
            "_id": oid(),
            "name": f"Task {i}: " + " ".join(rng.choice(["fix", "ship", "review", "plan",
                                                           "write", "test"]) for _ in range(4)),
            "desc": "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * rng.randint(1, 4),
            "state": rng.choice(["cb_waiting", "cb_active", "cb_completed"]),
            "start": 1_700_000_000 + rng.randint(0, 10**7),
            "deadline": rng.choice([None, 1_710_000_000 + rng.randint(0, 10**7)]),
            "assignees": rng.sample(users, rng.randint(0, 3)),
            "assignedBy": rng.choice(users),
            "followers": rng.sample(users, rng.randint(1, 5)),
            "priority": rng.randint(1, 5),
            "priorityScore": i,
            "group": oid(),
            "completedAt": rng.choice([None, 1_705_000_000]),
            "stepType": "steps",
            "steps": [{"_id": oid(), "name": f"step {n}", "checked": rng.random() < 0.5}
                      for n in range(rng.randint(1, 3))],
            "customer": rng.choice([None, {"_id": oid(), "name": "Globex"}]),
            "createdAt": 1_690_000_000 + i,
            "files": [{"_id": oid()} for _ in range(rng.randint(0, 2))],
            "tags": rng.sample(["infra", "launch", "bug", "ux", "q3"], rng.randint(0, 3)),
            "subtasks": [],
            "parent": None,
            "private": False,
            "customFields": {"Size": rng.choice(["S", "M", "L"])},
        }  # fmt: skip
        for optional in ("desc", "steps", "customFields", "deadline", "customer"):
            if rng.random() < 0.2:
                task.pop(optional, None)
                if optional == "steps":
                    task["stepType"] = "none"
        if rng.random() < 0.3:
            task["estimatedTime"] = rng.randint(600, 36_000)
        tasks.append(task)
    return tasks


def main() -> None:
    """Time both decodings ROUNDS times, interleaved, and print the median ratio."""
    body = json.dumps(realistic_tasks(COUNT)).encode()
    assert 0.8 <= len(body) / COUNT / 1024 <= 1.3, "tasks should be about 1 KB each"
    structure(json.loads(body), list[Task])  # warm up: hooks are built once, here
    ratios = []
    gc.disable()
    try:
        for _ in range(ROUNDS):
            start = time.perf_counter()
            json.loads(body)
            baseline = time.perf_counter() - start
            start = time.perf_counter()
            tasks = structure(json.loads(body), list[Task])
            ratios.append((time.perf_counter() - start) / baseline)
            gc.collect()
    finally:
        gc.enable()
    assert len(tasks) == COUNT
    print(f"decode tasks={COUNT} ratio={statistics.median(ratios):.1f}")


if __name__ == "__main__":
    main()
