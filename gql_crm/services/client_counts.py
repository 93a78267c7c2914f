"""The total of the plain clients list (no search, no filter but the status) on PostgreSQL,
read from the counts the database keeps (migration 0018) instead of counted over the rows.

Counting 100,000 clients reads 100,000 index entries, and the heap's too for every page
the visibility map does not yet show all-visible (after any write): 5 ms at best, most of a
`totalCount` request. The kept counts are rows of (organization, status, difference) that
every statement writing clients adds in its own transaction, so their sum is exact in any
snapshot, the statement's own included. A list with a search or a filter is counted over
its rows, as on SQLite, whose count over a local file costs less than a round trip.
"""

from tortoise import connections

from gql_crm.models import ClientStatus
from gql_crm.services import background
from gql_crm.services.clients import ClientFilter, clients_queryset, search_terms

# How often a server folds the kept counts (`compaction`): each client write adds a row.
COMPACT_INTERVAL_SECONDS = 60.0


def total_statement(
    dialect: str, org_id: int, search: str | None, filters: ClientFilter
) -> tuple[str, list] | None:
    """The statement (placeholders from $1) of the list's total when the database keeps it,
    else None: the list is then counted over its rows."""
    if (
        dialect != "postgres"
        or search_terms(search)
        or filters != ClientFilter(status=filters.status)
    ):
        return None
    sql = (
        'SELECT COALESCE(SUM("delta"), 0)::bigint FROM "client_count" WHERE "organization_id" = $1'
    )
    if filters.status is None:
        return sql, [org_id]
    return f'{sql} AND "status" = $2', [org_id, ClientStatus(filters.status).value]


async def count_clients(org_id: int, search: str | None, filters: ClientFilter) -> int:
    """The number of clients the list shows across its pages."""
    connection = connections.get("default")
    statement = total_statement(connection.capabilities.dialect, org_id, search, filters)
    if statement is None:
        return await clients_queryset(org_id, search, filters).count()
    _, rows = await connection.execute_query(*statement)
    return int(rows[0][0])


async def compact() -> None:
    """Folds the kept counts into one row per organization and status, and drops the totals
    of 0 (an organization deleted). One statement: a writer's rows not yet committed are not
    seen and stay; two compactions at once each fold only the rows they deleted."""
    connection = connections.get("default")
    if connection.capabilities.dialect != "postgres":
        return
    # Only the totals of several rows (or of 0): a server with nothing to fold writes nothing.
    await connection.execute_script(
        'WITH "folded" AS (DELETE FROM "client_count" WHERE ("organization_id", "status") IN '
        '(SELECT "organization_id", "status" FROM "client_count" '
        'GROUP BY "organization_id", "status" HAVING COUNT(*) > 1 OR SUM("delta") = 0) '
        'RETURNING "organization_id", "status", "delta") '
        'INSERT INTO "client_count" ("organization_id", "status", "delta") '
        'SELECT "organization_id", "status", SUM("delta") FROM "folded" '
        'GROUP BY "organization_id", "status" HAVING SUM("delta") <> 0'
    )


def compaction(interval: float = COMPACT_INTERVAL_SECONDS):
    """For a server's lifetime, `compact` every `interval` seconds, so that the rows a total
    sums stay about as many as the client writes of one interval."""
    return background.running(
        background.every(interval, compact, "compacting the client counts"),
        "client-count-compaction",
    )
