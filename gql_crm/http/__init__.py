"""The HTTP layer around the GraphQL view: CORS, security headers, compression, request
limits, the uploads' CSRF guard, the download routes, GraphiQL's offline assets, persisted
queries and GraphQL-shaped HTTP errors."""

from starlette.middleware import Middleware

from gql_crm.config import Settings
from gql_crm.http.compression import CompressionMiddleware
from gql_crm.http.cors import cors_middleware
from gql_crm.http.headers import SecurityHeadersMiddleware


def frontend_middleware(settings: Settings) -> list[Middleware]:
    """Outermost first: security headers reach CORS refusals too, and CORS headers reach
    compressed answers."""
    return [
        Middleware(SecurityHeadersMiddleware),
        *cors_middleware(settings),
        Middleware(CompressionMiddleware, minimum_size=settings.compress_minimum_size),
    ]
