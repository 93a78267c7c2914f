"""An import's batch writes: each table's rows in one statement per batch, per dialect.

Tortoise's bulk_create and bulk_update convert every field of every row through the field
objects and build a new statement each call; an import's values are already clean and of
the columns' types, so they go to the driver as tuples, each converted once.

A batch's inserts are one statement per table whatever the batch's size: COPY on
PostgreSQL (no statement to plan or run per row; the ids are taken from the table's
sequence first, so no query reads them back), and on SQLite one INSERT ... VALUES with
every value a bound argument (up to the argument limit: a batch of 1,000 clients is one
statement). One statement matters on SQLite: the FTS5 search table's trigger (migration
0005) flushes the index it builds at the end of each statement, so an executemany, a
statement per row, cost the index a segment per client, four times the insert itself.
Bound arguments rather than one JSON array of the rows (INSERT ... SELECT over
json_each, the former way): neither the encoding nor a json_extract per value, a third
less for the client insert, search index included. Updates differ row by row in their
columns: one executemany per set of columns.

`tests/test_import_writer.py` compares what these statements store with what the ORM
stores for the same input, on both databases.
"""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from functools import cache, lru_cache
from itertools import chain
from typing import Any

import asyncpg
from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.models import Model

from gql_crm.models import Activity, Client, ClientStatus, Company, Gender
from gql_crm.services import activity
from gql_crm.services.clients import ADDRESS_FIELDS, COMPANY_FIELDS
from gql_crm.services.imports.options import UPDATABLE


@dataclass(slots=True)
class NewClient:
    """A client to insert: plain attributes, as a model instance costs a third of an
    import's time in Model.__init__ and __setattr__."""

    name: str
    email: str | None = None
    mobile: str | None = None
    country: str | None = None
    gender: Gender | None = None
    language: str | None = None
    category_id: int | None = None
    company_id: int | None = None
    name_key: str = ""
    active_email_key: str | None = None
    search_text: str = ""
    status: ClientStatus = ClientStatus.ACTIVE


@dataclass(slots=True)
class NewCompany:
    """A company the import creates: `insert_companies` returns its id."""

    name: str
    name_key: str
    legal_name: str | None = None
    tax_id: str | None = None
    website: str | None = None
    office_phone: str | None = None
    street: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    updated_at: datetime | None = None


@dataclass(slots=True, kw_only=True)
class CompanyRow(NewCompany):
    """A company the database holds, read by `select_in`, that the import may change."""

    id: int


# In the order of `insert_companies`' values.
COMPANY_COLUMNS = ("id", "name", "name_key", *COMPANY_FIELDS[1:], *ADDRESS_FIELDS)
CLIENT_INSERT = (
    "organization_id",
    "created_at",
    "name",
    "name_key",
    "email",
    "active_email_key",
    "mobile",
    "country",
    "gender",
    "language",
    "category_id",
    "company_id",
    "status",
    "search_text",
    "import_job_id",
    "updated_at",
)
COMPANY_INSERT = (
    "organization_id",
    "created_at",
    *COMPANY_COLUMNS[1:],
    "import_job_id",
    "updated_at",
)
ACTIVITY_INSERT = (
    "organization_id",
    "created_at",
    "client_id",
    "actor_id",
    "verb",
    "target_type",
    "target_id",
    "changes",
    "import_job_id",
)
_CHANGES = Activity._meta.fields_map["changes"]
assert isinstance(_CHANGES, fields.JSONField)
_ENCODE_JSON = _CHANGES.encoder
# The fields of a created client's entry the writer learns only when it writes: the last
# ones of UPDATABLE, so their encoding is appended to that of the others.
LINKS = ("category_id", "company_id")
OWN = UPDATABLE[: -len(LINKS)]
assert UPDATABLE[-len(LINKS) :] == LINKS


def own_created_changes(client: dict[str, Any]) -> str:
    """The "imported" entry's changes of the client's own fields, encoded as the ORM
    encodes the whole, without the braces; the cleaning worker computes it."""
    return _ENCODE_JSON(activity.created({name: client.get(name) for name in OWN}))[1:-1]


# Bounded: a category's link comes back on many rows; a company's is mostly one client's,
# and an unbounded cache kept every company id of every import for the process's life.
@lru_cache(maxsize=1024)
def _link_changes(name: str, value: int) -> str:
    return "," + _ENCODE_JSON({name: {"old": None, "new": value}})[1:-1]


def created_changes(own: str, client: "NewClient") -> str:
    """The whole "imported" entry's changes: `diff({}, UPDATABLE values)`, encoded."""
    links = "".join(
        _link_changes(name, value)
        for name, value in (("category_id", client.category_id), ("company_id", client.company_id))
        if value is not None
    )
    return "{" + own + links + "}"


def _quoted(model: type[Model], field: str) -> str:
    return '"' + model._meta.fields_db_projection[field] + '"'


# asyncpg binds at most 32,767 arguments to one statement (SQLite's default limit is 32,766).
MAX_ARGUMENTS = 32_766


