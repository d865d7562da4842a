"""Contract tests generated from the areas' endpoint tables: HEAD, 405 and wrong body types.

Every row of every registered area's table (``ENDPOINTS``) gets these tests, so a new
area or endpoint is covered as soon as it is declared.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from cubicl_async.testing import Emulator
from cubicl_async.testing._endpoint import Endpoint
from cubicl_async.testing._fields import JSON_TYPES, Body, Field
from cubicl_async.testing._http import ApiError

from .conftest import Connect

#: Every endpoint of every registered area.
ENDPOINTS: list[Endpoint[Any]] = [row for area in Emulator().areas for row in area.endpoints]
#: Every path, with its methods.
PATHS: dict[str, set[str]] = {}
for _row in ENDPOINTS:
    PATHS.setdefault(_row.path, set()).add(_row.method)

#: A value of each JSON type.
SAMPLES: dict[str, Any] = {
    "null": None,
    "boolean": True,
    "integer": 7,
    "number": 1.5,
    "string": "x",
    "array": [],
    "object": {},
}


def url(path: str) -> str:
    """Return an endpoint path, relative to the base URL, with ``x`` for every parameter."""
    return re.sub(r"\{\w+\}", "x", path).lstrip("/")


def valid(field: Field) -> Any:
    """Return a sample value the field accepts (for the required fields of a body)."""
    if field.example is not None:
        return field.example
    for sample in SAMPLES.values():
        try:
            field.parse("sample", sample)
        except ApiError:
            continue
        return sample
    raise AssertionError(f"no sample fits {field}")  # pragma: no cover (a table is wrong)


def wrong_types(body: Body, key: str) -> list[str]:
    """Return the JSON types the field does not take (null counts as not sent if so declared)."""
    skipped = body.fields[key].types
    if body.null_is_absent and key not in body.required:
        skipped |= {"null"}
    return [name for name in JSON_TYPES if name not in skipped]


@pytest.fixture
def admin(connect: Connect, emu: Emulator) -> httpx.AsyncClient:
    """Return a raw client of an organization admin (who may do anything)."""
    return connect(user=emu.add_user("Ada", "Admin", org_admin=True))


@pytest.mark.parametrize("path", list(PATHS))
async def test_every_path_answers_405_listing_its_methods(
    admin: httpx.AsyncClient, path: str
) -> None:
    """A method a path does not have gets 405, with all its methods (HEAD with GET) in Allow."""
    methods = PATHS[path] | ({"HEAD"} if "GET" in PATHS[path] else set())
    response = await admin.request("PATCH" if "PATCH" not in methods else "TRACE", url(path))
    assert response.status_code == 405
    assert response.headers["Allow"] == ", ".join(sorted(methods))


@pytest.mark.parametrize("path", [row.path for row in ENDPOINTS if row.method == "GET"])
async def test_every_get_answers_head(admin: httpx.AsyncClient, path: str) -> None:
    """HEAD answers as GET does (status and headers but the request id), without a body."""
    got, head = await admin.get(url(path)), await admin.head(url(path))
    assert (head.status_code, head.content) == (got.status_code, b"")
    del got.headers["X-Request-Id"], head.headers["X-Request-Id"]
    assert head.headers == got.headers


@pytest.mark.parametrize(
    ("row", "key"),
    [(row, key) for row in ENDPOINTS if row.body is not None for key in row.body.fields],
    ids=lambda value: f"{value.method} {value.path}" if isinstance(value, Endpoint) else value,
)
async def test_a_wrong_json_type_gets_400_naming_the_field(
    admin: httpx.AsyncClient, row: Endpoint[Any], key: str
) -> None:
    """Each body field sent with a value of a type it does not take gets 400 naming it."""
    assert row.body is not None
    required = {name: valid(row.body.fields[name]) for name in row.body.required}
    for name in wrong_types(row.body, key):
        body = required | {key: SAMPLES[name]}
        response = await admin.request(row.method, url(row.path), json=body)
        assert response.status_code == 400, (name, response.text)
        assert response.json() == {"message": f"{key} must be {row.body.fields[key].expected}"}
