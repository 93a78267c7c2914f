"""What the records of a client's profile (projects, invoices, deals, ...) share: lookups
scoped to the organization, bounded decimals, the organization's "today", state changes
with their activity entry."""

from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tortoise.expressions import Subquery
from tortoise.fields.relational import ForeignKeyFieldInstance
from tortoise.models import Model
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from gql_crm import models
from gql_crm.models import Client, Organization
from gql_crm.models.base import ClientRecord
from gql_crm.services import activity
from gql_crm.services.auth import Actor
from gql_crm.services.errors import ErrorCode, UserErrors
from gql_crm.services.validation import (
    FieldInvalid,
    Validator,
    normalize_amount,
    normalize_choice,
)

ModelT = TypeVar("ModelT", bound=Model)
RecordT = TypeVar("RecordT", bound=ClientRecord)

CENT = Decimal("0.01")


def zone_of(organization: Organization) -> ZoneInfo:
    try:
        return ZoneInfo(organization.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def today(organization: Organization) -> date:
    """The current date where the organization works: "overdue" flips at its midnight."""
    return datetime.now(zone_of(organization)).date()


def day_bounds(
    organization: Organization, first: date | None, last: date | None
) -> tuple[datetime | None, datetime | None]:
    """The instants [start, end) spanning the days `first` to `last` (both included) where
    the organization works; a missing side stays unbounded."""
    zone = zone_of(organization)
    start = datetime.combine(first, time(), zone) if first is not None else None
    end = None
    if last is not None and last < date.max:
        end = datetime.combine(last + timedelta(days=1), time(), zone)
    return start, end


def money(value: Any) -> Decimal:
    """A database sum (NUMERIC on PostgreSQL) as Decimal cents; 0.00 for no rows."""
    if value is None:
        return Decimal("0.00")
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def bounded_decimal(
    value: Any,
    *,
    max_digits: int,
    places: int,
    positive: bool = False,
    allow_none: bool = False,
) -> Decimal | None:
    """A Decimal that fits a DECIMAL(max_digits, places) column exactly, or FieldInvalid."""
    if value is None:
        if allow_none:
            return None
        raise FieldInvalid(ErrorCode.REQUIRED)
    amount = normalize_amount(value)
    assert amount is not None
    if positive and amount <= 0:
        raise FieldInvalid(ErrorCode.INVALID_AMOUNT)
    # The magnitude first: quantizing 1E+40 would overflow Decimal's default precision.
    if amount and amount.adjusted() >= max_digits - places:
        raise FieldInvalid(ErrorCode.INVALID_AMOUNT)
    exact = amount.quantize(Decimal(1).scaleb(-places))
    if exact != amount:
        # More decimals than the column keeps: refused rather than silently rounded.
        raise FieldInvalid(ErrorCode.INVALID_AMOUNT)
    return exact


def money_amount(value: Any) -> Decimal | None:
    """An amount of money: not negative, at most two decimals, fits DECIMAL(18, 2)."""
    return bounded_decimal(value, max_digits=18, places=2)


def optional_money_amount(value: Any) -> Decimal | None:
    return bounded_decimal(value, max_digits=18, places=2, allow_none=True)


def positive_money_amount(value: Any) -> Decimal | None:
    return bounded_decimal(value, max_digits=18, places=2, positive=True)


def required_choice(value: str | None, choices: type) -> Any:
    choice = normalize_choice(value, choices)
    if choice is None:
        raise FieldInvalid(ErrorCode.REQUIRED)
    return choice


def date_order(start: date | None, end: date | None) -> bool:
    return start is None or end is None or start <= end


def of_clients(model: type[ModelT], org_id: int, client_ids: list[int]) -> QuerySet[ModelT]:
    """Rows of `model` belonging to the organization's clients among `client_ids`.

    Tenancy goes through the clients' primary keys rather than the rows' organization_id,
    which leaves the planner a single choice, the (client_id, ...) index; SQLite without
    statistics otherwise ties it with the organization_id index and scans the whole
    organization.
    """
    clients = Client.filter(organization_id=org_id, id__in=client_ids).values("id")
    return model.filter(client_id__in=Subquery(clients))


async def require_client(actor: Actor, client_id: int | None, field: str = "client_id") -> Client:
    return await require_row(Client, actor, client_id, field)


async def require_row(
    model: type[ModelT], actor: Actor, row_id: int | None, field: str = "id"
) -> ModelT:
    """A row of the caller's organization; another organization's reads as missing."""
    row = None
    if row_id:
        row = await model.get_or_none(organization_id=actor.org_id, id=row_id)
    if row is None:
        raise UserErrors.single(ErrorCode.NOT_FOUND, field)
    return row


async def check_reference(
    checks: Validator,
    actor: Actor,
    model: type[Model],
    row_id: int | None,
    field: str,
    **scope: int,
) -> None:
    """A row an input refers to (an assignee, a quote's deal, a time log's task) must be of
    the caller's organization and of `scope` (the same client, the same project); another
    organization's reads as missing. None (no reference) is always fine."""
    if (
        row_id is not None
        and not await model.filter(organization_id=actor.org_id, id=row_id, **scope).exists()
    ):
        checks.add(ErrorCode.NOT_FOUND, field)


def snapshot(row: Model, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in fields}


async def record(
    actor: Actor, row: ClientRecord, verb: str, changes: dict[str, Any] | None = None
) -> None:
    """The activity entry of a change to one of a client's records."""
    await activity.record(
        actor,
        client_id=row.client_id,
        verb=verb,
        target_type=type(row).__name__,
        target_id=row.id,
        changes=changes,
    )


@asynccontextmanager
async def write_transaction() -> AsyncIterator[Any]:
    """A transaction that holds the database's write lock from its first statement, for a
    read-check-write of a row (with `lock_row`)."""
    async with in_transaction() as connection:
        if connection.capabilities.dialect == "sqlite":
            # Tortoise begins a deferred transaction: one that reads and then writes fails
            # at once ("database is locked", the busy timeout does not apply) when another
            # connection wrote in between. IMMEDIATE waits for the write lock up front.
            await connection.execute_query("COMMIT")
            await connection.execute_query("BEGIN IMMEDIATE")
        yield connection


async def lock_row(
    model: type[ModelT], actor: Actor, row_id: int | None, field: str = "id"
) -> ModelT:
    """Like `require_row`, inside a `write_transaction`: the row as it is now, locked until
    the transaction ends (FOR NO KEY UPDATE on PostgreSQL, which still lets other requests
    insert rows referencing it; on SQLite the write lock already excludes other writers)."""
    row = None
    if row_id:
        row = (
            await model.filter(organization_id=actor.org_id, id=row_id)
            .select_for_update(no_key=True)
            .first()
        )
    if row is None:
        raise UserErrors.single(ErrorCode.NOT_FOUND, field)
    return row


async def create_recorded(
    actor: Actor, model: type[RecordT], values: dict[str, Any], **links: Any
) -> RecordT:
    """A new record of the caller's organization with `values` (recorded in its "created"
    entry) and `links` (its parents' ids and what follows from the values)."""
    async with in_transaction():
        row = await model.create(organization_id=actor.org_id, **links, **values)
        await record(actor, row, "created", activity.diff({}, values))
    return row


def set_values(row: Model, values: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """Sets `values` on the row; what changed among its `fields`, as an activity diff."""
    before = snapshot(row, fields)
    for name, value in values.items():
        setattr(row, name, value)
    return activity.diff(before, snapshot(row, fields))


async def update_recorded(
    actor: Actor, row: ClientRecord, values: dict[str, Any], fields: tuple[str, ...]
) -> None:
    """Sets `values` on the locked row; writes and records (as "updated") what changed."""
    changes = set_values(row, values, fields)
    if changes:
        await save_changed(row, changes)
        await record(actor, row, "updated", changes)


async def save_changed(row: Model, fields: Iterable[str]) -> None:
    """Writes only `fields` (and `updated_at`): a concurrent change of another column of
    the row is kept."""
    names = list(dict.fromkeys(fields))
    if "updated_at" in row._meta.fields_map and "updated_at" not in names:
        names.append("updated_at")
    await row.save(update_fields=names)


async def transition(
    actor: Actor,
    model: type[RecordT],
    row_id: int | None,
    field: str,
    allowed_from: tuple,
    new_state: Any,
    verb: str,
    *,
    state_of: Callable[[RecordT], Any] | None = None,
    also: Callable[[RecordT], dict[str, Any]] | None = None,
    check: Callable[[RecordT], None] | None = None,
) -> RecordT:
    """Moves the caller's row to `new_state` if its state allows it (setting the values
    `also` gives beside it), with an activity entry.

    The state is read, checked and written under the row's lock, so of two concurrent
    changes the second sees the first's result, and the entry's old value is the real one.
    `state_of` reads the state to check when it is more than the column (an expired quote);
    `check` refuses (raises) what the state alone allows, on the locked row.
    """
    async with write_transaction():
        row = await lock_row(model, actor, row_id)
        state = state_of(row) if state_of else getattr(row, field)
        if state not in allowed_from:
            raise UserErrors.single(
                ErrorCode.INVALID_STATE, "id", state=getattr(state, "value", state)
            )
        if check:
            check(row)
        values = {field: new_state, **(also(row) if also else {})}
        changes = set_values(row, values, tuple(values))
        await save_changed(row, values)
        await record(actor, row, verb, changes)
    return row


def client_record_models() -> list[type[Model]]:
    """Every model whose rows belong to a client (a foreign key named `client`), activity
    included: what a merge moves, an export writes, an erasure settles and an import's undo
    checks. Found from the models, so a new kind of record is never forgotten."""
    found = []
    for name in models.__all__:
        model = getattr(models, name)
        if (
            isinstance(model, type)
            and issubclass(model, Model)
            and isinstance(client := model._meta.fields_map.get("client"), ForeignKeyFieldInstance)
            and client.related_model is Client
        ):
            found.append(model)
    return found