# A statement per size of chunk: a batch's full size, and its remainders.
@lru_cache(maxsize=16)
def _insert_values(model: type[Model], columns: tuple[str, ...], count: int) -> str:
    """SQLite: `count` rows in one statement, in order, every value a bound argument."""
    names = ", ".join(_quoted(model, column) for column in columns)
    row = "(" + ", ".join("?" * len(columns)) + ")"
    return f'INSERT INTO "{model._meta.db_table}" ({names}) VALUES ' + ", ".join([row] * count)


@cache
def _last_ids(model: type[Model]) -> str:
    """SQLite: the ids of the job's last rows, newest first (index on (import_job_id, id))."""
    return (
        f'SELECT "id" FROM "{model._meta.db_table}" WHERE "import_job_id" = ? '
        'ORDER BY "id" DESC LIMIT ?'
    )


@cache
def _next_ids(model: type[Model]) -> str:
    """PostgreSQL: as many ids from the table's sequence as a batch inserts."""
    table = model._meta.db_table
    return (
        f"SELECT nextval(pg_get_serial_sequence('\"{table}\"', 'id')) AS id "
        "FROM generate_series(1, $1)"
    )


@cache
def _update(model: type[Model], columns: tuple[str, ...], dialect: str) -> str:
    """UPDATE of `columns` by id; the id is the last argument."""
    marks = ["?" if dialect == "sqlite" else f"${n}" for n in range(1, len(columns) + 2)]
    assignments = ", ".join(
        f"{_quoted(model, column)} = {mark}"
        for column, mark in zip(columns, marks[:-1], strict=True)
    )
    return f'UPDATE "{model._meta.db_table}" SET {assignments} WHERE "id" = {marks[-1]}'


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


class Writer:
    """The statements of one batch, on the batch's transaction."""

    def __init__(
        self,
        connection: BaseDBAsyncClient,
        org_id: int,
        job_id: int,
        actor_id: int | None,
        stamp: datetime,
    ):
        self.connection = connection
        self.dialect = connection.capabilities.dialect
        self.org_id, self.job_id, self.actor_id = org_id, job_id, actor_id
        # Converted once: asyncpg takes the datetime, SQLite stores the text sqlite3 makes
        # of one (what the ORM's inserts store).
        self.stamp: datetime | str = stamp if self.dialect == "postgres" else stamp.isoformat(" ")

    async def insert_clients(self, clients: Sequence[NewClient]) -> list[int]:
        """Inserts the clients; their ids, in order. Gender and status are StrEnums: both
        drivers take them as the text they are."""
        org_id, job_id, stamp = self.org_id, self.job_id, self.stamp
        return await self._insert(
            Client,
            CLIENT_INSERT,
            [
                (
                    org_id,
                    stamp,
                    c.name,
                    c.name_key,
                    c.email,
                    c.active_email_key,
                    c.mobile,
                    c.country,
                    c.gender,
                    c.language,
                    c.category_id,
                    c.company_id,
                    c.status,
                    c.search_text,
                    job_id,
                    stamp,
                )
                for c in clients
            ],
            with_ids=True,
        )

    async def insert_companies(self, companies: Sequence[NewCompany]) -> list[int]:
        """Inserts the companies; their ids, in order."""
        org_id, job_id, stamp = self.org_id, self.job_id, self.stamp
        return await self._insert(
            Company,
            COMPANY_INSERT,
            [
                (
                    org_id,
                    stamp,
                    c.name,
                    c.name_key,
                    c.legal_name,
                    c.tax_id,
                    c.website,
                    c.office_phone,
                    c.street,
                    c.city,
                    c.state,
                    c.postal_code,
                    c.country,
                    job_id,
                    stamp,
                )
                for c in companies
            ],
            with_ids=True,
        )

    async def insert_activity(
        self, entries: Iterable[tuple[int, str, str, int, dict | str]]
    ) -> None:
        """(client id, verb, target type, target id, changes, as a dict or encoded)."""
        org_id, job_id, actor_id, stamp = self.org_id, self.job_id, self.actor_id, self.stamp
        rows = [
            (
                org_id,
                stamp,
                client_id,
                actor_id,
                verb,
                target_type,
                target_id,
                changes if type(changes) is str else _ENCODE_JSON(changes),
                job_id,
            )
            for client_id, verb, target_type, target_id, changes in entries
        ]
        await self._insert(Activity, ACTIVITY_INSERT, rows, with_ids=False)

    async def _insert(
        self, model: type[Model], columns: tuple[str, ...], rows: list[tuple], *, with_ids: bool
    ) -> list[int]:
        """The rows in one statement; their ids, in the rows' order, when asked."""
        if not rows:
            return []
        connection = self.connection
        if self.dialect == "sqlite":
            per_statement = MAX_ARGUMENTS // len(columns)
            for start in range(0, len(rows), per_statement):
                chunk = rows[start : start + per_statement]
                await connection.execute_query(
                    _insert_values(model, columns, len(chunk)),
                    list(chain.from_iterable(chunk)),
                )
            if not with_ids:
                return []
            # The batch's rows are the job's newest: no other writer inserts rows of the
            # job, and SQLite gives an insert's rows increasing ids in the order inserted.
            found = await connection.execute_query(_last_ids(model), [self.job_id, len(rows)])
            return [row[0] for row in reversed(found[1])]
        ids: list[int] = []
        if with_ids:
            found = await connection.execute_query(_next_ids(model), [len(rows)])
            ids = sorted(row["id"] for row in found[1])
            rows = [(pk, *row) for pk, row in zip(ids, rows, strict=True)]
            columns = ("id", *columns)
        names = [model._meta.fields_db_projection[column] for column in columns]
        # The transaction's own asyncpg connection (acquire_connection returns it inside
        # a transaction): Tortoise has no COPY of its own.
        async with connection.acquire_connection() as raw:
            try:
                await raw.copy_records_to_table(model._meta.db_table, records=rows, columns=names)
            except asyncpg.IntegrityConstraintViolationError as exc:
                # As Tortoise raises it for its own statements: a concurrent request took
                # an email after the look-up, and the batch is planned again.
                raise IntegrityError(exc) from exc
        return ids


