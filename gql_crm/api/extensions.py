"""Schema extensions: authentication, error codes and masking, limits and caches."""

import logging
from collections.abc import Iterator
from typing import Any, TypeGuard

from cachetools import LRUCache
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    OperationDefinitionNode,
    parse,
    validate,
)
from strawberry.extensions import MaxTokensLimiter, SchemaExtension
from strawberry.schema.schema import validate_document

from gql_crm.api.errors import RequestErrorCode, request_error
from gql_crm.api.limits import aliases_rule, depth_rule, operation_cost
from gql_crm.config import Settings
from gql_crm.services.auth import PermissionDenied
from gql_crm.services.errors import RETRY_AFTER_SECONDS, UserErrors, database_busy
from gql_crm.services.messages import message
from gql_crm.services.pagination import PaginationError

logger = logging.getLogger("gql_crm.errors")


def _is_introspection_only(document) -> bool:
    """GraphiQL and codegen tools may read the schema without a token."""
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            for selection in definition.selection_set.selections:
                name = getattr(selection, "name", None)
                if name is None or not name.value.startswith("__"):
                    return False
    return True


class Authentication(SchemaExtension):
    """Refuses the whole operation, with no data, when the caller has no valid token."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        document = self.execution_context.graphql_document
        if context.actor is None and not _is_introspection_only(document):
            self.execution_context.result = ExecutionResult(
                data=None,
                errors=[request_error(RequestErrorCode.UNAUTHENTICATED, context.language)],
            )
        yield


class ErrorCodes(SchemaExtension):
    """Gives every error an `extensions.code`; masks unexpected ones behind a request ID.

    Domain exceptions that reach GraphQL (a forbidden role, a bad page size) become coded
    errors in the caller's language. Anything else is a bug: the client sees only the
    request ID, which the server log carries beside the traceback.
    """

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [self._format(error) for error in result.errors]

    def _format(self, error: GraphQLError) -> GraphQLError:
        context = self.execution_context.context
        language = context.language
        original = error.original_error
        if isinstance(original, PermissionDenied):
            return request_error(
                RequestErrorCode.FORBIDDEN,
                language,
                source=error,
                role=original.role.value,
                required=original.required.value,
            )
        if isinstance(original, PaginationError):
            return request_error(
                RequestErrorCode.BAD_USER_INPUT,
                language,
                catalog_key=original.code,
                source=error,
                **original.params,
            )
        if isinstance(original, UserErrors):
            first = original.errors[0]
            return GraphQLError(
                message(first.code, language, **first.params),
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                extensions={"code": RequestErrorCode.BAD_USER_INPUT, "reason": first.code.value},
            )
        if database_busy(original):
            # Retryable, not a bug: the whole response becomes a 503 (see GraphQLApp).
            logger.warning("database busy at %s", error.path)
            return request_error(
                RequestErrorCode.DATABASE_BUSY,
                language,
                source=error,
                extensions={"retryAfter": RETRY_AFTER_SECONDS},
                seconds=RETRY_AFTER_SECONDS,
            )
        # Without a path the error is the document's or the variables': a scalar refusing a
        # value (an inline Upload, a bad Date) carries its ValueError, and is no bug.
        if original is None or isinstance(original, GraphQLError) or error.path is None:
            if not (error.extensions or {}).get("code"):
                # Errors with a path come from executing a field (a malformed argument);
                # the others from parsing and validating the document.
                code = (
                    RequestErrorCode.BAD_USER_INPUT if error.path else "GRAPHQL_VALIDATION_FAILED"
                )
                error.extensions = {**(error.extensions or {}), "code": code}
            return error
        logger.error("unexpected error at %s", error.path, exc_info=original)
        return request_error(
            RequestErrorCode.INTERNAL_SERVER_ERROR,
            language,
            source=error,
            extensions={"requestId": context.request_id},
            request_id=context.request_id,
        )


def limit_rules(settings: Settings) -> tuple:
    """The depth and alias limits as validation rules, measured once per fragment (the
    planned path validates with them too)."""
    return (depth_rule(settings.max_query_depth), aliases_rule(settings.max_aliases))


class CostLimit(SchemaExtension):
    """Refuses, before executing it, an operation that may return too many objects."""

    def __init__(self, settings: Settings):
        self.settings = settings

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.result is None:
            assert context.graphql_document is not None, "executing a parsed operation"
            cost = operation_cost(
                context.schema._schema,
                context.graphql_document,
                context.operation_name,
                context.variables,
                self.settings.max_page_size,
            )
            if cost > self.settings.max_query_cost:
                error = request_error(
                    "QUERY_TOO_COSTLY",
                    context.context.language,
                    extensions={"cost": cost, "maxCost": self.settings.max_query_cost},
                    cost=cost,
                    max_cost=self.settings.max_query_cost,
                )
                context.result = ExecutionResult(data=None, errors=[error])
        yield


# The parsed and validated documents are kept by weight (their text's length), not by
# count: Strawberry's caches of 512 documents held 512 documents of any size (a 200 MB
# query string before the body limits; 3 MB of syntax tree for each 5,000-token document,
# which fits in the 64 KiB an anonymous request may send). A document above
# CACHED_DOCUMENT_BYTES is parsed and validated again each time instead.
DOCUMENT_CACHE_BYTES = 1024 * 1024
CACHED_DOCUMENT_BYTES = 16 * 1024


def _text_length(document: DocumentNode) -> int:
    return len(document.loc.source.body) if document.loc else 0


parsed_documents: LRUCache[tuple[str, tuple[tuple[str, Any], ...]], DocumentNode] = LRUCache(
    DOCUMENT_CACHE_BYTES, getsizeof=_text_length
)
# Each entry is (its document's text length, its errors).
validated_documents: LRUCache[tuple[Any, ...], tuple[int, list[GraphQLError]]] = LRUCache(
    DOCUMENT_CACHE_BYTES, getsizeof=lambda entry: entry[0]
)


def _cacheable(text: str | None) -> TypeGuard[str]:
    return text is not None and len(text) <= CACHED_DOCUMENT_BYTES


class Parsing(SchemaExtension):
    """Strawberry's ParserCache, weighed by text."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query:
            key = (context.query, tuple(sorted(context.parse_options.items())))
            document = parsed_documents.get(key)
            if document is None:
                document = parse(context.query, **context.parse_options)
                if _cacheable(context.query):
                    parsed_documents[key] = document
            context.graphql_document = document
        yield


