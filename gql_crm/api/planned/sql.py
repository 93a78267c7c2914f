"""The SQL each dialect needs to build a response's JSON exactly as the executor writes it."""

import re
import weakref
from collections.abc import Sequence
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from gql_crm.models import Client
from gql_crm.services import global_ids

_to_datetime = Client._meta.fields_map["created_at"].to_python_value


def _sqlite_global_id(type_name: str, pk: int | None) -> str | None:
    return None if pk is None else global_ids.encode(type_name, pk)


def _sqlite_datetime(value: str | None) -> str | None:
    # Through the ORM's own conversion, so the offset and precision are the executor's.
    return None if value is None else _to_datetime(value).isoformat()


class Dialect:
    name: str
    max_object_keys = 1000

    def placeholder(self, number: int) -> str:
        raise NotImplementedError

    def json_object(self, pairs: list[tuple[str, str]]) -> str:
        raise NotImplementedError

    def global_id(self, type_name: str, column: str) -> str:
        raise NotImplementedError

    def datetime(self, column: str) -> str:
        raise NotImplementedError

    def as_text(self, expression: str) -> str:
        return expression

    def shift_placeholders(self, sql: str, offset: int) -> str:
        return sql

    async def execute(self, sql: str, params: list) -> Sequence[Any]:
        _, rows = await self.client().execute_query(sql, params)
        return rows

    def client(self) -> BaseDBAsyncClient:
        return connections.get("default")


def literal(text: str) -> str:
    """A string literal; only ever GraphQL names and type names, but quoted safely anyway."""
    return "'" + text.replace("'", "''") + "'"


class Postgres(Dialect):
    name = "postgres"
    # json_build_object takes at most 100 arguments.
    max_object_keys = 50

    def placeholder(self, number: int) -> str:
        return f"${number}"

    def json_object(self, pairs: list[tuple[str, str]]) -> str:
        return "json_build_object(" + ", ".join(f"{literal(k)}, {v}" for k, v in pairs) + ")"

    def global_id(self, type_name: str, column: str) -> str:
        # Short enough ("Type:2147483647") that encode() never wraps the line.
        return (
            f"CASE WHEN {column} IS NULL THEN NULL ELSE "
            f"encode(convert_to({literal(type_name + ':')} || {column}::text, 'UTF8'), "
            f"'base64') END"
        )

    def datetime(self, column: str) -> str:
        # datetime.isoformat(): microseconds only when there are any, and the UTC offset.
        utc = f"({column} AT TIME ZONE 'UTC')"
        return (
            f"CASE WHEN {column} IS NULL THEN NULL ELSE "
            f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
            f"CASE WHEN extract(microseconds FROM {utc})::bigint % 1000000 = 0 THEN '' "
            f"ELSE to_char({utc}, '.US') END || '+00:00' END"
        )

    def as_text(self, expression: str) -> str:
        return f"({expression})::text"

    def shift_placeholders(self, sql: str, offset: int) -> str:
        return re.sub(r"\$(\d+)", lambda m: f"${int(m.group(1)) + offset}", sql)


class Sqlite(Dialect):
    name = "sqlite"

    def __init__(self) -> None:
        self._prepared: weakref.WeakSet = weakref.WeakSet()

    def placeholder(self, number: int) -> str:
        return "?"

    def json_object(self, pairs: list[tuple[str, str]]) -> str:
        return "json_object(" + ", ".join(f"{literal(k)}, {v}" for k, v in pairs) + ")"

    def global_id(self, type_name: str, column: str) -> str:
        return f"gql_global_id({literal(type_name)}, {column})"

    def datetime(self, column: str) -> str:
        return f"gql_datetime({column})"

    async def execute(self, sql: str, params: list) -> Sequence[Any]:
        client = self.client()
        # SQLite has no base64 and stores datetimes as text: two small functions, added to
        # each connection the first time it serves a planned statement.
        async with client.acquire_connection() as connection:
            if connection not in self._prepared:
                await connection.create_function(
                    "gql_global_id", 2, _sqlite_global_id, deterministic=True
                )
                await connection.create_function(
                    "gql_datetime", 1, _sqlite_datetime, deterministic=True
                )
                self._prepared.add(connection)
        return await super().execute(sql, params)


def dialect_of(client: BaseDBAsyncClient) -> Dialect | None:
    name = client.capabilities.dialect
    if name == "postgres":
        return Postgres()
    if name == "sqlite":
        return Sqlite()
    return None
