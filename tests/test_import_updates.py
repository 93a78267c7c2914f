"""UPDATE_EXISTING changes what a row says differs, the client's company included, and a
roll-back puts every old value back."""

from gql_crm.models import Activity, Client, Company
from gql_crm.services.imports import jobs
from tests.helpers import LIST_CLIENTS, create_client, global_id, names, pk_of
from tests.imports import csv_bytes, errors_of, run_import

HEADER = ["Name", "Email", "Company", "Legal name", "Tax ID", "Website"]
TAX_ID = "B85866127"


async def acme_with_two_clients(org) -> tuple[int, int]:
    company = {
        "name": "Acme",
        "legalName": "Acme S.L.",
        "taxId": TAX_ID,
        "website": "https://acme.example",
    }
    carla = await create_client(org, name="Carla", email="carla@example.com", company=company)
    dora = await create_client(org, name="Dora", email="dora@example.com", company=company)
    return pk_of(carla["id"]), pk_of(dora["id"])


async def company_of(client_id: int) -> Company:
    return await Company.get(id=(await Client.get(id=client_id)).company_id)


async def found(org, search: str) -> list[str]:
    return sorted(names((await org.data(LIST_CLIENTS, {"search": search}))["clients"]))


async def test_a_new_legal_name_for_the_same_tax_id_updates_the_company(org):
    carla, dora = await acme_with_two_clients(org)
    before = await company_of(carla)
    rows = [HEADER, ["Carla", "carla@example.com", "Acme", "Acme Nueva S.L.", TAX_ID, ""]]
    dry = await run_import(org, csv_bytes(rows), {"mode": "UPDATE_EXISTING", "dryRun": True})
    assert (dry["updated"], dry["skipped"]) == (1, 0)
    assert (await company_of(carla)).legal_name == "Acme S.L."

    job = await run_import(org, csv_bytes(rows), {"mode": "UPDATE_EXISTING"})
    assert (job["updated"], job["skipped"], job["created"], job["failed"]) == (1, 0, 0, 0)
    company = await company_of(carla)
    assert company.id == before.id
    assert (company.name, company.legal_name, company.website) == (
        "Acme",
        "Acme Nueva S.L.",
        "https://acme.example",
    )
    assert company.updated_at > before.updated_at
    entry = await Activity.get(client_id=carla, verb="company_updated_by_import")
    assert (entry.target_type, entry.target_id, entry.import_job_id) == (
        "Company",
        company.id,
        pk_of(job["id"]),
    )
    assert entry.changes == {"legal_name": {"old": "Acme S.L.", "new": "Acme Nueva S.L."}}
    # The legal name is searchable on every client of the company.
    assert await found(org, "nueva") == ["Carla", "Dora"]
    assert (await Client.get(id=dora)).company_id == company.id

    again = await run_import(org, csv_bytes(rows), {"mode": "UPDATE_EXISTING"})
    assert (again["updated"], again["skipped"]) == (0, 1)


async def test_other_modes_and_a_made_up_name_leave_the_company_alone(org):
    carla, _ = await acme_with_two_clients(org)
    rows = [HEADER, ["Carla", "carla@example.com", "", "", TAX_ID, "https://new.example"]]
    skipped = await run_import(org, csv_bytes(rows), {"mode": "SKIP_EXISTING"})
    assert skipped["skipped"] == 1
    assert (await company_of(carla)).website == "https://acme.example"

    # No company name in the file: the company keeps its own, only the website changes.
    job = await run_import(org, csv_bytes(rows), {"mode": "UPDATE_EXISTING"})
    assert (job["updated"], job["skipped"]) == (1, 0)
    company = await company_of(carla)
    assert (company.name, company.website) == ("Acme", "https://new.example")


async def test_a_rolled_back_job_restores_the_companies_it_changed(org, monkeypatch):
    carla, dora = await acme_with_two_clients(org)
    other = await create_client(org, name="Eva", email="eva@example.com", company={"name": "Beta"})
    before = {c.id: c for c in await Company.filter(organization_id=org.id)}
    monkeypatch.setattr(jobs, "BATCH_SIZE", 1)
    rows = [
        HEADER,
        ["Carla", "carla@example.com", "Acme Renamed", "Acme Nueva S.L.", TAX_ID, ""],
        # A new client linking the company changes it again.
        ["Fede", "fede@example.com", "Acme Again", "", TAX_ID, "https://fede.example"],
        ["Eva", "eva@example.com", "Beta", "Beta Legal", "", ""],
        ["Bad", "not-an-email", "", "", "", ""],
    ]
    job = await run_import(
        org, csv_bytes(rows), {"mode": "UPDATE_EXISTING", "skipInvalidRows": False}
    )
    assert job["status"] == "FAILED"
    assert errors_of(job) == [(5, "EMAIL", "INVALID_EMAIL")]
    after = {c.id: c for c in await Company.filter(organization_id=org.id)}
    fields = ("name", "name_key", "legal_name", "tax_id", "website")
    assert {pk: [getattr(c, f) for f in fields] for pk, c in after.items()} == {
        pk: [getattr(c, f) for f in fields] for pk, c in before.items()
    }
    assert not await Activity.filter(import_job_id=pk_of(job["id"])).exists()
    assert await found(org, "renamed") == []
    assert await found(org, "acme") == ["Carla", "Dora"]
    assert sorted(
        await Client.filter(organization_id=org.id).values_list("id", flat=True)
    ) == sorted([carla, dora, pk_of(other["id"])])


async def test_rows_of_one_file_apply_one_after_the_other(org):
    carla, dora = await acme_with_two_clients(org)
    rows = [
        HEADER,
        ["Carla", "carla@example.com", "Acme", "First S.L.", TAX_ID, ""],
        ["Dora", "dora@example.com", "Acme", "Second S.L.", TAX_ID, ""],
    ]
    job = await run_import(org, csv_bytes(rows), {"mode": "UPDATE_EXISTING"})
    assert (job["updated"], job["skipped"]) == (2, 0)
    assert (await company_of(dora)).legal_name == "Second S.L."
    entries = (
        await Activity.filter(import_job_id=pk_of(job["id"]), verb="company_updated_by_import")
        .order_by("id")
        .values_list("client_id", "changes")
    )
    assert entries == [
        (carla, {"legal_name": {"old": "Acme S.L.", "new": "First S.L."}}),
        (dora, {"legal_name": {"old": "First S.L.", "new": "Second S.L."}}),
    ]


async def test_two_rows_naming_one_client_by_different_keys(org):
    """One row names Carla by her ID, the next by her email: the second is reported as a
    repeat of the first (it used to end the job with an unexpected error)."""
    carla, _ = await acme_with_two_clients(org)
    rows = [
        ["ID", "Name", "Email"],
        [global_id("Client", carla), "Carla Uno", ""],
        ["", "Carla Dos", "carla@example.com"],
    ]
    job = await run_import(org, csv_bytes(rows), {"mode": "UPDATE_EXISTING"})
    assert job["status"] == "SUCCEEDED", job
    assert (job["updated"], job["failed"]) == (1, 1)
    assert errors_of(job) == [(3, "EMAIL", "DUPLICATE_IN_FILE")]
    assert (
        job["errors"]["edges"][0]["node"]["message"] == "Row 2 of the file already has this value."
    )
    assert (await Client.get(id=carla)).name == "Carla Uno"
