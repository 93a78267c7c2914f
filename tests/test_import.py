"""Importing clients through HTTP multipart uploads: the files people have, the modes, the
report, and nothing duplicated or lost."""

import os
import socket
from pathlib import Path

from gql_crm.models import Activity, Client, ClientCategory, Company, ImportJob, Role
from tests.helpers import create_client, global_id, pk_of
from tests.imports import csv_bytes, errors_of, run_import

SAMPLES = Path("/work/shared/samples")
HEADER = ["Name", "Email", "Mobile", "Country", "Category", "Company", "Tax ID"]


async def stored(org) -> list[Client]:
    return await Client.filter(organization_id=org.id).order_by("id")


async def test_utf8_bom_sample_imports_every_row(org):
    job = await run_import(org, (SAMPLES / "clients_utf8_bom.csv").read_bytes())
    assert job["status"] == "SUCCEEDED", job
    assert (job["totalRows"], job["created"], job["failed"]) == (25, 25, 0)
    assert job["failedRowsUrl"] is None and job["errors"]["totalCount"] == 0
    assert [m["field"] for m in job["mapping"]][:4] == ["NAME", "EMAIL", "MOBILE", "COUNTRY"]
    clients = await stored(org)
    assert len(clients) == 25
    assert clients[0].name == "Raúl Torres" and clients[0].mobile == "+34637266537"
    assert clients[0].country == "ES"


async def test_windows_1252_semicolon_sample_reports_each_planted_problem(org):
    content = (SAMPLES / "clientes_excel_es.csv").read_bytes()
    job = await run_import(org, content)
    assert job["status"] == "SUCCEEDED"
    assert (job["totalRows"], job["created"], job["failed"]) == (40, 35, 5)
    assert errors_of(job) == [
        (7, "EMAIL", "INVALID_EMAIL"),
        (11, "NAME", "REQUIRED"),
        (14, "TAX_ID", "INVALID_TAX_ID"),
        (19, "MOBILE", "INVALID_PHONE"),
        (25, "EMAIL", "DUPLICATE_IN_FILE"),
    ]
    first = job["errors"]["edges"][0]["node"]
    assert first["column"] == "Correo electrónico" and first["value"] == "maria.garcia@@example"
    marta = await Client.get(organization_id=org.id, email="marta.romero0@example.es")
    # Latin-1 accents decoded, Spanish country names and gender words understood.
    assert (marta.country, marta.gender.value, marta.mobile) == ("ES", "FEMALE", "+34660655795")
    categories = await ClientCategory.filter(organization_id=org.id).values_list("name", flat=True)
    assert sorted(categories) == ["Mayorista", "Minorista", "Particular"]
    # The job keeps what the user asked apart from what the file is and who runs it.
    stored_job = await ImportJob.get(id=pk_of(job["id"]))
    assert set(stored_job.options) == {
        "dry_run", "mode", "match_on", "mapping", "default_country", "sheet",
        "skip_invalid_rows", "language",
    }  # fmt: skip
    kind = (stored_job.file_format, stored_job.file_encoding, stored_job.file_delimiter)
    assert kind == ("CSV", "cp1252", ";") and stored_job.header_row == 1
    assert (stored_job.owner_host, stored_job.owner_pid) == (socket.gethostname(), os.getpid())
    assert stored_job.heartbeat_at >= stored_job.started_at


async def test_xlsx_sample_numbers_and_dates(org):
    content = (SAMPLES / "clientes.xlsx").read_bytes()
    job = await run_import(
        org, content, name="clientes.xlsx", content_type="application/octet-stream"
    )
    assert job["status"] == "SUCCEEDED", job
    assert (job["totalRows"], job["created"], job["failed"]) == (30, 30, 0)
    assert job["ignoredColumns"] == ["Fecha de alta"]
    lucia = await Client.get(organization_id=org.id, email="lucia.lopez1@example.es")
    # Stored by Excel as the number 678079874.
    assert lucia.mobile == "+34678079874"


async def test_a_second_run_of_the_same_file_creates_nothing(org):
    content = (SAMPLES / "clients_utf8_bom.csv").read_bytes()
    await run_import(org, content)
    again = await run_import(org, content)
    assert (again["created"], again["skipped"], again["failed"]) == (0, 25, 0)
    assert len(await stored(org)) == 25
    assert await Company.filter(organization_id=org.id).count() == 25


