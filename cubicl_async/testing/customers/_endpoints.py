"""The Customers area's endpoints (cubicl-api.md §7, ``/crm/customers``): none emulated yet."""

from __future__ import annotations

from .._endpoint import Endpoint
from ._records import Customers

ENDPOINTS: list[Endpoint[Customers]] = []
