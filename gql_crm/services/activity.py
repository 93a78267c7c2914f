"""Activity history: who did what to which record of a client, with the changed values."""

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from gql_crm.models import Activity
from gql_crm.services.auth import Actor


def json_safe(value: Any) -> Any:
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
