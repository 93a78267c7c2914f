"""GraphQL over HTTP around Strawberry's view: error codes for every refusal, the
application/graphql-response+json media type, optional batching, automatic persisted
queries (also over GET) and cache headers."""

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cross_web import HTTPException
from graphql import GraphQLError, GraphQLSyntaxError, OperationDefinitionNode, parse
from starlette.requests import Request
from starlette.responses import Response
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLRequestData
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET

from gql_crm.config import Settings
from gql_crm.http.errors import (
    GRAPHQL_RESPONSE_JSON,
    JSON,
    RequestRefused,
    refusal_response,
    response_media_type,
)
from gql_crm.services.persisted_queries import PersistedQueries, sha256_of

# Subscriptions run over the websocket only; mutations never over GET, so a GET (which
# proxies, CDNs and browsers may repeat or prefetch) cannot change anything.
HTTP_OPERATIONS = {
    "GET": frozenset({OperationType.QUERY}),
    "POST": frozenset({OperationType.QUERY, OperationType.MUTATION}),
}
# What a request error (no execution happened) is, for the 400 of graphql-response+json.
REQUEST_ERROR_CODES = frozenset({"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED"})
STATUS_CODES = {
    400: "BAD_REQUEST",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}
SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
# Two operations need two of these words (a second `{ ... }` without one fails validation).
OPERATION_KEYWORD = re.compile(r"\b(?:query|mutation|subscription)\b")


@dataclass
class Outcome:
    """What the answer's status and cache headers depend on, gathered while executing."""

    results: int = 0
    errors: bool = False
    request_error: bool = False


def _coded(error: GraphQLError) -> GraphQLError:
    # Parse errors (and the token limit, which the parser enforces) leave Strawberry's
    # extension hooks before they can add a code.
    if not (error.extensions or {}).get("code") and error.path is None:
        code = (
            "GRAPHQL_PARSE_FAILED"
            if isinstance(error, GraphQLSyntaxError)
            else "GRAPHQL_VALIDATION_FAILED"
        )
        error.extensions = {**(error.extensions or {}), "code": code}
    return error


def _several_operations(query: str | None, max_tokens: int) -> bool:
    if not query or len(OPERATION_KEYWORD.findall(query)) < 2:
        return False
    try:
        document = parse(query, no_location=True, max_tokens=max_tokens)
    except GraphQLError:
        return False  # Strawberry answers the syntax error.
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return len(operations) > 1


def is_request_error(result: ExecutionResult) -> bool:
    return (
        result.data is None
        and bool(result.errors)
        and all(
            (error.extensions or {}).get("code") in REQUEST_ERROR_CODES
            for error in result.errors or ()
        )
    )


if TYPE_CHECKING:
    from strawberry.asgi import GraphQL

    from gql_crm.api.context import Context

    # What the mixin's super() reaches at run time: the type checker sees the view.
    StrawberryView = GraphQL[Context, None]
else:
    StrawberryView = object


