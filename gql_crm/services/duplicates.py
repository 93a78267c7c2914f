"""Likely duplicate clients: pairs of an organization's clients that share a key.

The keys are the folded email, the E.164 mobile, the company's tax ID (an EU VAT number and
the national number inside it are one key: ESB12345674 = B12345674) and the folded name
within one company. One statement per page: the organization's keys are listed once, joined
with themselves on equal keys and grouped by pair, so the work grows with the clients and
the pairs found, never with their square.
"""

from dataclasses import dataclass
from enum import StrEnum

from tortoise import connections

from gql_crm.services.pagination import (
    Page,
    SortKey,
    decode_cursor,
    encode_cursor,
    page_size,
)
from gql_crm.services.validation import eu_vat_prefixes


class DuplicateReason(StrEnum):
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    TAX_ID = "TAX_ID"
    NAME_AND_COMPANY = "NAME_AND_COMPANY"


@dataclass(frozen=True)
class DuplicatePair:
    """Two clients, the newer one first, and every key they share."""

    client_id: int
    other_id: int
    reasons: tuple[DuplicateReason, ...]


# Newest pairs first: a client just added (or imported) and what it duplicates lead the list.
KEYS = [SortKey("client_id", True, int), SortKey("other_id", True, int)]

# A client merged into another and archived is done with; an archived client otherwise is
# a candidate (an archived client and a new one with its email are a classic duplicate), but
# a pair needs one active client to be worth merging.
_CANDIDATE = """("status" = 'ACTIVE' OR "merged_into_id" IS NULL)"""


def _statement(prefixes: list[str]) -> str:
    vat = ", ".join(f"'{prefix}'" for prefix in prefixes)
    # lower() folds the email as the active-email key does for the ASCII addresses nearly
    # all are (SQLite's lower() leaves other letters as they are).
    return f"""
WITH "keyed" AS (
    SELECT "id", 'EMAIL' AS "reason", LOWER("email") AS "key", 0 AS "scope",
           "status" = 'ACTIVE' AS "active"
    FROM "client" WHERE "organization_id" = {{org}} AND "email" IS NOT NULL AND {_CANDIDATE}
    UNION ALL
    SELECT "id", 'PHONE', "mobile", 0, "status" = 'ACTIVE'
    FROM "client" WHERE "organization_id" = {{org}} AND "mobile" IS NOT NULL AND {_CANDIDATE}
    UNION ALL
    SELECT "id", 'NAME_AND_COMPANY', "name_key", "company_id", "status" = 'ACTIVE'
    FROM "client"
    WHERE "organization_id" = {{org}} AND "company_id" IS NOT NULL AND {_CANDIDATE}
    UNION ALL
    SELECT "client"."id", 'TAX_ID',
           CASE WHEN SUBSTR("company"."tax_id", 1, 2) IN ({vat})
                THEN SUBSTR("company"."tax_id", 3) ELSE "company"."tax_id" END,
           0, "client"."status" = 'ACTIVE'
    FROM "client" JOIN "company" ON "company"."id" = "client"."company_id"
    WHERE "client"."organization_id" = {{org}} AND "company"."tax_id" IS NOT NULL
      AND ("client"."status" = 'ACTIVE' OR "client"."merged_into_id" IS NULL)
),
"pairs" AS (
    SELECT "newer"."id" AS "client_id", "older"."id" AS "other_id", "newer"."reason"
    FROM "keyed" "newer"
    JOIN "keyed" "older"
      ON "older"."reason" = "newer"."reason" AND "older"."key" = "newer"."key"
     AND "older"."scope" = "newer"."scope" AND "older"."id" < "newer"."id"
    WHERE "newer"."active" OR "older"."active"
),
"grouped" AS (
    SELECT "client_id", "other_id",
           MAX(CASE WHEN "reason" = 'EMAIL' THEN 1 ELSE 0 END) AS "email",
           MAX(CASE WHEN "reason" = 'PHONE' THEN 1 ELSE 0 END) AS "phone",
           MAX(CASE WHEN "reason" = 'TAX_ID' THEN 1 ELSE 0 END) AS "tax_id",
           MAX(CASE WHEN "reason" = 'NAME_AND_COMPANY' THEN 1 ELSE 0 END) AS "name_and_company"
    FROM "pairs" GROUP BY "client_id", "other_id"
)
"""


def _sql(template: str, dialect: str) -> str:
    # Numbered placeholders, each usable several times: $n on PostgreSQL, ?n on SQLite.
    mark = "$" if dialect == "postgres" else "?"
    return template.format(org=f"{mark}1", after_client=f"{mark}2", after_other=f"{mark}3")


async def duplicate_pairs(
    org_id: int, *, first: int | None, after: str | None, max_page_size: int
) -> Page[DuplicatePair]:
    """A page of the organization's likely duplicate pairs, newest first."""
    size = page_size(first, after, None, None, max_page_size)
    connection = connections.get("default")
    dialect = connection.capabilities.dialect
    common = _statement(sorted(eu_vat_prefixes()))
    params: list = [org_id]
    where = ""
    if after:
        client_id, other_id = decode_cursor(after, KEYS)
        params += [client_id, other_id]
        where = (
            'WHERE "client_id" < {after_client} '
            'OR ("client_id" = {after_client} AND "other_id" < {after_other})'
        )
    sql = _sql(
        common + f'SELECT * FROM "grouped" {where} '
        f'ORDER BY "client_id" DESC, "other_id" DESC LIMIT {size + 1}',
        dialect,
    )
    rows = (await connection.execute_query_dict(sql, params))[: size + 1]
    pairs = [
        DuplicatePair(
            row["client_id"],
            row["other_id"],
            tuple(reason for reason in DuplicateReason if row[reason.value.lower()]),
        )
        for row in rows
    ]

    async def count() -> int:
        counted = _sql(common + 'SELECT COUNT(*) AS "n" FROM "grouped"', dialect)
        return (await connection.execute_query_dict(counted, [org_id]))[0]["n"]

    return Page(
        items=pairs[:size],
        cursors=[encode_cursor([pair.client_id, pair.other_id]) for pair in pairs[:size]],
        has_next_page=len(pairs) > size,
        has_previous_page=bool(after),
        count=count,
    )
