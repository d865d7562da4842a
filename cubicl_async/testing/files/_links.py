"""Download links: signed with a secret of the emulator, valid five minutes on its clock."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from urllib.parse import quote, urlencode

from starlette.datastructures import URL

from .._http import PREFIX, ApiError

#: How long a link serves the file after it is issued, in seconds.
LIFETIME = 300


class Links:
    """Issues and checks the links of ``GET /files/:id/url``.

    A link is ``<scheme>://<host>/api/v1/files/<id>/content?expires=<unix>&signature=<hex>``:
    the signature is the HMAC-SHA256, under a random secret of this object, of the file id
    and the expiry (whole Unix seconds: the issue time plus `LIFETIME`).
    """

    def __init__(self, now: Callable[[], float]) -> None:
        self._secret = secrets.token_bytes(32)
        self._now = now

    def _sign(self, file_id: str, expires: str) -> str:
        message = f"{file_id}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def issue(self, file_id: str, request_url: URL, host: str | None) -> str:
        """Return a new link to a file, on ``host`` (None: the host of ``request_url``)."""
        expires = str(int(self._now()) + LIFETIME)
        query = urlencode({"expires": expires, "signature": self._sign(file_id, expires)})
        netloc = request_url.netloc if host is None else host
        path = f"{PREFIX}/files/{quote(file_id, safe='')}/content"
        return f"{request_url.scheme}://{netloc}{path}?{query}"

    def check(self, file_id: str, query: Mapping[str, str]) -> None:
        """Answer 403 unless the query signs this file, then 410 once the link has expired."""
        expires, signature = query.get("expires", ""), query.get("signature", "")
        if not hmac.compare_digest(self._sign(file_id, expires).encode(), signature.encode()):
            raise ApiError(403, "Invalid link signature")
        if self._now() > int(expires):
            raise ApiError(410, "link expired")
