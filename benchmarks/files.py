"""Benchmark: uploading and downloading a 256 MB file, against raw httpx streaming the same.

The emulator serves on loopback in a child process. The SDK uploads a 256 MB file from
disk (`files.upload(path)`) and downloads it again (`files.download(id, dest)`); raw httpx
streams the same bytes the same way (a multipart body read from the file in 1 MiB chunks,
with its Content-Length; the download link streamed to a file), the two interleaved over
four rounds, who goes first alternating. Prints one line:

    files size_mb=256 upload_peak_mb=... download_peak_mb=... upload/raw=... download/raw=...

The peaks are the growth of this (client) process's peak memory (`ru_maxrss`) during the
SDK's first upload and first download, before raw httpx ran; the ratios are the SDK's
best time over raw httpx's best (disk and page-cache noise make single runs vary).
"""

from __future__ import annotations

import asyncio
import os
import resource
import secrets
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from _child import child_server, serve_demo

from cubicl_async import AsyncCubicl

SIZE = 256 * 2**20
ROUNDS = 4
CHUNK = 2**20
HEADERS = {"Authorization": "Bearer demo-token"}


def peak_mb() -> float:
    """Return this process's peak resident memory so far, in MB (Linux: ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_file(path: Path) -> None:
    """Write SIZE bytes of noise to `path`, a MiB at a time (never held whole)."""
    block = secrets.token_bytes(CHUNK)
    with path.open("wb") as out:
        for _ in range(SIZE // CHUNK):
            out.write(block)


async def raw_upload(http: httpx.AsyncClient, path: Path) -> str:
    """Upload with raw httpx: a hand-made multipart body streamed from the file."""
    boundary = secrets.token_hex(16)
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="raw.bin"'
            "\r\nContent-Type: application/octet-stream\r\n\r\n").encode()  # fmt: skip
    tail = f"\r\n--{boundary}--\r\n".encode()

    async def body() -> AsyncIterator[bytes]:
        yield head
        with path.open("rb") as source:
            while chunk := await asyncio.to_thread(source.read, CHUNK):
                yield chunk
        yield tail

    headers = {**HEADERS, "Content-Type": f"multipart/form-data; boundary={boundary}",
               "Content-Length": str(len(head) + SIZE + len(tail))}  # fmt: skip
    answer = await http.post("files/upload", content=body(), headers=headers)
    answer.raise_for_status()
    return str(answer.json()["_id"])


async def raw_download(http: httpx.AsyncClient, file_id: str, dest: Path) -> None:
    """Download with raw httpx: get the link, stream it to a file."""
    link = (await http.get(f"files/{file_id}/url", headers=HEADERS)).json()
    async with http.stream("GET", link) as answer:
        with dest.open("wb") as out:
            async for chunk in answer.aiter_bytes(CHUNK):
                await asyncio.to_thread(out.write, chunk)


async def timed(coro: object) -> float:
    """Await `coro` and return the seconds it took."""
    start = time.perf_counter()
    await coro  # type: ignore[misc]
    return time.perf_counter() - start


async def main() -> None:
    """Run both rounds and print the line."""
    with tempfile.TemporaryDirectory() as scratch, child_server(__file__) as base_url:
        folder = Path(scratch)
        source = folder / "big.bin"
        make_file(source)
        async with (
            AsyncCubicl("demo-token", base_url=base_url, rate_limit=None) as client,
            httpx.AsyncClient(base_url=base_url, timeout=60) as http,
        ):
            times: dict[str, list[float]] = {"up": [], "raw_up": [], "down": [], "raw_down": []}
            ids: dict[str, str] = {}

            async def upload() -> None:
                ids["sdk"] = (await client.files.upload(source)).id

            async def raw_up() -> None:
                ids["raw"] = await raw_upload(http, source)

            start_peak = peak_mb()
            times["up"].append(await timed(upload()))
            upload_peak = peak_mb() - start_peak
            times["down"].append(await timed(client.files.download(ids["sdk"], folder / "a")))
            download_peak = peak_mb() - start_peak - upload_peak
            assert os.path.getsize(folder / "a") == SIZE  # noqa: ASYNC240 - one stat
            times["raw_up"].append(await timed(raw_up()))
            times["raw_down"].append(await timed(raw_download(http, ids["raw"], folder / "b")))
            for round_ in range(ROUNDS - 1):  # then alternate who goes first
                pairs = [("up", upload), ("raw_up", raw_up)]
                for name, run in pairs[:: -1 if round_ % 2 == 0 else 1]:
                    times[name].append(await timed(run()))
                downloads = [
                    ("down", lambda: client.files.download(ids["sdk"], folder / "a")),
                    ("raw_down", lambda: raw_download(http, ids["raw"], folder / "b")),
                ]
                for name, fetch in downloads[:: -1 if round_ % 2 == 0 else 1]:
                    times[name].append(await timed(fetch()))
    print(
        f"files size_mb={SIZE // 2**20} upload_peak_mb={upload_peak:.0f} "
        f"download_peak_mb={max(download_peak, 0):.0f} "
        f"upload/raw={min(times['up']) / min(times['raw_up']):.2f} "
        f"download/raw={min(times['down']) / min(times['raw_down']):.2f}"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve_demo()
    else:
        asyncio.run(main())
