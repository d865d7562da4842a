"""The Files area's endpoints (cubicl-api.md §6): upload, download links, the Files pages.

The node handlers check, in this order: the request's shape (400; the body was parsed
before the handler runs), the records it names (404), the caller's files level (403),
then whether it fits the data (422 for unknown file ids).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from starlette.responses import Response, StreamingResponse

from .._endpoint import Call, Endpoint
from .._http import ApiError
from ..projects import SCALES
from . import _fields as bodies
from ._records import Files, Owner
from ._upload import upload

#: The rank of each level of the files feature: none 0 ... manage 3.
RANK = {level: rank for rank, level in enumerate(SCALES["files"])}


def _owner(files: Files, values: Mapping[str, Any]) -> Owner:
    """Return the page of exactly one of ``group`` and ``customer`` (400), if it exists (404)."""
    sent = [key for key in ("group", "customer") if key in values]
    if len(sent) != 1:
        raise ApiError(400, "send exactly one of group and customer")
    owner = (sent[0], values[sent[0]])
    if not files.has_owner(owner):
        what = "Project" if owner[0] == "group" else "Client"
        raise ApiError(404, f"{what} {owner[1]!r} not found")
    return owner


def _directory(files: Files, owner: Owner, parent: str | None) -> str | None:
    """Return ``parent`` (None or "": the root) if it is a directory of the page (else 404)."""
    if parent and not files.is_directory(owner, parent):
        raise ApiError(404, f"Directory {parent!r} not found on this Files page")
    return parent or None


def _require(files: Files, user_id: str, owner: Owner, level: str, action: str) -> None:
    """Answer 403 unless the caller has ``level`` on a project's Files page (clients': anyone)."""
    kind, project_id = owner
    if kind == "customer":
        return
    if not files.projects.visible(user_id, project_id):
        raise ApiError(403, f"Not permitted to see project {project_id!r}")
    if RANK[files.projects.level(user_id, project_id, "files")] < RANK[level]:
        raise ApiError(403, f"Not permitted to {action} the Files page of project {project_id!r}")


# Files


def link(files: Files, call: Call) -> str:
    """``GET /files/:id/url``: a link to the content, valid five minutes, as a JSON string."""
    file_id = call.params["file_id"]
    if not files.has(file_id):
        raise ApiError(404, f"File {file_id!r} not found")
    return files.links.issue(file_id, call.request.url, files.link_host)


def content(files: Files, call: Call) -> Response:
    """``GET /files/:id/content`` (a signed link, served without a token): the bytes, streamed."""
    file_id = call.params["file_id"]
    files.links.check(file_id, call.query)
    stored = files.stored(file_id)
    name = stored.record["name"]
    quoted = quote(name, safe=" ")
    disposition = (
        f'attachment; filename="{name}"'
        if quoted == name
        else f"attachment; filename*=utf-8''{quote(name, safe='')}"
    )
    headers = {
        "Content-Length": str(stored.blob.size),
        "Content-Type": stored.content_type,
        "Content-Disposition": disposition,
    }
    if call.request.method == "HEAD":
        return Response(headers=headers)  # the same headers, and the content is not read
    return StreamingResponse(files.blobs.chunks(stored.blob), headers=headers)


# The Files pages


def nodes(files: Files, call: Call) -> list[dict[str, Any]]:
    """``GET /file-system-nodes``: the nodes directly in one directory, directories first."""
    owner = _owner(files, call.query)
    parent = _directory(files, owner, call.query.get("parent"))
    _require(files, call.user_id, owner, "view", "see")
    return files.listing(owner, parent)


def add_files(files: Files, call: Call) -> list[dict[str, Any]]:
    """``POST /file-system-nodes/files``: a new file node per file, in the order sent."""
    file_ids = bodies.non_empty(call.fields, "files")
    owner = _owner(files, call.fields)
    parent = _directory(files, owner, call.fields.get("parent"))
    _require(files, call.user_id, owner, "edit", "add files to")
    for file_id in file_ids:
        if not files.has(file_id):
            raise ApiError(422, f"File {file_id!r} not found")
    node_ids = [files.add_node(owner, parent, file_id=file_id) for file_id in file_ids]
    return [files.node(node_id) for node_id in node_ids]


def add_directory(files: Files, call: Call) -> dict[str, Any]:
    """``POST /file-system-nodes/directories``: the new directory node."""
    owner = _owner(files, call.fields)
    parent = _directory(files, owner, call.fields.get("parent"))
    _require(files, call.user_id, owner, "edit", "add directories to")
    return files.node(files.add_node(owner, parent, name=call.fields["name"]))


def delete_nodes(files: Files, call: Call) -> None:
    """``DELETE /file-system-nodes``: the nodes and the directories' subtrees."""
    node_ids = bodies.non_empty(call.fields, "nodes")
    found = []
    for node_id in node_ids:
        node = files.find_node(node_id)
        if node is None:
            raise ApiError(404, f"Node {node_id!r} not found")
        found.append(node)
    for node in found:
        _require(files, call.user_id, files.owner_of(node), "manage", "delete nodes of")
    files.delete_nodes(node_ids)


ENDPOINTS = [
    Endpoint("POST", "/files/upload", upload),
    Endpoint("GET", "/files/{file_id}/url", link),
    Endpoint("GET", "/files/{file_id}/content", content, token=False),
    Endpoint("GET", "/file-system-nodes", nodes),
    Endpoint("POST", "/file-system-nodes/files", add_files, bodies.ADD_FILES),
    Endpoint("POST", "/file-system-nodes/directories", add_directory, bodies.ADD_DIRECTORY),
    Endpoint("DELETE", "/file-system-nodes", delete_nodes, bodies.DELETE_NODES, status=204),
]
