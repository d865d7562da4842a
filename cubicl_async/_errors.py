"""The exception tree of cubicl_async and the table that maps HTTP statuses onto it.

    CubiclError
    ├── ConfigurationError      bad constructor input (no token, bad option)  (also ValueError)
    ├── ClientStateError        used after aclose(), or from another event loop (also RuntimeError)
    ├── DecodeError             a 2xx body that is not JSON or does not fit the records
    ├── PaginationError         a list whose next page brings nothing new (the server loops)
    ├── QueueTimeoutError       the call would wait at the throttle longer than max_queue_wait
    ├── SourceError             an upload's source failed, or gave more or fewer bytes than its size
    ├── ThrottleUnavailableError the shared throttle's store (Redis) stayed unreachable: not sent
    ├── TooManyItemsError       a list longer than max_items, awaited whole  (also ValueError)
    ├── APIConnectionError      the request got no HTTP answer (chained from the httpx error;
    │   │                       request_sent says whether any byte of it can have left)
    │   └── APITimeoutError
    └── APIError                any non-2xx answer
        ├── BadRequestError          400
        ├── AuthenticationError      401
        ├── PermissionDeniedError    403
        │   └── StorageFullError       403 code 204 (total_capacity, total_size)
        ├── NotFoundError            404
        ├── MethodNotAllowedError    405
        ├── TeapotError              418
        ├── InvalidRequestError      422
        ├── RateLimitError           429  (retry_after)
        └── ServerError              5xx

An unknown 4xx is a plain `APIError`. An application `code` in the body that `CODE_ERRORS`
knows decides the class whatever the status (`{code: 4}` is a `PermissionDeniedError`).
Every failure of a call is one of these, whatever httpx or the server does; none ever
holds the token in a message or an attribute.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientStateError",
    "ConfigurationError",
    "CubiclError",
    "DecodeError",
    "InvalidRequestError",
    "MethodNotAllowedError",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "QueueTimeoutError",
    "RateLimitError",
    "ServerError",
    "SourceError",
    "StorageFullError",
    "TeapotError",
    "ThrottleUnavailableError",
    "TooManyItemsError",
]


class CubiclError(Exception):
    """Root of every exception raised by cubicl_async."""

    #: How many retries were made before this error was raised (0 if none).
    retries_taken: int = 0


class ConfigurationError(CubiclError, ValueError):
    """The client was configured with a missing or invalid option."""


class ClientStateError(CubiclError, RuntimeError):
    """The client cannot be used now: it is closed, or bound to another event loop."""


class DecodeError(CubiclError):
    """A successful answer whose body is not JSON or does not fit the expected records."""

    def __init__(
        self, message: str, *, body: bytes, method: str, url: str, request_id: str | None
    ) -> None:
        super().__init__(message)
        #: The raw body as received.
        self.body = body
        #: The HTTP method of the request.
        self.method = method
        #: The URL of the request (it never holds the token).
        self.url = url
        #: The server's request id (`X-Request-Id`), if it sent one.
        self.request_id = request_id


class PaginationError(CubiclError):
    """A list's next page brought no item not already seen: the server ignores the cursor.

    The items yielded before it are all distinct; the rest of the list cannot be read.
    """


class TooManyItemsError(CubiclError, ValueError):
    """A list awaited whole (`to_list()`) holds more than its `max_items`."""


class SourceError(CubiclError):
    """An upload's source could not be read, or gave another number of bytes than its size.

    Raised while the body is sent; the upload did not complete and is never resent.
    """


class QueueTimeoutError(CubiclError):
    """The call would wait at the throttle longer than `max_queue_wait`: it was not queued."""

    def __init__(self, message: str, *, expected_wait: float) -> None:
        super().__init__(message)
        #: Seconds the call would have waited before being sent (the client's estimate).
        self.expected_wait = expected_wait


class ThrottleUnavailableError(CubiclError):
    """The shared throttle could not reach its store (Redis) in time: the call was not sent.

    Chained (`__cause__`) from the last error of the Redis client.
    """


class APIConnectionError(CubiclError):
    """The request got no HTTP answer: connection refused, reset, or dropped mid-answer."""

    def __init__(self, message: str, *, method: str, url: str, request_sent: bool = True) -> None:
        super().__init__(message)
        #: `False` only when no byte of the request can have reached the server (a refused
        #: connection, a connect or pool timeout): then a create certainly did not happen.
        self.request_sent = request_sent
        #: The HTTP method of the request.
        self.method = method
        #: The URL of the request (it never holds the token).
        self.url = url


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, read, write or pool)."""


