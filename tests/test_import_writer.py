"""The import writes rows through its own prepared statements (services/imports/writer.py):
what they store must be what the ORM stores for the same data, column by column."""

import json
from datetime import datetime

import pytest
from tortoise import connections

from gql_crm.models import Activity, Client, Company
from gql_crm.services import activity
from gql_crm.services.imports import batches, writer
from gql_crm.services.imports.options import UPDATABLE
from tests.helpers import CREATE_CATEGORY, UPDATE_CLIENT, create_client, pk_of
from tests.imports import csv_bytes, run_import

# Set by the database or different by design (which row, which organization, which job).
OWN = {
    "id",
    "organization_id",
    "import_job_id",
    "category_id",
    "company_id",
    "client_id",
    "target_id",
    "actor_id",
    "created_at",
    "updated_at",
}
HEADER = [
    "Name",
    "Email",
    "Mobile",
    "Country",
    "Gender",
    "Language",
    "Category",
    "Company",
    "Legal name",
    "Tax ID",
    "Website",
    "Office phone",
    "Address",
    "City",
    "State",
    "Postal code",
    "Company country",
]
ROW = [
    "Álvaro Núñez",
    "Alvaro@Example.com",
    "612345678",
    "ES",
    "MALE",
    "es",
    "Mayorista",
    "Acme, S.L.",
    "Acme Ibérica S.L.",
    "B12345674",
    "acme.example",
    "912345678",
    "Calle Mayor 1",
    "Madrid",
    "Madrid",
    "28001",
    "ES",
]
INPUT = {
    "name": ROW[0],
    "email": ROW[1],
    "mobile": ROW[2],
    "country": "ES",
    "gender": "MALE",
    "language": "es",
    "company": {
        "name": ROW[7],
        "legalName": ROW[8],
        "taxId": ROW[9],
        "website": ROW[10],
        "officePhone": ROW[11],
        "address": {
            "street": ROW[12],
            "city": ROW[13],
            "state": ROW[14],
            "postalCode": ROW[15],
            "country": "ES",
        },
    },
}


async def raw(table: str, pk: int) -> dict:
    """The row as stored: the driver's values, never the ORM's conversion."""
    connection = connections.get("default")
    mark = "?" if connection.capabilities.dialect == "sqlite" else "$1"
    rows = await connection.execute_query_dict(f'SELECT * FROM "{table}" WHERE id = {mark}', [pk])
    return dict(rows[0])


def comparable(row: dict) -> dict:
    return {key: value for key, value in row.items() if key not in OWN}


def same_kind_of_timestamp(a, b) -> None:
    """Both stored the way the ORM stores an aware UTC datetime."""
    assert type(a) is type(b)
    if isinstance(a, str):  # SQLite: text
        assert datetime.fromisoformat(a).utcoffset() == datetime.fromisoformat(b).utcoffset()
        assert len(a.split(" ")) == len(b.split(" ")) == 2
    else:
        assert a.utcoffset() == b.utcoffset()


async def category_of(org, name: str) -> str:
    data = await org.data(CREATE_CATEGORY, {"name": name})
    return data["createClientCategory"]["clientCategory"]["id"]


