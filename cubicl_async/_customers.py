"""Customers (the API's "clients", `crm/customers`): their records and `client.customers`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar, TypedDict, Unpack

import attrs

from ._convert import Unset
from ._display import Record
from ._pagination import Pager
from ._resource import GetMany, request_fields
from ._wire import path

__all__ = ["Contact", "Customer", "CustomerChanges", "CustomerFields", "Customers"]


@attrs.frozen(kw_only=True)
class Contact:
    """A person at a customer."""

    #: Name.
    name: str | None = None
    #: Position at the customer.
    position: str | None = None
    #: Phone number.
    phone: str | None = None
    #: Email address.
    email: str | None = None


@attrs.frozen(kw_only=True)
class Customer(Record):
    """A customer (a "client" in the API).

    A customer from `customers.list()` without `full=True` is partial: the API sends only
    its `id` and `name`, so every other field holds its default, which says nothing of
    the real value. Such records have `partial == True` (their class is a subclass of
    `Customer`); `customers.get(id)` returns the whole record.
    """

    _card: ClassVar[tuple[str, ...]] = ("email", "phone", "contacts")

    #: Whether only `id` and `name` are known (see the class docstring).
    partial: ClassVar[bool] = False

    #: Customer id.
    id: str
    #: Short name, used in the interface and in searches.
    name: str | None = None
    #: Full (legal) name.
    fullname: str | None = None
    #: Email address.
    email: str | None = None
    #: Phone number.
    phone: str | None = None
    #: People at the customer.
    contacts: tuple[Contact, ...] = ()
    #: Custom field values by custom field id.
    custom_fields: dict[str, str | None] = attrs.field(factory=dict)
    #: Users notified of the activity of the customer's portal users.
    portal_manager_ids: tuple[str, ...] = attrs.field(
        default=(), metadata={"wire": "portalCustomerManagerIds"}
    )
    #: Creation time.
    created_at: datetime | None = None


@attrs.frozen(kw_only=True)
class _PartialCustomer(Customer):
    """A customer listed without `full=True`: only `id` and `name` are known."""

    partial: ClassVar[bool] = True


class CustomerFields(TypedDict, total=False):
    """The optional fields of `Customers.create`; those not given are not sent."""

    fullname: str | Unset
    email: str | Unset
    phone: str | Unset
    contacts: Sequence[Contact] | Unset
    custom_fields: dict[str, str | None] | Unset
    portal_manager_ids: Sequence[str] | Unset


class CustomerChanges(TypedDict, total=False):
    """The fields `Customers.update` can change: `UNSET` or absent leaves one, `None` clears it."""

    fullname: str | Unset | None
    email: str | Unset | None
    phone: str | Unset | None
    contacts: Sequence[Contact] | Unset | None
    custom_fields: dict[str, str | None] | Unset | None
    portal_manager_ids: Sequence[str] | Unset | None


_WIRE_ARGS = {"portal_manager_ids": "portalCustomerManagerIds"}


def _name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    return name


class Customers(GetMany[Customer]):
    """`client.customers`: search, read, create, update and delete customers."""

    _id_name = "customer_id"

    def list(
        self,
        *,
        name: str | None = None,
        email: str | None = None,
        full: bool = False,
        page_size: int = 100,
        max_items: int | None = None,
    ) -> Pager[Customer]:
        """Search customers; return a `Pager` that fetches `page_size` customers a request.

        `name` matches customers some word of whose name starts with it, `email` their
        email or one of their contacts' (both case-insensitive). Without `full=True`
        the records are partial (`Customer.partial`): only `id` and `name`. The API's
        own default page is 10, so the SDK always sends `limit`.
        """
        params = {"name": name, "email": email, "includeAllFields": bool(full)}
        kind = Customer if full else _PartialCustomer
        return self._paged(
            "crm/customers", kind, params=params, page_size=page_size, max_items=max_items
        )

    async def get(self, customer_id: str) -> Customer:
        """Return one customer with every field."""
        return await self._get(path("crm/customers/{customer_id}", customer_id=customer_id),
                               into=Customer)  # fmt: skip

    async def create(self, *, name: str, **fields: Unpack[CustomerFields]) -> Customer:
        """Create a customer named `name` (the other fields: `CustomerFields`)."""
        body = request_fields(CustomerFields, fields, renames=_WIRE_ARGS, name=_name(name))
        return await self._post("crm/customers", body=body, into=Customer)

    async def update(
        self, customer_id: str, *, name: str, **changes: Unpack[CustomerChanges]
    ) -> Customer:
        """Change a customer: `name` (always sent, as the API requires) and `CustomerChanges`.

        Fields left out (or `UNSET`) are not sent and stay as they are; `None` clears one.
        `contacts`, when sent, replaces the whole list.
        """
        body = request_fields(CustomerChanges, changes, renames=_WIRE_ARGS, name=_name(name))
        return await self._put(
            path("crm/customers/{customer_id}", customer_id=customer_id), body=body, into=Customer
        )

    async def delete(self, customer_id: str) -> None:
        """Delete a customer (see the emulator's document for what happens to its tasks)."""
        await self._delete(path("crm/customers/{customer_id}", customer_id=customer_id))
