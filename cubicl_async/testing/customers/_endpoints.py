"""The Customers area's endpoints (cubicl-api.md §7): search, read, create, update, delete.

Any current user may read and write clients. Every handler checks, in this order: the
request's shape (400), the client it names (404), then whether the body fits the data
(422: a portal manager who is not a current user).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import _paging as paging
from .._endpoint import Call, Endpoint, bool_param, int_param
from .._http import ApiError
from . import _fields as bodies
from ._records import Customers, email_matches, name_matches, render

#: The page size when ``limit`` is not given (cubicl-api.md §7.1), and the largest allowed.
DEFAULT_LIMIT = 10
MAX_LIMIT = 200


def _client(customers: Customers, call: Call) -> str:
    """Return the id of the path's client (404 if unknown)."""
    client_id = call.params["customer_id"]
    if not customers.has(client_id):
        raise ApiError(404, f"Client {client_id!r} not found")
    return client_id


def _fit(customers: Customers, fields: Mapping[str, Any]) -> None:
    """Answer 422 unless every portal manager is a current user of the organization."""
    for user_id in fields.get("portalCustomerManagerIds") or ():
        if not customers.users.is_current(user_id):
            raise ApiError(422, f"Portal manager {user_id!r} is not a user of the organization")


def search(customers: Customers, call: Call) -> list[dict[str, Any]]:
    """``GET /crm/customers``: the matching clients, one page, partial unless asked.

    The page resumes where the listing's previous page ended, when nothing changed
    since (see docs/emulator.md, Paging).
    """
    full = bool_param(call.query, "includeAllFields")
    skip = int_param(call.query, "skip", 0, 0)
    limit = int_param(call.query, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    name, email = call.query.get("name") or None, call.query.get("email") or None
    page = paging.page(
        customers.since,
        lambda client: (
            (name is None or name_matches(client["name"], name))
            and (email is None or email_matches(client, email))
        ),
        customers.resume,
        (name, email),
        skip,
        limit,
    )
    if full:
        return [render(client) for client in page]
    return [customers.get(client["_id"]) for client in page]


def get(customers: Customers, call: Call) -> dict[str, Any]:
    """``GET /crm/customers/:id``: the whole client."""
    return customers.record(_client(customers, call))


def create(customers: Customers, call: Call) -> dict[str, Any]:
    """``POST /crm/customers``: the new client."""
    _fit(customers, call.fields)
    fields = dict(call.fields)
    name = fields.pop("name")
    client = customers.record(customers.add(name, **fields))
    customers.events.publish("client-created", client=client)
    return client


def update(customers: Customers, call: Call) -> dict[str, Any]:
    """``PUT /crm/customers/:id``: the client, with the fields sent changed."""
    client_id = _client(customers, call)
    _fit(customers, call.fields)
    customers.change(client_id, call.fields)
    return customers.record(client_id)


def delete(customers: Customers, call: Call) -> None:
    """``DELETE /crm/customers/:id``: the client; its tasks lose it, its entries go."""
    client = customers.record(_client(customers, call))
    customers.delete(client["_id"])
    customers.events.publish("client-deleted", client=client)


ENDPOINTS = [
    Endpoint("GET", "/crm/customers", search),
    Endpoint("POST", "/crm/customers", create, bodies.CREATE),
    Endpoint("GET", "/crm/customers/{customer_id}", get),
    Endpoint("PUT", "/crm/customers/{customer_id}", update, bodies.UPDATE),
    Endpoint("DELETE", "/crm/customers/{customer_id}", delete, status=204),
]