async def test_a_client_imported_is_stored_as_one_created_by_mutation(org, make_org):
    created = await create_client(org, **INPUT, categoryId=await category_of(org, "Mayorista"))
    other = await make_org()
    job = await run_import(other, csv_bytes([HEADER, ROW]))
    assert (job["created"], job["failed"]) == (1, 0)
    by_orm = await raw("client", pk_of(created["id"]))
    imported = await Client.get(organization_id=other.id)
    by_writer = await raw("client", imported.id)
    assert comparable(by_writer) == comparable(by_orm)
    for column in ("created_at", "updated_at"):
        same_kind_of_timestamp(by_writer[column], by_orm[column])
    assert by_writer["import_job_id"] == pk_of(job["id"])

    company_by_orm = await raw("company", by_orm["company_id"])
    company_by_writer = await raw("company", by_writer["company_id"])
    assert comparable(company_by_writer) == comparable(company_by_orm)
    same_kind_of_timestamp(company_by_writer["created_at"], company_by_orm["created_at"])

    # The activity entry: what activity.diff records, stored as the ORM stores it.
    entry = await Activity.get(client_id=imported.id)
    assert entry.changes == activity.diff({}, {name: getattr(imported, name) for name in UPDATABLE})
    twin = await Activity.create(
        organization_id=entry.organization_id,
        client_id=entry.client_id,
        actor_id=entry.actor_id,
        verb=entry.verb,
        target_type=entry.target_type,
        target_id=entry.target_id,
        changes=entry.changes,
        import_job_id=entry.import_job_id,
    )
    entry_by_writer, entry_by_orm = await raw("activity", entry.id), await raw("activity", twin.id)
    assert {k: v for k, v in entry_by_writer.items() if k not in ("id", "created_at")} == {
        k: v for k, v in entry_by_orm.items() if k not in ("id", "created_at")
    }
    same_kind_of_timestamp(entry_by_writer["created_at"], entry_by_orm["created_at"])
    await twin.delete()


async def test_a_client_updated_by_import_is_stored_as_one_updated_by_mutation(org, make_org):
    plain = {
        "name": "Eva",
        "email": "eva@example.com",
        "company": {"name": "Acme", "taxId": "B12345674", "legalName": "Acme S.L."},
    }
    other = await make_org()
    by_mutation = await create_client(org, **plain)
    by_import = await create_client(other, **plain)
    changes = {
        "name": "Éva Ruiz",
        "email": "EVA.RUIZ@example.com",
        "mobile": "612000111",
        "company": {"name": "Acme", "taxId": "B12345674", "legalName": "Acme Nueva"},
    }
    data = await org.data(UPDATE_CLIENT, {"id": by_mutation["id"], "input": changes})
    assert data["updateClient"]["errors"] == []
    rows = [
        ["Name", "Email", "Mobile", "Company", "Tax ID", "Legal name"],
        ["Éva Ruiz", "EVA.RUIZ@example.com", "612000111", "Acme", "B12345674", "Acme Nueva"],
    ]
    before = await raw("client", pk_of(by_import["id"]))
    job = await run_import(
        other, csv_bytes(rows), {"mode": "UPDATE_EXISTING", "matchOn": ["TAX_ID"]}
    )
    assert (job["updated"], job["failed"]) == (1, 0)
    after_orm = await raw("client", pk_of(by_mutation["id"]))
    after_writer = await raw("client", pk_of(by_import["id"]))
    assert comparable(after_writer) == comparable(after_orm)
    assert after_writer["created_at"] == before["created_at"]
    assert after_writer["updated_at"] != before["updated_at"]
    same_kind_of_timestamp(after_writer["updated_at"], after_orm["updated_at"])
    company_orm = await raw("company", after_orm["company_id"])
    company_writer = await raw("company", after_writer["company_id"])
    assert comparable(company_writer) == comparable(company_orm)
    same_kind_of_timestamp(company_writer["updated_at"], company_orm["updated_at"])
    assert await Company.filter(organization_id=other.id).count() == 1


async def test_an_email_taken_between_look_up_and_write_is_matched_on_the_retry(org, monkeypatch):
    """A request creating a client after a batch looked its emails up makes the batch's
    insert fail on the unique email key (COPY's error on PostgreSQL is translated as the
    ORM's); the batch is looked up and planned again, and the row then matches that client."""
    original = batches.Run._look_up
    look_ups = []

    async def a_request_takes_the_email(self, rows):
        lookups = await original(self, rows)
        if not look_ups:
            await create_client(org, name="Concurrent", email="taken@example.com")
        look_ups.append(len(rows))
        return lookups

    monkeypatch.setattr(batches.Run, "_look_up", a_request_takes_the_email)
    rows = [["Name", "Email"], ["Ana", "ana@example.com"], ["Taken", "TAKEN@example.com"]]
    job = await run_import(org, csv_bytes(rows))
    assert (job["created"], job["skipped"], job["failed"]) == (1, 1, 0)
    assert look_ups == [2, 2]
    names = (
        await Client.filter(organization_id=org.id).order_by("name").values_list("name", flat=True)
    )
    assert names == ["Ana", "Concurrent"]


