"""Descriptions shared by many places of the schema: page arguments, enum values of enums
declared in the domain, and the fields every payload and record has."""

from collections.abc import Iterable
from enum import Enum
from typing import Annotated, Any, TypeVar

import strawberry

from gql_crm.config import Settings
from gql_crm.services.pagination import DEFAULT_PAGE_SIZE

_MAX = Settings.max_page_size
_SIZE = (
    f"default {DEFAULT_PAGE_SIZE}, at most GQL_CRM_MAX_PAGE_SIZE (default {_MAX}); "
    "more is a PAGE_SIZE_EXCEEDED error"
)

First = Annotated[
    int | None,
    strawberry.argument(description=f"How many items after `after` (or from the start): {_SIZE}."),
]
After = Annotated[
    str | None,
    strawberry.argument(
        description="Continue after this cursor (a `pageInfo.endCursor` of the same list and "
        "order)."
    ),
]
Last = Annotated[
    int | None,
    strawberry.argument(description=f"How many items before `before` (or up to the end): {_SIZE}."),
]
Before = Annotated[
    str | None,
    strawberry.argument(
        description="Continue before this cursor (a `pageInfo.startCursor` of the same list and "
        "order)."
    ),
]


def record_id(type_name: str) -> Any:
    """The type of an `id` argument naming one record of `type_name`."""
    return Annotated[
        strawberry.relay.GlobalID,
        strawberry.argument(
            description=f"A {type_name}'s global ID; another organization's reads as not found."
        ),
    ]


def argument(type_: Any, description: str) -> Any:
    """`type_` as an argument with a description."""
    return Annotated[type_, strawberry.argument(description=description)]


EnumT = TypeVar("EnumT", bound=type[Enum])


def names_enum(name: str, names: Iterable[str]) -> type[Enum]:
    """An enum whose values are `names` (upper-cased), each its own value."""
    # mypy reads Enum's functional API only with literal arguments.
    return Enum(name, {key.upper(): key.upper() for key in names})  # type: ignore[return-value]


def described(enum: EnumT, values: dict[str, str]) -> EnumT:
    """`enum` (already a Strawberry enum) with a description on each of its values.

    A value left out stays undescribed (a test lists those); a name that is not a value is a
    typo, refused at once."""
    definition = enum.__strawberry_definition__  # type: ignore[attr-defined]
    unknown = set(values) - {value.name for value in definition.values}
    if unknown:
        raise ValueError(f"{definition.name} has no values {sorted(unknown)}")
    for value in definition.values:
        value.description = values.get(value.name, value.description)
    return enum


NEWEST_FIRST = "Newest first when omitted."
DIRECTION = "DESC unless given, as in every orderBy of the API."
LINE_POSITION = "0-based, in the order the lines were given."
LINE_DESCRIPTION = "What is charged."
LINE_QUANTITY = "More than 0, up to 4 decimals."
LINE_UNIT_PRICE = "The price of one unit, up to 4 decimals."
LINE_SUBTOTAL = "Quantity × unit price, rounded half-up to the cent."
LINE_TAX = "Subtotal × tax rate / 100, rounded half-up to the cent."
LINE_TOTAL = "Subtotal plus tax."
CREATE = "What to create."
UPDATE = "The fields to change; omitted ones are left as they are."
RECORD = "What to record."
ERRORS = "Why nothing was changed; empty on success."
CREATED_AT = "When the record was created."
UPDATED_AT = "When the record was last changed."
CLIENT = "The client the record belongs to; null once the client is gone."
