"""The Users area: members, tokens and organization admins (cubicl-api.md §3).

Its decisions where the API docs are silent: ``docs/emulator.md``, section Users.
"""

from ._endpoints import ENDPOINTS, summary
from ._records import User, Users

__all__ = ["ENDPOINTS", "User", "Users", "summary"]
