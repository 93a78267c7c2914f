"""User errors: expected failures caused by the caller's input, reported as data."""

import dataclasses
import sqlite3
from dataclasses import dataclass
from enum import StrEnum

from tortoise.exceptions import OperationalError

# What a client is told to wait before retrying when the database was busy.
RETRY_AFTER_SECONDS = 1


class ErrorCode(StrEnum):
    """Stable codes. Clients switch on these; messages may be reworded or translated."""

    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID = "INVALID"
    INVALID_CHARACTERS = "INVALID_CHARACTERS"
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_PHONE = "INVALID_PHONE"
    INVALID_COUNTRY = "INVALID_COUNTRY"
    INVALID_TAX_ID = "INVALID_TAX_ID"
    INVALID_URL = "INVALID_URL"
    INVALID_LANGUAGE = "INVALID_LANGUAGE"
    INVALID_CHOICE = "INVALID_CHOICE"
    INVALID_DATE = "INVALID_DATE"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    INVALID_CURRENCY = "INVALID_CURRENCY"
    INVALID_STATE = "INVALID_STATE"
    DUPLICATE = "DUPLICATE"
    NOT_FOUND = "NOT_FOUND"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    UNSUPPORTED_FILE = "UNSUPPORTED_FILE"
    IMAGE_TOO_LARGE = "IMAGE_TOO_LARGE"
    DAMAGED_IMAGE = "DAMAGED_IMAGE"
    TOO_MANY_ROWS = "TOO_MANY_ROWS"
    EXCEEDS_AMOUNT_DUE = "EXCEEDS_AMOUNT_DUE"
    MISSING_COLUMN = "MISSING_COLUMN"
    DUPLICATE_IN_FILE = "DUPLICATE_IN_FILE"
    AMBIGUOUS_MATCH = "AMBIGUOUS_MATCH"
    PARTLY_PAID = "PARTLY_PAID"
    ALREADY_EXPIRED = "ALREADY_EXPIRED"
    SAME_CLIENT = "SAME_CLIENT"
    CONFIRMATION_MISMATCH = "CONFIRMATION_MISMATCH"


@dataclass(frozen=True)
class InputError:
    """One problem with a caller's input: a stable code, the path of the field at fault,
    and the parameters of its message (the API shows it as a GraphQL `UserError`)."""

    code: ErrorCode
    field: tuple[str, ...] | None = None
    params: dict = dataclasses.field(default_factory=dict)


class UserErrors(Exception):
    """Raised by services when input is refused; the API turns it into payload errors."""

    def __init__(self, errors: list[InputError]):
        super().__init__(", ".join(f"{e.code}@{'.'.join(e.field or ())}" for e in errors))
        self.errors = errors

    @classmethod
    def single(cls, code: ErrorCode, *path: str, **params) -> "UserErrors":
        return cls([InputError(code, path or None, params)])


def database_busy(exc: BaseException | None) -> bool:
    """SQLite's "database is locked": another connection held the write lock for longer
    than the busy timeout, during which SQLite kept retrying. The work is safe to retry."""
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.args[0] if exc.args else None
    return isinstance(cause, sqlite3.OperationalError) and getattr(
        cause, "sqlite_errorname", ""
    ) in ("SQLITE_BUSY", "SQLITE_BUSY_SNAPSHOT", "SQLITE_LOCKED")