class GraphQLOverHTTP(StrawberryView):
    """Mixed into the Strawberry view (see gql_crm.app.GraphQLApp)."""

    settings: Settings
    persisted_queries: PersistedQueries

    def should_render_graphql_ide(self, request) -> bool:
        # A GET with only a persisted query's hash is a query, not a page visit.
        return (
            super().should_render_graphql_ide(request)
            and request.query_params.get("extensions") is None
        )

    async def run(self, request, context=UNSET, root_value=UNSET):
        if self.is_websocket_request(request):
            return await super().run(request, context, root_value)
        outcome = request.state.graphql = Outcome()
        try:
            response = await super().run(request, context, root_value)
        except RequestRefused as refused:
            response = refusal_response(request, refused)
        except HTTPException as exc:
            response = refusal_response(
                request,
                RequestRefused(
                    STATUS_CODES.get(exc.status_code, "BAD_REQUEST"),
                    exc.status_code,
                    reason=exc.reason,
                ),
            )
        media_type = response.headers.get("content-type", "").partition(";")[0]
        if media_type in (JSON, GRAPHQL_RESPONSE_JSON):
            self._finish(request, response, outcome)
        return response

    def _finish(self, request: Request, response: Response, outcome: Outcome) -> None:
        if response_media_type(request.headers.get("accept")) == GRAPHQL_RESPONSE_JSON:
            response.headers["content-type"] = GRAPHQL_RESPONSE_JSON
            if outcome.request_error and outcome.results == 1:
                response.status_code = 400
        public = (
            request.method == "GET"
            and "authorization" not in request.headers
            and response.status_code == 200
            and outcome.results
            and not outcome.errors
        )
        if public:
            # Only what anyone may read (introspection) answers without a token.
            response.headers["Cache-Control"] = (
                f"public, max-age={self.settings.public_cache_max_age}"
            )
            response.headers["Vary"] = "Authorization, Accept, Accept-Language"
        else:
            response.headers["Cache-Control"] = "no-store"

    def _validate_batch_request(self, request_data: list[Any], protocol) -> None:
        limit = self.settings.max_batch_operations
        if limit <= 0:
            raise RequestRefused("BATCHING_DISABLED")
        if len(request_data) > limit:
            raise RequestRefused("TOO_MANY_OPERATIONS", max=limit)

    async def execute_single(
        self,
        request,
        request_adapter,
        sub_response,
        context,
        root_value,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        to_register = await self._resolve_persisted_query(context, request_data)
        if request_data.operation_name is None and _several_operations(
            request_data.query, self.settings.max_tokens
        ):
            # Strawberry would run the first one; the GraphQL spec asks for a name.
            raise RequestRefused(
                "OPERATION_RESOLUTION_FAILURE", catalog_key="OPERATION_NAME_REQUIRED"
            )
        try:
            result = await self.execute_document(
                request_data,
                context,
                root_value,
                HTTP_OPERATIONS.get(request_adapter.method, frozenset()),
            )
        except CannotGetOperationTypeError as exc:
            if exc.operation_name is None:
                raise RequestRefused(
                    "OPERATION_RESOLUTION_FAILURE", catalog_key="OPERATION_NAME_REQUIRED"
                ) from exc
            raise RequestRefused(
                "OPERATION_RESOLUTION_FAILURE",
                catalog_key="UNKNOWN_OPERATION",
                operation=exc.operation_name,
            ) from exc
        except InvalidOperationTypeError as exc:
            if exc.operation_type == OperationType.MUTATION:
                raise RequestRefused("MUTATION_OVER_GET", 405, headers={"Allow": "POST"}) from exc
            raise RequestRefused("SUBSCRIPTION_OVER_HTTP") from exc
        except MissingQueryError as exc:
            raise RequestRefused("BAD_REQUEST", catalog_key="QUERY_REQUIRED") from exc
        if result.errors:
            result.errors = [_coded(error) for error in result.errors]
        if to_register and context.actor and not is_request_error(result):
            await self.persisted_queries.register(context.actor.org_id, *to_register)
        return result

    async def execute_document(
        self,
        request_data: GraphQLRequestData,
        context,
        root_value,
        allowed_operation_types: frozenset[OperationType],
    ) -> ExecutionResult:
        """Runs one operation whose document is known (a persisted query's is filled in), the
        caller authenticated and the HTTP method checked: where another execution path can
        take over from Strawberry's executor."""
        return await self.schema.execute(
            request_data.query,
            root_value=root_value,
            variable_values=request_data.variables,
            context_value=context,
            operation_name=request_data.operation_name,
            allowed_operation_types=allowed_operation_types,
            operation_extensions=request_data.extensions,
        )

    async def _resolve_persisted_query(
        self, context, request_data: GraphQLRequestData
    ) -> tuple[str, str] | None:
        """Fills in the document of a hash-only request; returns (hash, document) to register
        once it has run, for a request that sends both (Apollo's APQ protocol)."""
        extensions = request_data.extensions or {}
        if "persistedQuery" not in extensions:
            return None
        persisted = extensions["persistedQuery"]
        sha256 = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if (
            (persisted.get("version") if isinstance(persisted, dict) else None) != 1
            or not isinstance(sha256, str)
            or not SHA256_HEX.fullmatch(sha256)
        ):
            raise RequestRefused("BAD_REQUEST", catalog_key="INVALID_PERSISTED_QUERY")
        sha256 = sha256.lower()
        if request_data.query is None:
            # Persisted documents belong to an organization: a caller without a token has none.
            query = context.actor and await self.persisted_queries.find(
                context.actor.org_id, sha256
            )
            if not query:
                # 200, as Apollo's link expects before it sends the document.
                raise RequestRefused("PERSISTED_QUERY_NOT_FOUND", 200)
            request_data.query = query
            return None
        if sha256_of(request_data.query) != sha256:
            raise RequestRefused("PERSISTED_QUERY_HASH_MISMATCH")
        return sha256, request_data.query

    async def process_result(self, request, result: ExecutionResult):
        answer = await super().process_result(request, result)
        outcome: Outcome = request.state.graphql
        outcome.results += 1
        outcome.errors = outcome.errors or bool(result.errors)
        if is_request_error(result):
            outcome.request_error = True
            if response_media_type(request.headers.get("accept")) == GRAPHQL_RESPONSE_JSON:
                # GraphQL over HTTP: a request error has no `data` at all.
                answer.pop("data", None)
        return answer