async def test_dry_run_reports_what_a_real_run_does_and_writes_nothing(org):
    await create_client(org, name="Existing", email="ana@example.com")
    rows = [
        HEADER,
        ["Ana", "ana@example.com", "", "", "", "", ""],
        ["Bea", "bea@example.com", "612345678", "España", "VIP", "Acme", "B85866127"],
        ["Bea 2", "BEA@example.com", "", "", "", "", ""],
        ["", "nobody@example.com", "", "", "", "", ""],
    ]
    options = {"mode": "UPDATE_EXISTING"}
    dry = await run_import(org, csv_bytes(rows), {**options, "dryRun": True})
    assert dry["dryRun"] is True
    assert await ClientCategory.filter(organization_id=org.id).count() == 0
    assert [c.name for c in await stored(org)] == ["Existing"]
    assert await Company.filter(organization_id=org.id).count() == 0
    real = await run_import(org, csv_bytes(rows), options)
    counts = ("created", "updated", "skipped", "failed", "totalRows", "mapping")
    assert {k: dry[k] for k in counts} == {k: real[k] for k in counts}
    assert (
        errors_of(dry)
        == errors_of(real)
        == [(4, "EMAIL", "DUPLICATE_IN_FILE"), (5, "NAME", "REQUIRED")]
    )
    assert (real["created"], real["updated"]) == (1, 1)
    assert [c.name for c in await stored(org)] == ["Ana", "Bea"]


async def test_modes_and_matching(org):
    existing = pk_of(
        (
            await create_client(
                org,
                name="Carla",
                email="carla@example.com",
                company={"name": "Acme", "taxId": "B85866127"},
            )
        )["id"]
    )
    rows = [HEADER, ["Carla Ruiz", "carla@example.com", "", "", "", "", ""]]
    created_only = await run_import(org, csv_bytes(rows), {"mode": "CREATE_ONLY"})
    assert errors_of(created_only) == [(2, "EMAIL", "DUPLICATE")]
    skipped = await run_import(org, csv_bytes(rows), {"mode": "SKIP_EXISTING"})
    assert (skipped["skipped"], skipped["created"]) == (1, 0)
    assert (await Client.get(id=existing)).name == "Carla"
    updated = await run_import(org, csv_bytes(rows), {"mode": "UPDATE_EXISTING"})
    assert updated["updated"] == 1
    assert (await Client.get(id=existing)).name == "Carla Ruiz"
    entry = await Activity.get(client_id=existing, verb="updated_by_import")
    assert entry.changes == {"name": {"old": "Carla", "new": "Carla Ruiz"}}
    assert entry.import_job_id == pk_of(updated["id"])
    history = await org.data(
        "query($id: ID!) { client(id: $id) { activity(first: 5) { edges { node { verb actor "
        "{ email } changes { field old new } importJob { id fileName } } } } } }",
        {"id": global_id("Client", existing)},
        role=Role.VIEWER,
    )
    latest = history["client"]["activity"]["edges"][0]["node"]
    assert latest["verb"] == "UPDATED_BY_IMPORT"
    assert latest["importJob"] == {"id": updated["id"], "fileName": "clients.csv"}
    assert latest["changes"] == [{"field": "name", "old": "Carla", "new": "Carla Ruiz"}]
    assert latest["actor"]["email"].startswith("manager@")

    by_tax = [HEADER, ["Carla R.", "carla.new@example.com", "", "", "", "", "B-85866127"]]
    job = await run_import(
        org, csv_bytes(by_tax), {"mode": "UPDATE_EXISTING", "matchOn": ["EMAIL", "TAX_ID"]}
    )
    assert (job["updated"], job["created"]) == (1, 0)
    client = await Client.get(id=existing)
    assert (client.name, client.email) == ("Carla R.", "carla.new@example.com")
    assert await Client.filter(organization_id=org.id).count() == 1


