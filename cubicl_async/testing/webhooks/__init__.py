"""The Webhooks area: the users' webhooks and their deliveries (cubicl-api.md §10).

Its decisions where the API docs are silent: ``docs/emulator.md``, section Webhooks.
"""

from ._delivery import DeliveryRecord
from ._endpoints import ENDPOINTS
from ._records import Webhooks

__all__ = ["ENDPOINTS", "DeliveryRecord", "Webhooks"]
