"""The Projects area: the project DAG, permission levels and task states (cubicl-api.md §4).

Its decisions where the API docs are silent: ``docs/emulator.md``, sections Projects and
Permissions.
"""

from ._endpoints import ENDPOINTS
from ._records import DEFAULT_PERMS, DEFAULT_STATES, SCALES, Projects

__all__ = ["DEFAULT_PERMS", "DEFAULT_STATES", "ENDPOINTS", "SCALES", "Projects"]
