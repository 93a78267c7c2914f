"""User errors as GraphQL data, and the request-level GraphQL errors (with codes)."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.types import Info
from strawberry.utils.str_converters import to_camel_case

from gql_crm.api import docs
from gql_crm.services import messages
from gql_crm.services.errors import ErrorCode, UserErrors

UserErrorCode = docs.described(
    strawberry.enum(
        ErrorCode, name="UserErrorCode", description="Stable machine-readable codes of user errors."
    ),
    {
        "REQUIRED": "The field is missing or blank.",
        "TOO_LONG": "The text is longer than the field allows.",
        "INVALID": "The value is not valid for the field.",
        "INVALID_CHARACTERS": "The text holds control characters.",
        "INVALID_EMAIL": "Not an email address.",
        "INVALID_PHONE": "Not a phone number of the given (or the record's) country.",
        "INVALID_COUNTRY": "Not an ISO 3166-1 code or a known country name.",
        "INVALID_TAX_ID": "Not a valid tax ID for the country (or an EU VAT number).",
        "INVALID_URL": "Not a web address.",
        "INVALID_LANGUAGE": "Not an ISO 639-1 code.",
        "INVALID_CHOICE": "Not one of the allowed values.",
        "INVALID_DATE": "Not a date, or not in the allowed range (e.g. a deadline before the "
        "start).",
        "INVALID_AMOUNT": "Not an amount the field allows (sign, decimals, size).",
        "INVALID_CURRENCY": "Not an ISO 4217 code.",
        "INVALID_STATE": "Not possible in the record's current status.",
        "DUPLICATE": "Another record already uses this value.",
        "NOT_FOUND": "No such record in your organization.",
        "FILE_TOO_LARGE": "The upload is larger than allowed.",
        "UNSUPPORTED_FILE": "The file's content is of a type not accepted here.",
        "IMAGE_TOO_LARGE": "The image has more pixels than allowed.",
        "DAMAGED_IMAGE": "The image's format is accepted but its data is broken (truncated, "
        "corrupted).",
        "TOO_MANY_ROWS": "The file has more rows than an import allows.",
        "EXCEEDS_AMOUNT_DUE": "The payment is more than the amount still due.",
        "MISSING_COLUMN": "The file has no column for a field the import needs.",
        "DUPLICATE_IN_FILE": "An earlier row of the file has the same value.",
        "AMBIGUOUS_MATCH": "Several clients match the row.",
        "PARTLY_PAID": "The invoice has payments: it cannot be canceled without a credit for them.",
        "ALREADY_EXPIRED": "The date is before today (organization's time zone): the record "
        "would be expired at once.",
        "SAME_CLIENT": "The client to keep is also among those to merge into it.",
        "CONFIRMATION_MISMATCH": "The confirmation is not the text asked for (the client's name).",
    },
)


@strawberry.type(description="A problem with the input, reported as data: nothing was changed.")
class UserError:
    code: UserErrorCode = strawberry.field(description="What is wrong; stable.")
    field: list[str] | None = strawberry.field(
        description='Path of the input field at fault, e.g. ["company", "taxId"].'
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


Payload = TypeVar("Payload")


@dataclass(frozen=True)
class MutationPayload(Generic[Payload]):
    """A mutation's payload type, the field that carries its record, and the record's node."""

    payload_type: Callable[..., Payload]
    field: str
    to_node: Callable[[Any], Any]

    async def run(self, info: Info, action: Callable[[], Awaitable[Any]]) -> Payload:
        """Runs a service call; its UserErrors become the payload's `errors`, nothing else."""
        try:
            row = await action()
        except UserErrors as exc:
            errors = user_errors(exc, info.context.language)
            return self.payload_type(**{self.field: None}, errors=errors)
        return self.payload_type(**{self.field: self.to_node(row)}, errors=[])


class RequestErrorCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    DATABASE_BUSY = "DATABASE_BUSY"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


def request_error(
    code: str,
    language: str,
    *,
    catalog_key: str | None = None,
    source: GraphQLError | None = None,
    extensions: dict[str, Any] | None = None,
    **params: Any,
) -> GraphQLError:
    """A GraphQL error whose `extensions.code` tells clients what happened; `extensions`
    adds what a client acts on (retryAfter, requestId...)."""
    return GraphQLError(
        messages.message(catalog_key or code, language, **params),
        nodes=source.nodes if source else None,
        source=source.source if source else None,
        positions=source.positions if source else None,
        path=source.path if source else None,
        extensions={
            "code": code,
            **({"reason": catalog_key} if catalog_key else {}),
            **(extensions or {}),
        },
    )
