"""GraphQL-shaped HTTP errors: every refusal is `{"errors": [{message, extensions.code}]}`,
in the caller's language, with the media type the caller asked for (GraphQL over HTTP)."""

import logging
import sqlite3
from typing import Any

import asyncpg
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from tortoise.exceptions import BaseORMException

from gql_crm.http.request_id import request_id_of
from gql_crm.services.messages import DEFAULT_LANGUAGE, message, pick_language, quality_values

logger = logging.getLogger("gql_crm.errors")

JSON = "application/json"
# The GraphQL-over-HTTP media type: with it, status codes tell request errors apart.
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"


class RequestRefused(Exception):
    """A request refused before execution; the view answers it as GraphQL JSON."""

    def __init__(
        self,
        code: str,
        status_code: int = 400,
        *,
        catalog_key: str | None = None,
        headers: dict[str, str] | None = None,
        **params: Any,
    ) -> None:
        super().__init__(code)
        self.code = code
        self.status_code = status_code
        self.catalog_key = catalog_key
        self.headers = headers or {}
        self.params = params


def response_media_type(accept: str | None) -> str:
    """application/graphql-response+json when the caller prefers it to application/json
    (Apollo Client 4 sends `application/graphql-response+json,application/json;q=0.9`)."""
    weights: dict[str, float] = {}
    for media, q in quality_values(accept):
        weights[media] = max(q, weights.get(media, 0.0))
    preferred = weights.get(GRAPHQL_RESPONSE_JSON, 0.0)
    return GRAPHQL_RESPONSE_JSON if preferred > 0 and preferred >= weights.get(JSON, 0.0) else JSON


def graphql_error(
    code: str, language: str = DEFAULT_LANGUAGE, catalog_key: str | None = None, **params: Any
) -> dict[str, Any]:
    """`catalog_key` tells apart the cases one code covers (as `extensions.reason`)."""
    return {
        "message": message(catalog_key or code, language, **params),
        "extensions": {"code": code, **({"reason": catalog_key} if catalog_key else {})},
    }


def error_response(
    code: str,
    status_code: int,
    *,
    language: str = DEFAULT_LANGUAGE,
    media_type: str = JSON,
    catalog_key: str | None = None,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
    **params: Any,
) -> JSONResponse:
    error = graphql_error(code, language, catalog_key, **params)
    error["extensions"].update(extensions or {})
    return JSONResponse(
        {"errors": [error]},
        status_code=status_code,
        media_type=media_type,
        headers=headers,
    )


def refusal_response(
    request: Request, refused: RequestRefused, *, extensions: dict[str, Any] | None = None
) -> JSONResponse:
    return error_response(
        refused.code,
        refused.status_code,
        language=pick_language(request.headers.get("accept-language")),
        media_type=response_media_type(request.headers.get("accept")),
        catalog_key=refused.catalog_key,
        headers=refused.headers,
        extensions=extensions,
        **refused.params,
    )


ROUTING_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


async def http_exception_handler(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own refusals (no such route, a method the route does not take)."""
    # Registered for HTTPException only; Starlette types every handler for Exception.
    assert isinstance(exc, HTTPException)
    return refusal_response(
        request,
        RequestRefused(
            ROUTING_CODES.get(exc.status_code, "BAD_REQUEST"),
            exc.status_code,
            headers=dict(exc.headers or {}),
            reason=exc.detail,
        ),
    )


# What a database that cannot be reached raises, by driver; tortoise wraps only some.
DATABASE_DOWN = (
    BaseORMException,
    OSError,
    sqlite3.Error,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
)
DATABASE_RETRY_AFTER_SECONDS = 5


def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    """An exception outside the GraphQL executor's masking, e.g. while authenticating."""
    if isinstance(exc, DATABASE_DOWN):
        logger.warning("database unavailable: %r", exc)
        return refusal_response(
            request,
            RequestRefused(
                "DATABASE_UNAVAILABLE",
                503,
                headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
            ),
        )
    logger.error("unexpected error outside GraphQL", exc_info=exc)
    request_id = request_id_of(request)
    return refusal_response(
        request,
        RequestRefused("INTERNAL_SERVER_ERROR", 500, request_id=request_id),
        extensions={"requestId": request_id},
    )
