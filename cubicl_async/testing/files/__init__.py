"""The Files area: uploads, download links and the Files pages of projects and clients (§6).

Its decisions where the API docs are silent: ``docs/emulator.md``, the sections Files.
"""

from ._endpoints import ENDPOINTS
from ._records import Files

__all__ = ["ENDPOINTS", "Files"]
