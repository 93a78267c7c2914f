"""Compressed answers for clients that accept them, except downloads."""

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

# Files, exports and failed-row reports stream as stored (often ZIP-based already: XLSX,
# images, PDFs); compressing them again costs CPU for nothing and breaks Content-Length.
UNCOMPRESSED_PREFIXES = ("/files/", "/exports/", "/imports/failed-rows/")


class CompressionMiddleware:
    def __init__(self, app: ASGIApp, minimum_size: int):
        self.app = app
        # Level 6 (zlib's default) compresses JSON nearly as well as Starlette's 9 for much
        # less CPU per answer.
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size, compresslevel=6)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(UNCOMPRESSED_PREFIXES):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)
