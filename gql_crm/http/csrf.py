"""CSRF protection for file uploads: a multipart request must carry a custom header.

A plain HTML form on another site can post multipart/form-data with the user's cookies or
credentials, but it cannot set a custom header; a script that sets one triggers a CORS
preflight that gql_crm.http.cors refuses for unknown origins (Apollo's convention). JSON
requests need no such header: their content type already forces the preflight.
"""

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from gql_crm.http.errors import RequestRefused, refusal_response

PREFLIGHT_HEADERS = (
    "graphql-require-preflight",
    "apollo-require-preflight",
    "x-apollo-operation-name",
)


class RequirePreflightHeader:
    """ASGI middleware: a multipart HTTP request without one of PREFLIGHT_HEADERS is answered
    400 CSRF_PREFLIGHT_REQUIRED before the app reads its body (uploads go to /graphql; no
    other route takes multipart)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = Headers(scope=scope)
            multipart = headers.get("content-type", "").lower().startswith("multipart/")
            if multipart and not any(name in headers for name in PREFLIGHT_HEADERS):
                await _refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _refusal(scope: Scope, receive: Receive, send: Send) -> None:
    response = refusal_response(Request(scope), RequestRefused("CSRF_PREFLIGHT_REQUIRED"))
    await response(scope, receive, send)
