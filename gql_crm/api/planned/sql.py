"""The SQL each dialect needs to build a response's JSON exactly as the executor writes it."""

import base64
import json
import re
import weakref
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from gql_crm.api.activity.types import api_field_name
from gql_crm.models import Client
from gql_crm.services import global_ids

_to_datetime = Client._meta.fields_map["created_at"].to_python_value


def _sqlite_global_id(type_name: str, pk: int | None) -> str | None:
    return None if pk is None else global_ids.encode(type_name, pk)


def _sqlite_datetime(value: str | None) -> str | None:
    # Through the ORM's own conversion, so the offset and precision are the executor's.
    return None if value is None else _to_datetime(value).isoformat()


def _sqlite_decimal(value: Any, places: int) -> str | None:
    # Only for a value not stored with its column's places (the ORM quantizes on reading).
    return None if value is None else str(Decimal(value).quantize(Decimal(1).scaleb(-places)))


def _sqlite_difference(a: str, b: str) -> str:
    # SQLite would subtract decimals stored as text in floating point.
    return str(Decimal(a) - Decimal(b))


def _sqlite_cursor(values: str) -> str:
    return base64.urlsafe_b64encode(values.encode()).decode().rstrip("=")


class Dialect:
    name: str
    max_object_keys = 1000

    def placeholder(self, number: int) -> str:
        raise NotImplementedError

    def json_object(self, pairs: list[tuple[str, str]]) -> str:
        raise NotImplementedError

    def global_id(self, type_name: str, column: str) -> str:
        raise NotImplementedError

    def json_array(self, items: list[str]) -> str:
        raise NotImplementedError

    def datetime(self, column: str) -> str:
        raise NotImplementedError

    def global_id_of(self, type_expression: str, column: str) -> str:
        """A global ID whose type name is read from a column too."""
        raise NotImplementedError

    def date(self, column: str) -> str:
        raise NotImplementedError

    def decimal(self, column: str, places: int) -> str:
        """A decimal column as the API's Decimal string, with the column's places."""
        raise NotImplementedError

    def money_difference(self, a: str, b: str) -> str:
        raise NotImplementedError

    def days_between(self, day: str, column: str) -> str:
        raise NotImplementedError

    def boolean(self, condition: str) -> str:
        raise NotImplementedError

    def boolean_literal(self, value: bool) -> str:
        raise NotImplementedError

    def json_list(self, item: str, order: str, condition: str | None = None) -> str:
        """A JSON array of `item` over the rows (of a FROM already in `order`)."""
        raise NotImplementedError

    def nested(self, subquery: str) -> str:
        """A subquery's JSON, to embed as JSON (not text) in an enclosing object."""
        return subquery

    def cursor(self, values: str) -> str:
        """pagination.encode_cursor of a JSON array's text: base64url without padding."""
        raise NotImplementedError

    def json_text(self, column: str) -> str:
        """A text column as a JSON string written as Python's json.dumps writes it (a
        cursor's value): every character outside printable ASCII escaped."""
        raise NotImplementedError

    def json_entries(self, column: str) -> str:
        """The members of a JSON object column as rows ("key", "value")."""
        raise NotImplementedError

    def json_member(self, value: str, key: str) -> str:
        """The JSON of `value`'s member `key` (an object's), embeddable as JSON; NULL when
        it has none, as dict.get."""
        raise NotImplementedError

    def json_or(self, value: str, default: str) -> str:
        """The JSON `value`, or the JSON text `default` where it is NULL."""
        raise NotImplementedError

    def code_point_order(self, column: str) -> str:
        """An ORDER BY term sorting text as Python sorts str: by code point."""
        return column

    def api_field_name(self, column: str) -> str:
        """A stored field name as the API spells it (activity.types.api_field_name)."""
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

    def json_array(self, items: list[str]) -> str:
        return "json_build_array(" + ", ".join(items) + ")"

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

    def global_id_of(self, type_expression: str, column: str) -> str:
        return (
            f"CASE WHEN {column} IS NULL THEN NULL ELSE "
            f"encode(convert_to({type_expression} || ':' || {column}::text, 'UTF8'), "
            f"'base64') END"
        )

    def date(self, column: str) -> str:
        return f"to_char({column}, 'YYYY-MM-DD')"

    def decimal(self, column: str, places: int) -> str:
        return f"({column})::text"

    def money_difference(self, a: str, b: str) -> str:
        return f"({a} - {b})::text"

    def days_between(self, day: str, column: str) -> str:
        return f"({day}::date - {column})"

    def boolean(self, condition: str) -> str:
        return f"({condition})"

    def boolean_literal(self, value: bool) -> str:
        return "true" if value else "false"

    def json_list(self, item: str, order: str, condition: str | None = None) -> str:
        only = f" FILTER (WHERE {condition})" if condition else ""
        return f"COALESCE(json_agg({item} ORDER BY {order}){only}, '[]'::json)"

    def cursor(self, values: str) -> str:
        # base64 wraps its lines; base64url has - and _ for + and /.
        return (
            f"rtrim(translate(encode(convert_to({values}, 'UTF8'), 'base64'), E'+/\\n', '-_'), '=')"
        )

    def json_text(self, column: str) -> str:
        # to_json escapes quotes, backslashes and control characters as Python does; every
        # other character outside printable ASCII is escaped here, one by one, beyond the
        # BMP as a surrogate pair.
        code = "ascii(ch)"
        high = f"to_hex(55296 + (({code} - 65536) >> 10))"
        low = f"to_hex(56320 + (({code} - 65536) & 1023))"
        return (
            f"(SELECT string_agg(CASE WHEN {code} BETWEEN 32 AND 126 THEN ch "
            f"WHEN {code} < 65536 THEN '\\u' || lpad(to_hex({code}), 4, '0') "
            f"ELSE '\\u' || {high} || '\\u' || {low} END, '' ORDER BY n) "
            f"FROM regexp_split_to_table(to_json(({column})::text)::text, '') "
            f'WITH ORDINALITY AS "chars"(ch, n))'
        )

    def json_entries(self, column: str) -> str:
        return f"jsonb_each({column})"

    def json_member(self, value: str, key: str) -> str:
        return f"({value} -> {literal(key)})"

    def json_or(self, value: str, default: str) -> str:
        return f"coalesce({value}, {literal(default)}::jsonb)"

    def code_point_order(self, column: str) -> str:
        # UTF-8 bytes sort as their code points.
        return f'{column} COLLATE "C"'

    def api_field_name(self, column: str) -> str:
        # strawberry's to_camel_case on each '.'-separated part: the '_'-separated words
        # after the first capitalized, an empty one (from "__" or a trailing "_") kept as
        # "_". The names are ASCII identifiers, whose upper() and lower() are Python's. A
        # name without an underscore is its own: most are.
        word, number = '"name_word"."word"', '"name_word"."n"'
        capitalized = (
            f"CASE WHEN {number} = 1 THEN {word} WHEN {word} = '' THEN '_' "
            f"ELSE upper(left({word}, 1)) || lower(substr({word}, 2)) END"
        )
        part = (
            f"(SELECT coalesce(string_agg({capitalized}, '' ORDER BY {number}), '') "
            f'FROM regexp_split_to_table("name_part"."part", \'_\') '
            f'WITH ORDINALITY AS "name_word"("word", "n"))'
        )
        return (
            f"CASE WHEN strpos({column}, '_') = 0 THEN {column} ELSE "
            f'(SELECT string_agg({part}, \'.\' ORDER BY "name_part"."n") '
            f"FROM regexp_split_to_table({column}, '[.]') "
            f'WITH ORDINALITY AS "name_part"("part", "n")) END'
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

    def json_array(self, items: list[str]) -> str:
        return "json_array(" + ", ".join(items) + ")"

    def global_id(self, type_name: str, column: str) -> str:
        return f"gql_global_id({literal(type_name)}, {column})"

    def datetime(self, column: str) -> str:
        return f"gql_datetime({column})"

    def global_id_of(self, type_expression: str, column: str) -> str:
        return f"gql_global_id({type_expression}, {column})"

    def date(self, column: str) -> str:
        return column

    def decimal(self, column: str, places: int) -> str:
        # Stored as text, mostly already with the column's places.
        return (
            f"CASE WHEN instr({column}, '.') = length({column}) - {places} THEN {column} "
            f"ELSE gql_decimal({column}, {places}) END"
        )

    def money_difference(self, a: str, b: str) -> str:
        return f"gql_difference({a}, {b})"

    def days_between(self, day: str, column: str) -> str:
        return f"CAST(julianday({day}) - julianday({column}) AS INTEGER)"

    def boolean(self, condition: str) -> str:
        return f"json(CASE WHEN {condition} THEN 'true' ELSE 'false' END)"

    def boolean_literal(self, value: bool) -> str:
        return "json('true')" if value else "json('false')"

    def json_list(self, item: str, order: str, condition: str | None = None) -> str:
        only = f" FILTER (WHERE {condition})" if condition else ""
        return f"json_group_array(json({item})){only}"

    def nested(self, subquery: str) -> str:
        # A subquery's value loses its JSON subtype: json() gives it back.
        return f"json({subquery})"

    def cursor(self, values: str) -> str:
        return f"gql_cursor({values})"

    def json_text(self, column: str) -> str:
        return f"gql_json_text({column})"

    def json_entries(self, column: str) -> str:
        return f"json_each({column})"

    def json_member(self, value: str, key: str) -> str:
        # -> answers JSON text (a string quoted), and NULL for a missing member.
        return f"json({value} -> {literal('$.' + key)})"

    def json_or(self, value: str, default: str) -> str:
        return f"json(coalesce({value}, {literal(default)}))"

    def api_field_name(self, column: str) -> str:
        return f"gql_api_field_name({column})"

    async def execute(self, sql: str, params: list) -> Sequence[Any]:
        client = self.client()
        # SQLite has no base64 nor exact decimals, and stores datetimes as text: small
        # functions, added to each connection the first time it serves a planned statement.
        async with client.acquire_connection() as connection:
            if connection not in self._prepared:
                await connection.create_function(
                    "gql_global_id", 2, _sqlite_global_id, deterministic=True
                )
                await connection.create_function(
                    "gql_datetime", 1, _sqlite_datetime, deterministic=True
                )
                await connection.create_function(
                    "gql_decimal", 2, _sqlite_decimal, deterministic=True
                )
                await connection.create_function(
                    "gql_difference", 2, _sqlite_difference, deterministic=True
                )
                await connection.create_function(
                    "gql_cursor", 1, _sqlite_cursor, deterministic=True
                )
                await connection.create_function("gql_json_text", 1, json.dumps, deterministic=True)
                await connection.create_function(
                    "gql_api_field_name", 1, api_field_name, deterministic=True
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
