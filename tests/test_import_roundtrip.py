"""An export imports again unchanged, and the failed rows of an import come back fixed."""

import csv
import io
from urllib.parse import urlsplit

from gql_crm.models import Activity, Client, Company, Role
from gql_crm.services.exports import COMPANY_FIELDS
from gql_crm.services.imports.options import UPDATABLE
from tests.exports import EXPORT, seed
from tests.helpers import global_id, pk_of
from tests.imports import csv_bytes, errors_of, run_import
from tests.uploads import create_client


async def snapshot(org) -> list[tuple]:
    clients = (
        await Client.filter(organization_id=org.id)
        .order_by("id")
        .values_list("id", *UPDATABLE, "status", "search_text", "updated_at")
    )
    companies = (
        await Company.filter(organization_id=org.id).order_by("id").values_list(*COMPANY_FIELDS)
    )
    return clients + companies


async def export_file(org, **variables) -> bytes:
    data = await org.data(
        EXPORT, {"format": "CSV", "language": "EN", **variables}, role=Role.MANAGER
    )
    response = await org.http.get(urlsplit(data["exportClients"]["url"]).path)
    assert response.status_code == 200
    return response.content


async def seed_with_emails(org):
    await seed(org)
    category = await org.data(
        'mutation { createClientCategory(input: {name: "Mayorista"}) { clientCategory { id } } }'
    )
    await create_client(
        org,
        "María 'Ñ' Pérez",
        email="maria@example.com",
        mobile="+34 600 000 001",
        country="ES",
        gender="FEMALE",
        language="es",
        categoryId=category["createClientCategory"]["clientCategory"]["id"],
        company={"name": "Acme, S.L.", "taxId": "B12345674"},
    )
    await create_client(
        org,
        "Fr Client",
        email="fr@example.com",
        mobile="+33 6 12 34 56 78",
        country="FR",
        company={"name": "Sans NIF"},
    )


async def test_export_imports_again_unchanged_csv_and_xlsx(org):
    await seed_with_emails(org)
    archived = await create_client(org, "Archivada", email="old@example.com")
    await org.data(
        "mutation($id: ID!) { archiveClient(id: $id) { errors { code } } }", {"id": archived}
    )
    before = await snapshot(org)
    entries = await Activity.filter(organization_id=org.id).count()
    total = await Client.filter(organization_id=org.id).count()
    # Most rows have neither email nor tax ID: they match on the ID column.
    assert await Client.filter(organization_id=org.id, email__isnull=True).count() > 3
    for variables, name in (
        ({"filter": {"status": None}}, "clients.csv"),
        ({"format": "XLSX", "language": "ES", "filter": {"status": None}}, "clientes.xlsx"),
        ({"language": "ES", "filter": {"status": None}}, "clientes.csv"),
    ):
        content = await export_file(org, **variables)
        job = await run_import(org, content, {"mode": "UPDATE_EXISTING"}, name=name)
        assert job["status"] == "SUCCEEDED", job
        assert job["unknownColumns"] == []
        assert sorted(job["ignoredColumns"]) in (
            ["Date added", "Status"],
            ["Estado", "Fecha de alta"],
        )
        assert {m["field"] for m in job["mapping"]} >= {"ID", "STATE", "COMPANY_COUNTRY", "ADDRESS"}
        assert (job["created"], job["updated"], job["skipped"], job["failed"]) == (
            0,
            0,
            total,
            0,
        ), (name, errors_of(job))
        assert await snapshot(org) == before, name
        assert await Activity.filter(organization_id=org.id).count() == entries


