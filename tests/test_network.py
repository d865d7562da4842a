"""The pool of the client we build, on real sockets: TLS, servers that hang up, big bodies."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import trustme

from cubicl_async import (
    APIConnectionError,
    APITimeoutError,
    AsyncCubicl,
    RetryPolicy,
)
from cubicl_async.testing import Demo, Emulator

NO_RETRY = RetryPolicy(max_retries=0)
ME = b'{"_id": "u1", "name": "Ada"}'
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.asynccontextmanager
async def raw_server(handler: Handler, tls: ssl.SSLContext | None = None) -> AsyncIterator[int]:
    """Serve `handler` on a loopback port (with TLS if given); yield the port.

    On exit, the handlers still running are cancelled and their connections closed.
    """
    handlers: set[asyncio.Task[None]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.add(asyncio.current_task())  # type: ignore[arg-type]
        try:
            await handler(reader, writer)
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=tls)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        await server.wait_closed()


async def read_request(reader: asyncio.StreamReader) -> bool:
    """Read one request's head (these are GETs); tell whether one came."""
    try:
        return (await reader.readuntil(b"\r\n\r\n")) != b""
    except (asyncio.IncompleteReadError, ConnectionError):
        return False


def answer(body: bytes) -> bytes:
    """Return an HTTP/1.1 200 with `body` (keep-alive, as far as it says)."""
    head = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(body)}"
    return head.encode() + b"\r\n\r\n" + body


def client(port: int, scheme: str = "http", **options: object) -> AsyncCubicl:
    return AsyncCubicl("t0ken", base_url=f"{scheme}://localhost:{port}/api/v1/",
                       rate_limit=None, retry=NO_RETRY, **options)  # type: ignore[arg-type]  # fmt: skip


async def test_tls_round_trip_and_an_unknown_authority(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over TLS the call is answered; with a CA it does not trust, it fails unsent."""
    authority = trustme.CA()
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost").configure_cert(tls)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await read_request(reader):
            writer.write(answer(ME))
            await writer.drain()

    async with raw_server(serve, tls) as port:
        async with client(port, "https") as untrusting:
            with pytest.raises(APIConnectionError) as caught:
                await untrusting.users.me()
        assert caught.value.request_sent is False
        authority.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
        async with client(port, "https") as trusting:
            assert [(await trusting.users.me()).id for _ in range(3)] == ["u1"] * 3


async def test_a_server_that_hangs_up_after_each_answer_costs_no_failed_call() -> None:
    """An idle pooled connection the server closed is seen as such: a new one is opened."""
    connections = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        if await read_request(reader):
            writer.write(answer(ME))  # and hangs up, without saying "connection: close"
            await writer.drain()

    async with raw_server(serve) as port, client(port) as api:
        for _ in range(3):
            assert (await api.users.me()).id == "u1"
            await asyncio.sleep(0.05)  # the hang-up reaches the client while it is idle
    assert connections == 3


async def test_an_answer_cut_short_and_one_that_never_comes() -> None:
    """A body cut mid-way is an APIConnectionError; silence past the timeout an APITimeoutError."""

    async def cut(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(answer(ME)[:-5])
        await writer.drain()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await reader.read()  # until the client gives up and hangs up

    async with raw_server(cut) as port, client(port) as api:
        with pytest.raises(APIConnectionError) as caught:
            await api.users.me()
        assert caught.value.request_sent is True
    async with raw_server(silent) as port, client(port, timeout=0.2) as api:
        with pytest.raises(APITimeoutError):
            await api.users.me()


async def test_nobody_listening_fails_unsent() -> None:
    """A refused connection is an APIConnectionError with request_sent False."""
    async with raw_server(lambda r, w: asyncio.sleep(0)) as port:
        pass  # the port is free again
    async with client(port) as api:
        with pytest.raises(APIConnectionError) as caught:
            await api.users.me()
    assert caught.value.request_sent is False


async def test_big_bodies_both_ways_with_a_slow_reader(
    cubicl_server_url: str, emu: Emulator, demo: Demo, tmp_path: Path
) -> None:
    """8 MiB up and down over loopback, read slowly: every byte arrives, in order."""
    payload = bytes(range(256)) * (8 * 4096)
    async with AsyncCubicl("demo-token", base_url=cubicl_server_url, rate_limit=None) as api:
        uploaded = await api.files.upload(payload, filename="big.bin")
        assert emu.files.content(uploaded.id) == payload
        received = bytearray()
        async with api.files.stream(uploaded.id) as chunks:
            async for chunk in chunks:
                received += chunk
                await asyncio.sleep(0.01)  # the socket fills meanwhile: reading pauses
    assert received == payload


async def test_a_reset_a_handshake_never_made_and_an_upload_never_read() -> None:
    """A reset mid-answer, a TLS handshake the server never makes, a body it stops reading."""

    async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(answer(ME)[:-5])
        await writer.drain()
        linger = struct.pack("ii", 1, 0)  # close with a RST, not a FIN
        writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        writer.transport.abort()

    async def deaf(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)  # the head, then nothing is read any more
        await asyncio.Event().wait()

    async with raw_server(reset) as port, client(port) as api:
        with pytest.raises(APIConnectionError) as caught:
            await api.users.me()
        assert caught.value.request_sent is True
    async with raw_server(deaf) as port:
        async with client(port, "https", timeout=0.2) as api:
            with pytest.raises(APITimeoutError) as timed_out:
                await api.users.me()
        assert timed_out.value.request_sent is False  # no byte of it left
        async with client(port, timeout=0.3) as api:
            with pytest.raises(APITimeoutError) as stuck:
                await api.files.upload(b"x" * (64 << 20), filename="big.bin")
        assert stuck.value.request_sent is True


async def test_a_proxy_in_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """With HTTP_PROXY set, requests go through httpx's proxy mount, as httpx would send them."""
    heads: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        heads.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(answer(ME))
        await writer.drain()

    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    async with raw_server(proxy) as port:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
        async with client(1) as api:  # nothing listens on port 1: only the proxy answers
            assert (await api.users.me()).id == "u1"
    assert heads[0].startswith(b"GET http://localhost:1/api/v1/app/me HTTP/1.1")
