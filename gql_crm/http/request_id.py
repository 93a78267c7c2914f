"""Each request's ID: the caller's X-Request-ID or a new one, echoed in the answer, and on
every log line written while the request is handled (its tasks included)."""

import logging
import uuid
from contextvars import ContextVar

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
# Outside a request (start-up, recovery of imports): no ID.
NO_REQUEST = "-"

current_request_id: ContextVar[str] = ContextVar("request_id", default=NO_REQUEST)


def request_id_of(connection: HTTPConnection) -> str:
    """The ID RequestIDMiddleware gave the request."""
    request_id: str = connection.scope["state"]["request_id"]
    return request_id


class RequestIDMiddleware:
    """Outermost: the ID is known to every layer below, and answers carry it whoever
    answers (the view, a middleware refusing the request, Starlette's 404)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = Headers(scope=scope).get(REQUEST_ID_HEADER) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        token = current_request_id.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            current_request_id.reset(token)


class RequestIDFilter(logging.Filter):
    """For log handlers: gives each record the `request_id` its format can show."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True
