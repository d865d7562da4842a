"""The Customers area: the organization's clients and ``/crm/customers`` (cubicl-api.md §7).

Tasks embed clients; bookkeeping entries belong to one. Its decisions where the API docs
are silent: ``docs/emulator.md``, section Customers.
"""

from ._endpoints import ENDPOINTS
from ._records import Customers

__all__ = ["ENDPOINTS", "Customers"]
