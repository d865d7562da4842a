"""The Customers area's request bodies: the client fields, read the same on create and update.

The parsers return values ready to store: contacts with only their four string keys,
manager ids without repeats. A null clears a field on update (``fullname``, ``email``
and ``phone`` become absent, lists [], ``customFields`` null); on create it counts as
not sent.
"""

from __future__ import annotations

from typing import Any

from .._fields import ARRAY, NAME, NULL, OBJECT, OPTIONAL_TEXT, STRINGS, Body, fail, kind

#: The keys of a contact; others are dropped.
CONTACT_KEYS = ("name", "position", "phone", "email")


def _contacts(key: str, value: list[Any] | None) -> list[dict[str, str]]:
    return [_contact(f"{key}[{index}]", item) for index, item in enumerate(value or [])]


def _contact(key: str, item: Any) -> dict[str, str]:
    """Read a contact: an object whose known keys hold strings (a null one is dropped)."""
    if not isinstance(item, dict) or not all(
        isinstance(item.get(name), str | None) for name in CONTACT_KEYS
    ):
        fail(key, "a Contact {name?, position?, phone?, email?: string}")
    return {name: item[name] for name in CONTACT_KEYS if item.get(name) is not None}


def _strings_or_nulls(value: dict[str, Any]) -> bool:
    return all(isinstance(item, str | None) for item in value.values())


#: An array of contacts; null clears it to [].
CONTACTS = kind("an array of contacts or null", ARRAY, NULL, convert=_contacts)
#: Custom field id -> string or null; a null object clears it to null.
CUSTOM_VALUES = kind(
    "an object of strings or nulls, or null", OBJECT, NULL, valid=_strings_or_nulls
)

#: The fields of a client, in the order they are checked (the body of POST and PUT).
WRITABLE = {
    "name": NAME,
    "fullname": OPTIONAL_TEXT,
    "email": OPTIONAL_TEXT,
    "phone": OPTIONAL_TEXT,
    "contacts": CONTACTS,
    "customFields": CUSTOM_VALUES,
    "portalCustomerManagerIds": STRINGS,
}

#: ``POST /crm/customers``: name required; nulls count as not sent.
CREATE = Body(WRITABLE, required=frozenset({"name"}), null_is_absent=True)
#: ``PUT /crm/customers/:id``: name required again; the others change when sent, null clears.
UPDATE = Body(WRITABLE, required=frozenset({"name"}))
