"""What a request may cost before the app has read it: the caller is known from the headers,
and its body is capped and timed while it streams in, whatever its framing.

An ASGI middleware rather than a check in the GraphQL view: the view reads a body whole
(JSON) or spools it (multipart) before anything else runs, so the limits must sit between
the server and the view's `receive`.
"""

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gql_crm.config import Settings
from gql_crm.http.errors import response_media_type, unexpected_error
from gql_crm.services.auth import Actor, authenticate
from gql_crm.services.messages import message, pick_language

logger = logging.getLogger("gql_crm.http")

# Where the app finds the caller the middleware authenticated (None: no valid token).
ACTOR_SCOPE_KEY = "gql_crm.actor"

# Room for the operations and map parts beside the file in a multipart request.
MULTIPART_OVERHEAD_BYTES = 1024 * 1024


def bearer_token(headers: Mapping[str, object]) -> str | None:
    """The token of an `authorization: Bearer <token>` entry: request headers, or a
    websocket's connection_init payload with lower-cased keys."""
    scheme, _, token = str(headers.get("authorization", "")).partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def has_body(headers: Headers) -> bool:
    length = headers.get("content-length")
    return "transfer-encoding" in headers or bool(length and length != "0")


class Refusal(Exception):
    """An answer given instead of the app's: an HTTP status, a code, a catalog message."""

    def __init__(self, status: int, code: str, text: str | None = None, **params: Any) -> None:
        self.status, self.code, self.text, self.params = status, code, text or code, params


class _Body:
    """The request's `receive`, cut off past `limit` bytes or past its deadline.

    The deadline follows Apache's mod_reqtimeout: `timeout` seconds, one more for every
    `min_rate` bytes received, so a large upload on a slow line gets through and a body sent
    at a byte a second does not hold the connection."""

    def __init__(
        self, receive: Receive, limit: int, too_large: Refusal, timeout: float, min_rate: int
    ) -> None:
        self._receive = receive
        self.limit = limit
        self.too_large = too_large
        self.timeout = timeout
        self.min_rate = min_rate
        self.received = 0
        self.complete = False
        self.client_gone = False
        self.refused: Refusal | None = None
        self.started = time.monotonic()

    async def receive(self) -> Message:
        if self.complete:
            return await self._receive()
        deadline = self.started + self.timeout + self.received / self.min_rate
        try:
            message = await asyncio.wait_for(self._receive(), deadline - time.monotonic())
        except TimeoutError:
            raise Refusal(408, "REQUEST_TIMEOUT") from None
        if message["type"] == "http.disconnect":
            self.client_gone = True
            return message
        self.received += len(message.get("body", b""))
        if self.received > self.limit:
            raise self.too_large
        self.complete = not message.get("more_body", False)
        return message


class RequestLimits:
    """Authenticates from the headers, then caps the body: a few KB without a valid token
    (enough for GraphiQL's introspection), `max_body_bytes` for JSON, the upload limit for
    multipart; and drops a body that arrives too slowly. A refused request answers a
    GraphQL-shaped JSON error and the connection is closed; the app sees a disconnect."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if has_body(headers):
            try:
                scope[ACTOR_SCOPE_KEY] = await authenticate(bearer_token(headers))
            except Exception as exc:
                await unexpected_error(Request(scope), exc)(scope, receive, send)
                return
        limit, too_large = self._limit(headers, scope.get(ACTOR_SCOPE_KEY))
        length = headers.get("content-length")
        if length and length.isdigit() and int(length) > limit:
            await _answer(scope, receive, send, too_large)
            return

        body = _Body(
            receive, limit, too_large, self.settings.body_timeout, self.settings.body_min_rate
        )
        response_started = False

        async def guarded_receive() -> Message:
            try:
                return await body.receive()
            except Refusal as refusal:
                body.refused, body.client_gone = refusal, True
                if not response_started:
                    await _answer(scope, receive, send, refusal)
                return {"type": "http.disconnect"}

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if body.refused is None:  # else the refusal was the answer: the app's is dropped
                response_started = True
                await send(message)

        try:
            await self.app(scope, guarded_receive, guarded_send)
        except Exception as exc:
            if not body.client_gone:
                raise
            # The app failed reading a body that will never come: one line, no traceback.
            logger.warning(
                "%s %s: %s after %d bytes (%s)",
                scope["method"],
                scope["path"],
                f"refused {body.refused.code}" if body.refused else "aborted by the client",
                body.received,
                type(exc).__name__,
            )

    def _limit(self, headers: Headers, actor: Actor | None) -> tuple[int, Refusal]:
        settings = self.settings
        if actor is None:
            limit = settings.max_anonymous_body_bytes
            return limit, Refusal(
                413, "REQUEST_TOO_LARGE", "ANONYMOUS_REQUEST_TOO_LARGE", max_bytes=limit
            )
        if headers.get("content-type", "").lower().startswith("multipart/"):
            # The upload services check the exact file size again while streaming.
            return settings.max_upload_bytes + MULTIPART_OVERHEAD_BYTES, Refusal(
                413, "FILE_TOO_LARGE", max_bytes=settings.max_upload_bytes
            )
        limit = settings.max_body_bytes
        return limit, Refusal(413, "REQUEST_TOO_LARGE", max_bytes=limit)


async def _answer(scope: Scope, receive: Receive, send: Send, refusal: Refusal) -> None:
    headers = Headers(scope=scope)
    language = pick_language(headers.get("accept-language"))
    response = JSONResponse(
        {
            "errors": [
                {
                    "message": message(refusal.text, language, **refusal.params),
                    "extensions": {"code": refusal.code},
                }
            ]
        },
        status_code=refusal.status,
        media_type=response_media_type(headers.get("accept")),
        # The rest of the body is never read: the connection cannot serve another request.
        headers={"Connection": "close"},
    )
    await response(scope, receive, send)