async def test_skip_invalid_rows_false_imports_nothing_when_a_row_is_invalid(org, monkeypatch):
    from gql_crm.services.imports import jobs

    monkeypatch.setattr(jobs, "BATCH_SIZE", 2)
    rows = (
        [HEADER]
        + [[f"Client {i}", f"c{i}@example.com", "", "", "Gold", "Co", ""] for i in range(5)]
        + [["Bad", "not-an-email", "", "", "", "", ""]]
    )
    job = await run_import(org, csv_bytes(rows), {"skipInvalidRows": False})
    assert job["status"] == "FAILED"
    assert "nothing was imported" in job["failureReason"]
    assert (job["created"], job["failed"]) == (0, 1)
    assert errors_of(job) == [(7, "EMAIL", "INVALID_EMAIL")]
    assert await stored(org) == []
    assert await Company.filter(organization_id=org.id).count() == 0


async def test_categories_and_companies_are_created_once(org, sql_statements):
    rows = [HEADER] + [
        [f"Client {i}", f"c{i}@example.com", "", "", "Gold" if i % 2 else "gold", "Acme", ""]
        for i in range(40)
    ]
    job = await run_import(org, csv_bytes(rows))
    assert job["created"] == 40
    assert await ClientCategory.filter(organization_id=org.id).count() == 1
    assert await Company.filter(organization_id=org.id).count() == 1
    clients = await stored(org)
    assert len({(c.company_id, c.category_id) for c in clients}) == 1
    inserts = [s for s in sql_statements if s.lstrip().upper().startswith("INSERT")]
    # One batch: category, company, clients, activity (bulk), job row, nothing per row.
    assert len(inserts) < 10, inserts
    activity = await Activity.filter(client_id=clients[0].id).values_list("verb", flat=True)
    assert activity == ["imported"]


async def test_roles_and_csrf(org):
    from tests.imports import IMPORT_CLIENTS
    from tests.uploads import upload

    denied = await upload(
        org,
        IMPORT_CLIENTS,
        {"options": None},
        {"file": ("c.csv", b"Name\nAna\n", "text/csv")},
        role=Role.MEMBER,
    )
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    response = await org.http.post(
        "/graphql",
        data={
            "operations": '{"query": "mutation($f: Upload!) { importClients(file: $f) '
            '{ importJob { id } } }", "variables": {"f": null}}',
            "map": '{"0": ["variables.f"]}',
        },
        files={"0": ("c.csv", b"Name\nAna\n", "text/csv")},
        headers={"Authorization": f"Bearer {org.tokens[Role.ADMIN]}"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "CSRF_PREFLIGHT_REQUIRED"
    assert await ImportJob.filter(organization_id=org.id).count() == 0


async def test_default_country_for_national_phones_and_tax_ids(make_org):
    org = await make_org(default_country=None)
    rows = [["Name", "Mobile", "NIF"], ["Ana", "612 345 678", "B85866127"]]
    without = await run_import(org, csv_bytes(rows), {"dryRun": True})
    assert errors_of(without) == [(2, "MOBILE", "INVALID_PHONE")]
    job = await run_import(org, csv_bytes(rows), {"defaultCountry": "España"})
    assert (job["created"], job["failed"]) == (1, 0)
    ana = await Client.get(organization_id=org.id, name="Ana")
    assert ana.mobile == "+34612345678"
    assert (await ana.company).tax_id == "B85866127"
    from tests.imports import start

    wrong = await start(org, csv_bytes(rows), {"defaultCountry": "Atlantis"})
    assert wrong["errors"] == [
        {
            "code": "INVALID_COUNTRY",
            "field": ["options", "defaultCountry"],
            "message": wrong["errors"][0]["message"],
        }
    ]


async def test_statements_per_batch_do_not_grow_with_its_rows(make_org, sql_statements):
    def job_statements() -> int:
        # The job's own statements (the polling of importJob touches other tables).
        return sum(
            1
            for s in sql_statements
            if any(
                f'"{table}"' in s for table in ("client", "company", "activity", "clientcategory")
            )
        )

    counts = []
    for size in (5, 200):
        org = await make_org()
        rows = [HEADER] + [
            [
                f"Client {i}",
                f"c{i}@example.com",
                f"612{i:06d}",
                "ES",
                f"Cat {i % 3}",
                f"Co {i % 4}",
                "",
            ]
            for i in range(size)
        ]
        sql_statements.clear()
        job = await run_import(org, csv_bytes(rows))
        assert job["created"] == size
        counts.append(job_statements())
    assert counts[0] == counts[1], counts
