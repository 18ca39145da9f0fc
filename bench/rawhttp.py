"""A minimal HTTP/1.1 keep-alive client for the load phase.

httpx costs about a millisecond of CPU per request, which on this 2-core machine made
the load generator, not the server, the bottleneck. This client does only what the
benchmark needs: POST with a fixed set of headers over persistent connections, and
responses with Content-Length or chunked bodies.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class RawResponse:
    status_code: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


class RawPool:
    """`size` persistent connections to one server; `post` borrows one per request."""

    def __init__(self, base_url: str, headers: dict[str, str], size: int) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.fixed = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.fixed += f"Host: {self.host}:{self.port}\r\nConnection: keep-alive\r\n"
        self.size = size
        self._idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue()
        )
        self._opened = 0

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._idle.empty() and self._opened < self.size:
            self._opened += 1
            return await asyncio.open_connection(self.host, self.port)
        return await self._idle.get()

    async def post(self, path: str, content: bytes) -> RawResponse:
        reader, writer = await self._connection()
        try:
            head = f"POST {path} HTTP/1.1\r\n{self.fixed}Content-Length: {len(content)}\r\n\r\n"
            writer.write(head.encode() + content)
            response = await _read_response(reader)
        except BaseException:
            writer.close()
            self._opened -= 1
            raise
        self._idle.put_nowait((reader, writer))
        return response

    async def close(self) -> None:
        while not self._idle.empty():
            _, writer = self._idle.get_nowait()
            writer.close()


async def _read_response(reader: asyncio.StreamReader) -> RawResponse:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head[:-4].split(b"\r\n")
    status = int(status_line.split(b" ", 2)[1])
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    if b"content-length" in headers:
        return RawResponse(status, await reader.readexactly(int(headers[b"content-length"])))
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n"))[:-2].split(b";")[0], 16)
            chunks.append(await reader.readexactly(size + 2))
            if size == 0:
                break
        return RawResponse(status, b"".join(c[:-2] for c in chunks))
    raise ValueError("response without Content-Length or chunked body")
