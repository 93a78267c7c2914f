"""Cross-origin access for browser apps on other origins (Starlette's CORS middleware)."""

from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from gql_crm.config import Settings
from gql_crm.http.errors import error_response
from gql_crm.services.messages import pick_language

# What a GraphQL client sends: the token, JSON, the CSRF headers Apollo and others add
# before multipart uploads, and the tracing headers a frontend may set.
ALLOWED_HEADERS = (
    "authorization",
    "content-type",
    "accept",
    "accept-language",
    "graphql-require-preflight",
    "apollo-require-preflight",
    "x-apollo-operation-name",
    "x-request-id",
)


class GraphQLCORSMiddleware(CORSMiddleware):
    """Starlette's CORS middleware, whose refused preflights answer GraphQL JSON."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        refused = error_response(
            "CORS_PREFLIGHT_REFUSED",
            status_code=response.status_code,
            language=pick_language(request_headers.get("accept-language")),
        )
        for name, value in response.headers.items():
            if name.lower().startswith("access-control-") or name.lower() == "vary":
                refused.headers[name] = value
        return refused


def cors_middleware(settings: Settings) -> list[Middleware]:
    """None without configured origins: same-origin pages and non-browser clients need none."""
    if not settings.cors_origins:
        return []
    return [
        Middleware(
            GraphQLCORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=list(ALLOWED_HEADERS),
            # Tokens travel in the Authorization header, never in cookies.
            allow_credentials=False,
            expose_headers=["X-Request-ID"],
            max_age=settings.cors_max_age,
        )
    ]