async def test_an_exported_file_edited_and_imported_again(org, make_org):
    """Rows without email or tax ID update their client; new rows (no ID) come in."""
    await seed_with_emails(org)
    content = await export_file(org, columns=["ID", "NAME", "EMAIL", "MOBILE"])
    table = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert table[0] == ["ID", "Name", "Email", "Mobile"]
    plain = next(row for row in table if row[1] == "-2+3" or row[1] == "'-2+3")
    plain[3] = "612000111"
    table.append(["", "Nueva", "", ""])
    out = io.StringIO()
    csv.writer(out).writerows(table)
    job = await run_import(org, out.getvalue().encode(), {"mode": "UPDATE_EXISTING"})
    assert (job["created"], job["updated"], job["failed"]) == (1, 1, 0), errors_of(job)
    client = await Client.get(id=pk_of(plain[0]))
    assert (client.name, client.mobile) == ("-2+3", "+34612000111")

    # Another organization's IDs, unknown ones and garbage are row errors: nothing created,
    # nothing of the other organization touched.
    other = await make_org()
    foreign = await create_client(other, "Ajeno", email="ajeno@example.com")
    rows = [
        ["ID", "Name", "Email"],
        [foreign, "Robado", ""],
        [global_id("Client", 999_999_999), "Nadie", ""],
        [global_id("Client", 2**40), "Enorme", ""],
        [global_id("Invoice", pk_of(plain[0])), "Factura", ""],
        ["not an id", "Basura", ""],
        [plain[0], "Dos veces", ""],
        [plain[0], "Dos veces otra", ""],
    ]
    job = await run_import(org, csv_bytes(rows), {"mode": "UPDATE_EXISTING"})
    assert errors_of(job) == [
        (2, "ID", "NOT_FOUND"),
        (3, "ID", "NOT_FOUND"),
        (4, "ID", "NOT_FOUND"),
        (5, "ID", "NOT_FOUND"),
        (6, "ID", "NOT_FOUND"),
        (8, "ID", "DUPLICATE_IN_FILE"),
    ]
    assert (job["created"], job["updated"]) == (0, 1)
    assert (await Client.get(id=pk_of(foreign))).name == "Ajeno"
    assert (await Client.get(id=pk_of(plain[0]))).name == "Dos veces"

    # The modes apply to a client found by ID as to one found by email.
    rows = [["ID", "Name"], [plain[0], "Otra vez"]]
    assert errors_of(await run_import(org, csv_bytes(rows), {"mode": "CREATE_ONLY"})) == [
        (2, "ID", "DUPLICATE")
    ]
    skipped = await run_import(org, csv_bytes(rows))
    assert (skipped["skipped"], skipped["created"]) == (1, 0)


async def test_an_archived_client_found_by_id_keeps_its_email_free(org):
    archived = await create_client(org, "Archivada", email="old@example.com")
    await org.data(
        "mutation($id: ID!) { archiveClient(id: $id) { errors { code } } }", {"id": archived}
    )
    rows = [["ID", "Name", "Email"], [archived, "Archivada", "new@example.com"]]
    job = await run_import(org, csv_bytes(rows), {"mode": "UPDATE_EXISTING"})
    assert job["updated"] == 1, errors_of(job)
    client = await Client.get(id=pk_of(archived))
    assert (client.status, client.email, client.active_email_key) == (
        "ARCHIVED",
        "new@example.com",
        None,
    )
    # The email stays free for an active client.
    await create_client(org, "Activa", email="new@example.com")


async def test_failed_rows_download_fix_and_upload_again(org):
    rows = [
        ["Nombre", "Correo electrónico", "Teléfono móvil", "Notas"],
        ["Ana", "ana@example.com", "612345678", "ok"],
        ["Bea", "bea@@example", "12", "=1+1"],
        ["", "sin-nombre@example.com", "", "x"],
    ]
    job = await run_import(org, csv_bytes(rows, delimiter=";"))
    assert job["unknownColumns"] == ["Notas"]
    assert (job["created"], job["failed"]) == (1, 2)
    response = await org.http.get(urlsplit(job["failedRowsUrl"]).path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "failed-rows.csv" in response.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[0] == ["Nombre", "Correo electrónico", "Teléfono móvil", "Notas", "Errors"]
    assert [row[:4] for row in table[1:]] == [
        ["Bea", "bea@@example", "12", "'=1+1"],
        ["", "sin-nombre@example.com", "", "x"],
    ]
    assert table[1][4].startswith("Correo electrónico: Not a valid email")
    assert "Teléfono móvil: Not a valid phone number" in table[1][4]

    table[1][1], table[1][2], table[2][0] = "bea@example.com", "612345679", "Carla"
    out = io.StringIO()
    csv.writer(out).writerows(table)
    again = await run_import(org, out.getvalue().encode("utf-8-sig"))
    assert (again["created"], again["failed"]) == (2, 0), errors_of(again)
    assert "Errors" in again["ignoredColumns"]
    assert sorted(await Client.filter(organization_id=org.id).values_list("name", flat=True)) == [
        "Ana",
        "Bea",
        "Carla",
    ]
    # The signed link is the organization's: a forged or tampered one finds nothing.
    assert (await org.http.get(urlsplit(job["failedRowsUrl"]).path + "x")).status_code == 404
