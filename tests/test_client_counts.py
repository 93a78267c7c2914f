"""totalCount of the clients list. On PostgreSQL the plain list's total (no search, no filter
but the status) is the sum of the counts the database keeps (migration 0018,
services/client_counts.py); every way clients are written must keep it equal to a count
over the rows, on the planned path and on the executor, while writes run at once and while
the counts are folded. On SQLite the same tests check the count over the rows.
"""

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tortoise import connections

from gql_crm.models import Client, Role
from gql_crm.services import client_counts
from tests.conftest import TEST_DATABASE_URL
from tests.helpers import ARCHIVE_CLIENT, RESTORE_CLIENT, create_client, pk_of
from tests.imports import csv_bytes, run_import

POSTGRES = not TEST_DATABASE_URL.startswith("sqlite")
TOTAL = "query($filter: ClientFilter) { clients(first: 1, filter: $filter) { totalCount } }"
FILTERS = {"ACTIVE": {"status": "ACTIVE"}, "ARCHIVED": {"status": "ARCHIVED"}, None: {}}
MERGE = """mutation($input: MergeClientsInput!) {
  mergeClients(input: $input) { client { id } errors { code field message } } }"""
ERASE = """mutation($id: ID!, $confirm: String!) {
  eraseClient(id: $id, confirm: $confirm) { erasedClientId errors { code field message } } }"""
UNDO = """mutation($id: ID!) {
  undoImportJob(id: $id) { importJob { id status } errors { code field message } } }"""
# `filter: {}` lists every status; no `filter` lists the active clients.
ALL_STATUSES = {"status": None}


async def counted_over_rows(org_id: int) -> dict:
    rows = Client.filter(organization_id=org_id)
    active = await rows.filter(status="ACTIVE").count()
    archived = await rows.filter(status="ARCHIVED").count()
    return {"ACTIVE": active, "ARCHIVED": archived, None: active + archived}


async def kept(org_id: int) -> dict:
    """The database's kept counts, summed per status (PostgreSQL)."""
    rows = await connections.get("default").execute_query_dict(
        'SELECT "status", SUM("delta")::bigint AS "total" FROM "client_count" '
        'WHERE "organization_id" = $1 GROUP BY "status"',
        [org_id],
    )
    totals = {row["status"]: row["total"] for row in rows}
    active, archived = totals.get("ACTIVE", 0), totals.get("ARCHIVED", 0)
    return {"ACTIVE": active, "ARCHIVED": archived, None: active + archived}