class APIError(CubiclError):
    """The server answered with a non-2xx status."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: Any,
        method: str,
        url: str,
        request_id: str | None,
    ) -> None:
        super().__init__(message)
        #: The HTTP status code.
        self.status_code = status_code
        #: The decoded JSON body, or the raw text when it is not JSON.
        self.body = body
        #: The application error code (`code` in the body), when the server sent one.
        self.code: int | None = None
        if isinstance(body, dict) and isinstance(body.get("code"), int):
            self.code = body["code"]
        #: The server's message, or the reason phrase when the body has none.
        self.message = message
        #: The HTTP method of the request.
        self.method = method
        #: The URL of the request (it never holds the token).
        self.url = url
        #: The server's request id (`X-Request-Id`), if it sent one.
        self.request_id = request_id

    def __str__(self) -> str:
        code = f" (code {self.code})" if self.code is not None else ""
        return f"{self.status_code}{code} on {self.method} {self.url}: {self.message}"


class BadRequestError(APIError):
    """400: parameters are missing or malformed."""


class AuthenticationError(APIError):
    """401: the token is missing or invalid."""


class PermissionDeniedError(APIError):
    """403: the token's user lacks the permission (also: storage full on upload)."""


class StorageFullError(PermissionDeniedError):
    """403 with code 204: the organization's storage cannot take the upload."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message, **details)
        body = details.get("body")
        numbers = body if isinstance(body, dict) else {}
        #: The organization's storage, in bytes (`None` if the server did not say).
        self.total_capacity: int | None = _number(numbers.get("totalCapacity"))
        #: The bytes already used (`None` if the server did not say).
        self.total_size: int | None = _number(numbers.get("totalSize"))


def _number(value: object) -> int | None:
    return value if type(value) is int else None


class NotFoundError(APIError):
    """404: the resource does not exist."""


class MethodNotAllowedError(APIError):
    """405: wrong HTTP method for the path."""


class TeapotError(APIError):
    """418: the API's joke status ("No Coffee"); never expected in practice."""


class InvalidRequestError(APIError):
    """422: a well-formed request that makes no sense for the current data."""


class RateLimitError(APIError):
    """429: too many requests, and the retries allowed were used up or the wait was too long."""

    #: Seconds the server asked to wait (`Retry-After`), if it said.
    retry_after: float | None = None


class ServerError(APIError):
    """5xx: a failure on the server's side."""


#: The class raised for each documented status; 5xx not listed map to `ServerError`.
STATUS_ERRORS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    418: TeapotError,
    422: InvalidRequestError,
    429: RateLimitError,
}


#: The class raised for each documented application code (`code` in the error body), and
#: the status the emulator answers it with where the API docs do not capture one.
CODE_ERRORS: dict[int, tuple[type[APIError], int]] = {
    2: (BadRequestError, 400),  # webhooks: a task event needs a project (`group`)
    4: (PermissionDeniedError, 403),  # bookkeeping: the caller lacks the rights
    118: (BadRequestError, 400),  # webhooks: the type is not supported
    204: (StorageFullError, 403),  # upload: the storage is full (totalCapacity, totalSize)
    303: (NotFoundError, 404),  # bookkeeping create: the customer does not exist
    1201: (BadRequestError, 400),  # bookkeeping create: the currency is not supported
    1501: (NotFoundError, 404),  # bookkeeping: the entry does not exist
    1504: (InvalidRequestError, 422),  # bookkeeping: an amount out of range for the entry
}


def error_class(status_code: int, code: int | None = None) -> type[APIError]:
    """Return the exception class for a non-2xx status and its application code."""
    if code in CODE_ERRORS:
        return CODE_ERRORS[code][0]
    if status_code >= 500:
        return ServerError
    return STATUS_ERRORS.get(status_code, APIError)
