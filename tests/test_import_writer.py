"""The import writes rows through its own prepared statements (services/imports/writer.py):
what they store must be what the ORM stores for the same data, column by column."""

from datetime import datetime

from tortoise import connections

from gql_crm.models import Activity, Client, Company
from gql_crm.services import activity
from gql_crm.services.imports import batches
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
