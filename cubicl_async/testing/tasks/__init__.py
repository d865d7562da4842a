"""The Tasks area: tasks, subtasks, states and activities (cubicl-api.md §5).

Its decisions where the API docs are silent: ``docs/emulator.md``, the sections Tasks.
"""

from ._access import may_view
from ._endpoints import ENDPOINTS
from ._records import TASK_KEYS, Tasks

__all__ = ["ENDPOINTS", "TASK_KEYS", "Tasks", "may_view"]