async def assert_exact(org, executor_http) -> dict:
    """Both paths' totalCount for each status equals the count over the rows; returns it."""
    expected = await counted_over_rows(org.id)
    token = org.tokens[Role.ADMIN]
    for status, flt in FILTERS.items():
        variables = {"filter": flt or ALL_STATUSES}
        planned = (await org.data(TOTAL, variables))["clients"]["totalCount"]
        response = await executor_http.post(
            "/graphql",
            json={"query": TOTAL, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
        executed = response.json()["data"]["clients"]["totalCount"]
        assert (status, planned, executed) == (status, expected[status], expected[status])
    if POSTGRES:
        assert await kept(org.id) == expected
    return expected


async def new_clients(org, count: int, prefix: str = "Cliente") -> list[str]:
    created = await asyncio.gather(
        *(create_client(org, name=f"{prefix} {n}", email=f"{prefix}{n}@x.es") for n in range(count))
    )
    return [client["id"] for client in created]


async def mutate(org, document: str, variables: dict) -> dict:
    data = await org.data(document, variables)
    payload = next(iter(data.values()))
    assert payload["errors"] == [], payload["errors"]
    return payload


async def test_every_way_of_writing_clients_keeps_the_total_exact(org, executor_http):
    ids = await new_clients(org, 6)
    assert (await assert_exact(org, executor_http))["ACTIVE"] == 6

    await mutate(org, ARCHIVE_CLIENT, {"id": ids[0]})
    await mutate(org, ARCHIVE_CLIENT, {"id": ids[1]})
    await mutate(org, RESTORE_CLIENT, {"id": ids[1]})
    assert await assert_exact(org, executor_http) == {"ACTIVE": 5, "ARCHIVED": 1, None: 6}

    await mutate(org, MERGE, {"input": {"keepId": ids[2], "mergeIds": [ids[3]]}})
    await mutate(
        org, MERGE, {"input": {"keepId": ids[2], "mergeIds": [ids[4]], "mergedClients": "DELETE"}}
    )
    assert await assert_exact(org, executor_http) == {"ACTIVE": 3, "ARCHIVED": 2, None: 5}

    await mutate(org, ERASE, {"id": ids[5], "confirm": "Cliente 5"})
    assert await assert_exact(org, executor_http) == {"ACTIVE": 2, "ARCHIVED": 2, None: 4}

    rows = [["Name", "Email"]] + [[f"Importado {n}", f"imp{n}@x.es"] for n in range(40)]
    job = await run_import(org, csv_bytes(rows))
    assert job["status"] == "SUCCEEDED", job
    assert (await assert_exact(org, executor_http))["ACTIVE"] == 42

    undone = await mutate(org, UNDO, {"id": job["id"]})
    assert undone["importJob"]["id"] == job["id"]
    for _ in range(200):
        if await Client.filter(organization_id=org.id, name__startswith="Importado").count() == 0:
            break
        await asyncio.sleep(0.05)
    assert (await assert_exact(org, executor_http))["ACTIVE"] == 2

    # Writes that bypass the API (a script, a console) go through the same triggers.
    await Client.filter(organization_id=org.id, status="ARCHIVED").delete()
    assert await assert_exact(org, executor_http) == {"ACTIVE": 2, "ARCHIVED": 0, None: 2}


async def test_writes_and_foldings_at_once_keep_the_total_exact(org, executor_http):
    ids = await new_clients(org, 12)
    for trial in range(3):
        archived_before = ids[4 * trial - 4 : 4 * trial] if trial else []
        await asyncio.gather(
            *(
                mutate(org, ARCHIVE_CLIENT, {"id": client_id})
                for client_id in ids[4 * trial : 4 * trial + 4]
            ),
            *(mutate(org, RESTORE_CLIENT, {"id": client_id}) for client_id in archived_before),
            new_clients(org, 4, prefix=f"Ronda{trial}"),
            client_counts.compact(),
            client_counts.compact(),
        )
        await assert_exact(org, executor_http)
    await client_counts.compact()
    expected = await assert_exact(org, executor_http)
    assert expected[None] == 24
    if POSTGRES:
        rows = await connections.get("default").execute_query_dict(
            'SELECT "status" FROM "client_count" WHERE "organization_id" = $1', [org.id]
        )
        # Folded: one row per status that has clients.
        assert sorted(row["status"] for row in rows) == sorted(
            status for status in ("ACTIVE", "ARCHIVED") if expected[status]
        )


async def test_folding_drops_the_totals_that_came_back_to_zero(org, executor_http):
    await new_clients(org, 3)
    await Client.filter(organization_id=org.id).delete()
    await client_counts.compact()
    assert await assert_exact(org, executor_http) == {"ACTIVE": 0, "ARCHIVED": 0, None: 0}
    if POSTGRES:
        rows = await connections.get("default").execute_query_dict(
            'SELECT 1 FROM "client_count" WHERE "organization_id" = $1', [org.id]
        )
        assert rows == []


async def test_only_the_plain_list_reads_the_kept_counts(org, sql_statements):
    await new_clients(org, 3)
    await mutate(org, ARCHIVE_CLIENT, {"id": (await new_clients(org, 1, "Archivado"))[0]})
    cases = [
        ({}, 3, True),
        ({"filter": ALL_STATUSES}, 4, True),
        ({"filter": {"status": "ARCHIVED"}}, 1, True),
        ({"search": "cliente"}, 3, False),
        ({"filter": {"createdAfter": "2000-01-01T00:00:00Z"}}, 3, False),
    ]
    query = """query($search: String, $filter: ClientFilter) {
      clients(first: 1, search: $search, filter: $filter) { totalCount } }"""
    for variables, total, from_kept_counts in cases:
        sql_statements.clear()
        assert (await org.data(query, variables))["clients"]["totalCount"] == total
        reads_kept = any('"client_count"' in statement for statement in sql_statements)
        assert reads_kept == (POSTGRES and from_kept_counts), (variables, sql_statements)


operations = st.lists(
    st.sampled_from(["create", "archive", "restore", "merge", "merge_delete", "delete"]),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=operations)
async def test_any_sequence_of_writes_keeps_the_total_exact(make_org, executor_http, steps):
    org = await make_org()
    ids = await new_clients(org, 2)
    for step in steps:
        rows = await Client.filter(organization_id=org.id).values_list("id", "status")
        live = [pk for pk, status in rows if status == "ACTIVE"]
        archived = [pk for pk, status in rows if status == "ARCHIVED"]
        gid = {pk: client_id for client_id in ids for pk in [pk_of(client_id)]}
        if step == "create" or not live:
            ids += await new_clients(org, 1, prefix=f"Paso{len(ids)}")
        elif step == "archive":
            await mutate(org, ARCHIVE_CLIENT, {"id": gid[live[0]]})
        elif step == "restore" and archived:
            # A merged client is refused (INVALID_STATE): that is a write too, of nothing.
            await org.gql(RESTORE_CLIENT, {"id": gid[archived[0]]})
        elif step in ("merge", "merge_delete") and len(live) > 1:
            merged = "DELETE" if step == "merge_delete" else "ARCHIVE"
            await mutate(
                org,
                MERGE,
                {
                    "input": {
                        "keepId": gid[live[0]],
                        "mergeIds": [gid[live[1]]],
                        "mergedClients": merged,
                    }
                },
            )
        elif step == "delete":
            await Client.filter(id=live[-1]).delete()
        await assert_exact(org, executor_http)
