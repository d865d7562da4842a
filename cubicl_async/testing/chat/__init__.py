"""The Chat area: personal, project and custom threads and their messages (cubicl-api.md §8).

Its decisions where the API docs are silent: ``docs/emulator.md``, section Chat.
"""

from ._endpoints import ENDPOINTS
from ._records import PAGE_ORDERS, Chat, FileStore

__all__ = ["ENDPOINTS", "PAGE_ORDERS", "Chat", "FileStore"]
