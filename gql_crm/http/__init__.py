"""The HTTP layer around the GraphQL view: CORS, security headers, compression, GraphiQL's
offline assets, persisted queries and GraphQL-shaped HTTP errors."""

from starlette.middleware import Middleware

from gql_crm.config import Settings
from gql_crm.http.compression import CompressionMiddleware
from gql_crm.http.cors import cors_middleware


def frontend_middleware(settings: Settings) -> list[Middleware]:
    """Outermost first: CORS headers reach compressed answers."""
    return [
        *cors_middleware(settings),
        Middleware(CompressionMiddleware, minimum_size=settings.gzip_minimum_size),
    ]
