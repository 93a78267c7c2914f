"""The HTTP protocol `gql-crm serve` runs: uvicorn's httptools protocol with a deadline for a
request's line and headers, and a cap on their size.

uvicorn has neither: its keep-alive timeout covers the idle time between requests only, so a
client that connects and sends half a request line (or a byte a second) holds its connection
for ever, and httptools buffers headers without bound. Bodies are timed by the ASGI
middleware (gql_crm.http.limits), where the app's reads happen.
"""

import asyncio
from functools import cache
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from gql_crm.config import Settings


class HeadersTooLarge(Exception):
    pass


@cache
def _settings() -> Settings:
    # uvicorn builds protocols itself (in every worker): they read the environment, as the
    # app's factory does.
    return Settings.from_env()


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = _settings()
        self.header_timeout = settings.header_timeout
        self.max_header_bytes = settings.max_header_bytes
        self.header_bytes = 0
        self.header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_deadline()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.header_bytes = 0
        self._start_header_deadline()

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        self._count_header_bytes(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        self._count_header_bytes(len(name) + len(value))

    def on_headers_complete(self) -> None:
        self._cancel_header_deadline()
        super().on_headers_complete()

    def _start_header_deadline(self) -> None:
        if self.header_deadline is None:
            self.header_deadline = self.loop.call_later(self.header_timeout, self._headers_late)

    def _cancel_header_deadline(self) -> None:
        if self.header_deadline is not None:
            self.header_deadline.cancel()
            self.header_deadline = None

    def _headers_late(self) -> None:
        self.header_deadline = None
        self.logger.debug("closing a connection whose request headers did not arrive in time")
        self.transport.close()

    def _count_header_bytes(self, size: int) -> None:
        self.header_bytes += size
        if self.header_bytes > self.max_header_bytes:
            # Raised inside the parser's callback, this stops the parsing; uvicorn then
            # answers through send_400_response.
            raise HeadersTooLarge

    def send_400_response(self, msg: str) -> None:
        if self.header_bytes <= self.max_header_bytes:
            super().send_400_response(msg)
            return
        self.transport.write(STATUS_LINE[431] + b"content-length: 0\r\nconnection: close\r\n\r\n")
        self.transport.close()