def validation_errors(schema, document, limit_rules: tuple, rules: tuple) -> list[GraphQLError]:
    """The limits first, in a pass of their own: a document over them is refused before
    graphql-core's rules (and Strawberry's) look at it."""
    return validate(schema, document, limit_rules) or validate_document(schema, document, rules)


class Validation(SchemaExtension):
    """Validation with the limit rules first, cached by (parsed) document."""

    def __init__(self, limit_rules: tuple):
        self.limit_rules = limit_rules

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        assert document is not None, "Parsing ran before, or refused the operation"
        arguments = (context.schema._schema, document, self.limit_rules, context.validation_rules)
        text = document.loc.source.body if document.loc else None
        if not _cacheable(text):
            context.pre_execution_errors = validation_errors(*arguments)
        else:
            entry = validated_documents.get(arguments)
            if entry is None:
                entry = validated_documents[arguments] = (len(text), validation_errors(*arguments))
            context.pre_execution_errors = entry[1]
        yield


def extension_factories(settings: Settings) -> list:
    """Factories, not instances: each request gets its own extension objects.

    The validation cache keys on the limit rules, which are classes: made once here, they
    keep the cache hitting.
    """
    rules = limit_rules(settings)
    return [
        Authentication,
        ErrorCodes,
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        Parsing,
        lambda: Validation(rules),
        lambda: CostLimit(settings),
    ]
