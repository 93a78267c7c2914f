"""Custom scalars with their specifications (introspection's specifiedByURL), so codegen
tools and readers know each one's exact text form."""

import dataclasses
import datetime
import decimal
from collections.abc import Callable
from typing import Any

from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload
from strawberry.schema.types.scalar import DEFAULT_SCALAR_REGISTRY
from strawberry.types.scalar import ScalarDefinition

SPECIFICATIONS = {
    datetime.datetime: (
        "https://scalars.graphql.org/andimarek/date-time",
        "An instant: RFC 3339 date and time with its offset, e.g. 2026-03-01T09:30:00+01:00.",
    ),
    datetime.date: (
        "https://scalars.graphql.org/andimarek/local-date",
        "A calendar day: RFC 3339 full-date, e.g. 2026-03-01.",
    ),
    decimal.Decimal: (
        "https://docs.python.org/3/library/decimal.html#decimal.Decimal",
        'An exact decimal number as a string, e.g. "1234.50" (never a float). Input also '
        "takes a JSON number.",
    ),
    Upload: (
        "https://github.com/jaydenseric/graphql-multipart-request-spec",
        "A file sent as a part of a GraphQL multipart request.",
    ),
}


def _uploaded_file(value: object) -> UploadFile:
    # strawberry's Upload takes any value, so a string sent inline reached the services.
    if not isinstance(value, UploadFile):
        raise ValueError("Upload takes a file part of a multipart request, not a value.")
    return value


PARSERS: dict[object, Callable[[Any], Any]] = {Upload: _uploaded_file}

SCALAR_OVERRIDES: dict[object, ScalarDefinition] = {
    type_: dataclasses.replace(
        DEFAULT_SCALAR_REGISTRY[type_],
        specified_by_url=url,
        description=description,
        parse_value=PARSERS.get(type_, DEFAULT_SCALAR_REGISTRY[type_].parse_value),
    )
    for type_, (url, description) in SPECIFICATIONS.items()
}
