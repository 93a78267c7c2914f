"""User errors as GraphQL data, and the request-level GraphQL errors (with codes)."""

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.utils.str_converters import to_camel_case

from gql_crm.services import messages
from gql_crm.services.errors import ErrorCode, UserErrors

UserErrorCode = strawberry.enum(
    ErrorCode, name="UserErrorCode", description="Stable machine-readable codes of user errors."
)


@strawberry.type(description="A problem with the input, reported as data: nothing was changed.")
class UserError:
    code: UserErrorCode
    field: list[str] | None = strawberry.field(
        description="Path of the input field at fault, e.g. [\"company\", \"taxId\"]."
    )
    message: str = strawberry.field(description="Human-readable, in the request's language.")


def user_errors(exc: UserErrors, language: str) -> list[UserError]:
    return [
        UserError(
            code=error.code,
            field=[to_camel_case(part) for part in error.field] if error.field else None,
            message=messages.message(error.code, language, **error.params),
        )
        for error in exc.errors
    ]


async def mutate(
    info, payload_type: type, field: str, to_node: Callable[[Any], Any],
    action: Callable[[], Awaitable[Any]],
) -> Any:
    """Runs a service call; its UserErrors become the payload's `errors`, nothing else."""
    try:
        row = await action()
    except UserErrors as exc:
        return payload_type(**{field: None}, errors=user_errors(exc, info.context.language))
    return payload_type(**{field: to_node(row)}, errors=[])


class RequestErrorCode(str, Enum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


def request_error(
    code: str, language: str, *, catalog_key: str | None = None, source: GraphQLError | None = None,
    **params,
) -> GraphQLError:
    """A GraphQL error whose `extensions.code` tells clients what happened."""
    return GraphQLError(
        messages.message(catalog_key or code, language, **params),
        nodes=source.nodes if source else None,
        source=source.source if source else None,
        positions=source.positions if source else None,
        path=source.path if source else None,
        extensions={"code": code, **({"reason": catalog_key} if catalog_key else {})},
    )