async def test_look_ups_probe_the_key_whatever_the_statistics_say(org, make_org):
    """Each key is one probe of the key's own index, the organization checked on the rows
    found, even when PostgreSQL's statistics predate the organization's rows (a new one,
    mid-import, autovacuum off or late): asked for both in one scan, it walked the
    organization's rows through another index instead (47 s a batch at 200,000 clients)."""
    connection = connections.get("default")
    if connection.capabilities.dialect != "postgres":
        pytest.skip("SQLite keeps no statistics here")
    filler, other = await make_org(), await make_org()

    async def rows_of(owner, count: int) -> None:
        await connection.execute_script(
            f"""
            INSERT INTO "company" ("organization_id", "created_at", "updated_at", "name",
                "name_key", "tax_id")
            SELECT {owner.id}, now(), now(), 'Co ' || g, 'co ' || g, 'B' || g
            FROM generate_series(1, {count // 10}) AS g;
            INSERT INTO "client" ("organization_id", "created_at", "updated_at", "name",
                "name_key", "email", "active_email_key", "status", "search_text", "company_id")
            SELECT {owner.id}, now(), now(), 'C ' || g, 'c ' || g, 'c' || g || '@example.com',
                'c' || g || '@example.com', 'ACTIVE', 'c ' || g,
                (SELECT min("id") FROM "company" WHERE "organization_id" = {owner.id})
                    + g % {count // 10}
            FROM generate_series(1, {count}) AS g;
            """
        )

    # Statistics that know the tables' other organizations, and not this one's rows.
    await rows_of(filler, 10_000)
    await connection.execute_script('ANALYZE "client", "company"')
    await rows_of(org, 10_000)
    await rows_of(other, 100)
    companies = await Company.filter(organization_id=org.id).order_by("id").limit(3)
    look_ups = [
        (Client, ("id", "active_email_key"), "active_email_key", ["c7@example.com", "nobody"]),
        (Company, writer.COMPANY_COLUMNS, "tax_id", ["B7", "B8", "B99999"]),
        (Company, writer.COMPANY_COLUMNS, "name_key", ["co 9"]),
        (Client, ("id", "status"), "company_id", [c.id for c in companies]),
    ]
    for model, columns, key, values in look_ups:
        found = await writer.select_in(connection, model, columns, key, values, org.id)
        expected = await model.filter(organization_id=org.id, **{f"{key}__in": values}).values_list(
            "id", flat=True
        )
        assert sorted(row["id"] for row in found) == sorted(expected) and expected, key
        sql = writer._select_in(model, columns, key, "postgres")
        plan = await connection.execute_query_dict(f"EXPLAIN (FORMAT JSON) {sql}", [org.id, values])
        scans = list(_scans(json.loads(plan[0]["QUERY PLAN"])[0]["Plan"]))
        assert scans and all(
            f"({model._meta.fields_db_projection[key]} = " in scan.get("Index Cond", "")
            or f"({model._meta.fields_db_projection[key]})::text = " in scan.get("Index Cond", "")
            for scan in scans
        ), (key, [(scan["Node Type"], scan.get("Index Cond")) for scan in scans])


# Not reads of a table; a bitmap heap scan reads what its bitmap index scan, below, found.
NOT_TABLE_SCANS = ("Function Scan", "Subquery Scan", "Bitmap Heap Scan")


def _scans(node: dict):
    """The plan's scans of tables (sequential, by index, bitmap)."""
    if "Scan" in node["Node Type"] and node["Node Type"] not in NOT_TABLE_SCANS:
        yield node
    for child in node.get("Plans", []):
        yield from _scans(child)
