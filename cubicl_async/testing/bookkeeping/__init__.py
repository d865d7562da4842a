"""The Bookkeeping area: clients' current accounts, entries, payments, activities (§9).

Its decisions where the API docs are silent: ``docs/emulator.md``, section Bookkeeping.
"""

from ._endpoints import ENDPOINTS
from ._money import CURRENCIES
from ._records import AmountError, Bookkeeping

__all__ = ["CURRENCIES", "ENDPOINTS", "AmountError", "Bookkeeping"]
