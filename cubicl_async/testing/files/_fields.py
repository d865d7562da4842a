"""The Files area's request bodies: the node mutations' fields, a `Body` per endpoint.

The owner (``group`` or ``customer``, exactly one) and the arrays' "at least one" are
checked by the handlers after these fields (see `non_empty`), so that a wrong type is
always reported first, naming its field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._fields import ARRAY, NAME, OPTIONAL_ID, Body, fail, kind


def _ids(value: list[Any]) -> bool:
    return all(isinstance(item, str) and item != "" for item in value)


def _unique(key: str, value: list[str]) -> list[str]:
    return list(dict.fromkeys(value))


#: A non-empty array of ids (non-empty strings), repeats dropped.
IDS = kind("a non-empty array of ids (non-empty strings)", ARRAY, valid=_ids, convert=_unique)

#: Where a node goes: its page's owner, and a directory of that page (null or "": the root).
PLACE = {"group": NAME, "customer": NAME, "parent": OPTIONAL_ID}

#: ``POST /file-system-nodes/files``: one file node per uploaded file.
ADD_FILES = Body({**PLACE, "files": IDS}, required=frozenset({"files"}))
#: ``POST /file-system-nodes/directories``.
ADD_DIRECTORY = Body({**PLACE, "name": NAME}, required=frozenset({"name"}))
#: ``DELETE /file-system-nodes``.
DELETE_NODES = Body({"nodes": IDS}, required=frozenset({"nodes"}))


def non_empty(fields: Mapping[str, Any], key: str) -> list[str]:
    """Return a parsed `IDS` field, or answer its 400 if it is empty."""
    ids: list[str] = fields[key]
    if not ids:
        fail(key, IDS.expected)
    return ids