async def begin_batch(connection: BaseDBAsyncClient) -> None:
    """Settings for the rest of a batch's transaction, on PostgreSQL (SET LOCAL).

    plan_cache_mode: the connections force custom plans (db.py) so that look-ups by lists
    of keys are planned for the table as it is now; here that made PostgreSQL plan the
    foreign-key checks of every inserted row again (the batch's statements are inserts and
    updates by id, whose generic plans are right whatever the tables' size): twice the
    insert's cost. synchronous_commit: the commit does not wait for the WAL to reach the
    disk. A crash may lose the last batches and never half of one, as each batch commits
    its rows with the job's progress; the job is then found RUNNING and rolled back, and
    its final status commits synchronously, which flushes every batch before it.
    """
    if connection.capabilities.dialect == "postgres":
        await connection.execute_script(
            "SET LOCAL plan_cache_mode = auto; SET LOCAL synchronous_commit = off"
        )


async def update(
    connection: BaseDBAsyncClient, model: type[Model], rows: Iterable[tuple[Any, Sequence[str]]]
) -> None:
    """Each row's own changed columns, one executemany per set of columns; a row is a model or
    a plain row read by select_in (CompanyRow), with its `id`."""
    dialect = connection.capabilities.dialect
    groups: dict[tuple[str, ...], list[tuple]] = {}
    for row, columns in rows:
        values = tuple(_plain(getattr(row, column)) for column in columns)
        groups.setdefault(tuple(columns), []).append((*values, row.id))
    for columns, group in groups.items():
        await _execute_many(connection, _update(model, columns, dialect), group)


async def _execute_many(
    connection: BaseDBAsyncClient, sql: str, rows: Sequence[Sequence[Any]]
) -> None:
    # Tortoise types the rows as lists; both drivers take any sequence, and tuples spare
    # the import a copy of each row.
    await connection.execute_many(sql, rows)  # type: ignore[arg-type]


@cache
def _select_in(model: type[Model], columns: tuple[str, ...], key: str, dialect: str) -> str:
    names = ", ".join(_quoted(model, column) for column in columns)
    table, key_type, key = model._meta.db_table, _key_type(model, key), _quoted(model, key)
    if dialect == "sqlite":
        return (
            f'SELECT {names} FROM "{table}" WHERE "organization_id" = ? '
            f"AND {key} IN (SELECT value FROM json_each(?))"
        )
    # One probe of the key's own index per value (0021), the organization checked on the
    # rows found. Asked for the key and the organization in one scan, PostgreSQL may plan a
    # walk of the organization's rows through another index, filtered: whenever its
    # statistics are older than the organization's growth, as during an import into a new
    # organization (33 ms a batch at 90,000 clients, and more with each batch). OFFSET 0
    # keeps the organization's condition out of the subquery, and the subquery from being
    # merged into a join.
    found = ", ".join(f"m.{_quoted(model, column)}" for column in columns)
    return (
        f"SELECT {found} FROM unnest($2::{key_type}[]) AS k(value) CROSS JOIN LATERAL "
        f'(SELECT {names}, "organization_id" FROM "{table}" WHERE {key} = k.value OFFSET 0) '
        'AS m WHERE m."organization_id" = $1'
    )


def _key_type(model: type[Model], key: str) -> str:
    return "bigint" if isinstance(model._meta.fields_map[key], fields.IntField) else "text"


async def select_in(
    connection: BaseDBAsyncClient,
    model: type[Model],
    columns: Sequence[str],
    key: str,
    values: Sequence[str | int],
    org_id: int,
) -> list[dict]:
    """The organization's rows whose column `key` (text, or an id) is one of `values`.

    The whole list is one parameter (an array on PostgreSQL, a JSON array on SQLite): the
    statement is the same whatever the list, so it is prepared once, and no list comes
    near PostgreSQL's 32,767 arguments.
    """
    dialect = connection.capabilities.dialect
    parameter = json.dumps(values) if dialect == "sqlite" else values
    return await connection.execute_query_dict(
        _select_in(model, tuple(columns), key, dialect), [org_id, parameter]
    )
