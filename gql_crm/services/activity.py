"""Activity history: who did what to which record of a client, with the changed values."""

from datetime import date, datetime
from decimal import Decimal
from enum import Enum, IntEnum, StrEnum
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from gql_crm.models import Activity
from gql_crm.services.auth import Actor


class Verb(StrEnum):
    """What was done, as stored in Activity.verb."""

    CREATED = "created"
    UPDATED = "updated"
    ARCHIVED = "archived"
    RESTORED = "restored"
    AUTHORIZED = "authorized"
    PAYMENT_RECORDED = "payment_recorded"
    CANCELED = "canceled"
    CLOSED = "closed"
    MOVED = "moved"
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    FILE_ATTACHED = "file_attached"
    FILE_DELETED = "file_deleted"
    PHOTO_SET = "photo_set"
    PHOTO_REMOVED = "photo_removed"
    IMPORTED = "imported"
    UPDATED_BY_IMPORT = "updated_by_import"
    COMPANY_UPDATED_BY_IMPORT = "company_updated_by_import"
    IMPORT_UNDONE = "import_undone"
    MERGED = "merged"
    MERGED_INTO = "merged_into"
    ERASED = "erased"


class TargetType(StrEnum):
    """The kinds of record an entry is about, as stored in Activity.target_type (the model's
    name, which is also the GraphQL type's)."""

    CLIENT = "Client"
    CLIENT_CATEGORY = "ClientCategory"
    COMPANY = "Company"
    PROJECT = "Project"
    TASK = "Task"
    TIME_LOG = "TimeLog"
    INVOICE = "Invoice"
    PURCHASE_ORDER = "PurchaseOrder"
    DEAL = "Deal"
    QUOTE = "Quote"
    FILE = "File"


def json_safe(value: Any) -> Any:
    if isinstance(value, IntEnum):
        # Stored as a number for ordering (a task's priority); the history shows its name.
        return value.name
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{"field": {"old": ..., "new": ...}} for every key whose value changed."""
    changes = {}
    for key, value in after.items():
        old, new = json_safe(before.get(key)), json_safe(value)
        if old != new:
            changes[key] = {"old": old, "new": new}
    return changes


_JSON_NATIVE = frozenset((str, int, float, bool))


def created(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`diff({}, values)` without comparing each value (an import records one per row)."""
    return {
        key: {"old": None, "new": value if type(value) in _JSON_NATIVE else json_safe(value)}
        for key, value in values.items()
        if value is not None
    }


async def record(
    actor: Actor,
    *,
    client_id: int | None,
    verb: str,
    target_type: str,
    target_id: int,
    changes: dict | None = None,
    using_db: BaseDBAsyncClient | None = None,
) -> Activity:
    return await Activity.create(
        organization_id=actor.org_id,
        client_id=client_id,
        actor_id=actor.user_id,
        verb=verb,
        target_type=target_type,
        target_id=target_id,
        changes=changes or {},
        using_db=using_db,
    )


async def record_on_client(
    actor: Actor, client_id: int, verb: str, changes: dict | None = None
) -> Activity:
    """An entry about the client itself (edited, archived, merged, its photo changed)."""
    return await record(
        actor,
        client_id=client_id,
        verb=verb,
        target_type=TargetType.CLIENT,
        target_id=client_id,
        changes=changes,
    )
