"""The Customers area: the organization's clients, which tasks embed (cubicl-api.md §7).

Only the records so far: no ``/crm/customers`` endpoint is emulated yet. Its decisions
where the API docs are silent: ``docs/emulator.md``, section Customers.
"""

from ._endpoints import ENDPOINTS
from ._records import Customers

__all__ = ["ENDPOINTS", "Customers"]
