"""An export imports again unchanged, and the failed rows of an import come back fixed."""

import csv
import io
from urllib.parse import urlsplit

from gql_crm.models import Client, Company, Role
from tests.imports import csv_bytes, errors_of, run_import
from tests.test_export import EXPORT, seed
from tests.uploads import create_client


async def snapshot(org) -> list[tuple]:
    clients = await Client.filter(organization_id=org.id).order_by("id").values_list(
        "id", "name", "email", "mobile", "country", "gender", "language", "category_id",
        "company_id", "status", "search_text", "updated_at")
    companies = await Company.filter(organization_id=org.id).order_by("id").values_list(
        "id", "name", "legal_name", "tax_id", "website", "office_phone", "street", "city",
        "state", "postal_code", "country")
    return clients + companies


async def export_file(org, **variables) -> bytes:
    data = await org.data(EXPORT, {"format": "CSV", "language": "EN", **variables},
                          role=Role.MANAGER)
    response = await org.http.get(urlsplit(data["exportClients"]["url"]).path)
    assert response.status_code == 200
    return response.content


async def seed_with_emails(org):
    await seed(org)
    category = await org.data(
        'mutation { createClientCategory(name: "Mayorista") { category { id } } }')
    await create_client(
        org, "María 'Ñ' Pérez", email="maria@example.com", mobile="+34 600 000 001",
        country="ES", gender="FEMALE", language="es",
        categoryId=category["createClientCategory"]["category"]["id"],
        company={"name": "Acme, S.L.", "taxId": "B12345674"},
    )
    await create_client(org, "Fr Client", email="fr@example.com", mobile="+33 6 12 34 56 78",
                        country="FR", company={"name": "Sans NIF"})


async def test_export_imports_again_unchanged_csv_and_xlsx(org):
    await seed_with_emails(org)
    before = await snapshot(org)
    total = await Client.filter(organization_id=org.id).count()
    with_email = await Client.filter(organization_id=org.id, email__isnull=False).count()
    for variables, name in (({}, "clients.csv"),
                            ({"format": "XLSX", "language": "ES"}, "clientes.xlsx"),
                            ({"language": "ES"}, "clientes.csv")):
        content = await export_file(org, **variables)
        # Clients without an email cannot be matched by email: only the others are sent.
        job = await run_import(org, content, {"mode": "UPDATE_EXISTING"}, name=name)
        assert job["status"] == "SUCCEEDED", job
        assert job["unknownColumns"] == []
        assert sorted(job["ignoredColumns"]) in (["Date added", "Status"],
                                                 ["Estado", "Fecha de alta"])
        assert {m["field"] for m in job["mapping"]} >= {"STATE", "COMPANY_COUNTRY", "ADDRESS"}
        assert (job["created"], job["updated"], job["failed"]) == (
            total - with_email, 0, 0), (name, errors_of(job))
        # Clients without email came in as new ones: remove them to compare again.
        await Client.filter(organization_id=org.id, import_job_id__isnull=False).delete()
        assert await snapshot(org) == before, name


async def test_failed_rows_download_fix_and_upload_again(org):
    rows = [["Nombre", "Correo electrónico", "Teléfono móvil", "Notas"],
            ["Ana", "ana@example.com", "612345678", "ok"],
            ["Bea", "bea@@example", "12", "=1+1"],
            ["", "sin-nombre@example.com", "", "x"]]
    job = await run_import(org, csv_bytes(rows, delimiter=";"))
    assert job["unknownColumns"] == ["Notas"]
    assert (job["created"], job["failed"]) == (1, 2)
    response = await org.http.get(urlsplit(job["failedRowsUrl"]).path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "failed-rows.csv" in response.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[0] == ["Nombre", "Correo electrónico", "Teléfono móvil", "Notas", "Errors"]
    assert [row[:4] for row in table[1:]] == [["Bea", "bea@@example", "12", "'=1+1"],
                                              ["", "sin-nombre@example.com", "", "x"]]
    assert table[1][4].startswith("Correo electrónico: Not a valid email")
    assert "Teléfono móvil: Not a valid phone number" in table[1][4]

    table[1][1], table[1][2], table[2][0] = "bea@example.com", "612345679", "Carla"
    out = io.StringIO()
    csv.writer(out).writerows(table)
    again = await run_import(org, out.getvalue().encode("utf-8-sig"))
    assert (again["created"], again["failed"]) == (2, 0), errors_of(again)
    assert "Errors" in again["ignoredColumns"]
    assert sorted(await Client.filter(organization_id=org.id).values_list("name", flat=True)) \
        == ["Ana", "Bea", "Carla"]
    # The signed link is the organization's: a forged or tampered one finds nothing.
    assert (await org.http.get(urlsplit(job["failedRowsUrl"]).path + "x")).status_code == 404
