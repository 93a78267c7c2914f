"""Client export through HTTP: what the list shows is what the file holds, safely."""

import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import openpyxl
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from itsdangerous import URLSafeSerializer

from gql_crm.models import Client, Role
from gql_crm.services import exports, signing
from gql_crm.services.spreadsheet import COLUMNS, FORMULA_TRIGGERS, neutralize, unneutralize
from tests.exports import EN_HEADERS, EXPORT, LIST, download, export, read_csv, seed
from tests.uploads import create_client


async def test_csv_export(org, http):
    await seed(org)
    result = await export(org)
    assert result["errors"] == []
    assert result["fileName"].startswith(f"clients-{org.organization.slug}-")
    assert result["fileName"].endswith(".csv")
    expires = datetime.fromisoformat(result["expiresAt"])
    assert timedelta(0) < expires - datetime.now(UTC) <= timedelta(seconds=900)

    response = await download(http, result["url"])
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f"attachment; filename=\"{result['fileName']}\"; filename*=UTF-8''{result['fileName']}"
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    table = read_csv(response.content)
    assert table[0] == EN_HEADERS
    by_name = {unneutralize(row[0]): row for row in table[1:]}
    assert len(by_name) == 7

    # Formula cells are inert: every cell starting with = + - @ carries an apostrophe.
    for row in table[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert by_name['=HYPERLINK("http://evil.example","click")'][0].startswith("'=")
    assert by_name["'=already quoted"][0] == "''=already quoted"

    jose = dict(zip(EN_HEADERS, by_name["José Núñez"], strict=True))
    # The ID is the API's, so a file and the API name a client alike.
    listed = await org.data('query { clients(search: "jose") { edges { node { id } } } }')
    jose_id = listed["clients"]["edges"][0]["node"]["id"]
    assert jose == {
        "Name": "José Núñez",
        "Email": "jose@example.com",
        "Mobile": "'+34612345678",
        "Country": "ES",
        "Gender": "MALE",
        "Language": "es",
        "Category": "",
        "Company": "Acme, S.L.",
        "Legal name": "Acme Ibérica S.L.",
        "Tax ID": "B12345674",
        "Website": "https://acme.example",
        "Office phone": "'+34912345678",
        "Address": "Calle Mayor 1",
        "City": "Madrid",
        "State": "Madrid",
        "Postal code": "28001",
        "Company country": "ES",
        "Status": "ACTIVE",
        "Date added": jose["Date added"],
        "ID": jose_id,
    }
    datetime.strptime(jose["Date added"], "%Y-%m-%d")


async def test_export_round_trips_the_stored_values(org, http):
    """Until the import lands: every exported cell, un-neutralized, is the stored value."""
    await seed(org)
    table = read_csv((await download(http, (await export(org))["url"])).content)
    stored = {c.name: c for c in await Client.filter(organization_id=org.id)}
    for row in table[1:]:
        values = dict(zip(EN_HEADERS, map(unneutralize, row), strict=True))
        client = stored[values["Name"]]
        assert values["Email"] == (client.email or "")
        assert values["Mobile"] == (client.mobile or "")
        assert values["Country"] == (client.country or "")


@hypothesis_settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_neutralize_is_reversible_and_inert(cell):
    safe = neutralize(cell)
    assert unneutralize(safe) == cell
    assert not safe.startswith(FORMULA_TRIGGERS)


async def test_spanish_headers_and_semicolons(org, http):
    await create_client(org, "Ana; Pérez")
    result = await export(org, language="ES", columns=["NAME", "EMAIL", "DATE_ADDED"])
    content = (await download(http, result["url"])).content
    table = read_csv(content, ";")
    assert table[0] == ["Nombre", "Correo electrónico", "Fecha de alta"]
    assert table[1][0] == "Ana; Pérez"
    comma = await export(org, language="ES", delimiter="COMMA", columns=["NAME"])
    assert read_csv((await download(http, comma["url"])).content)[0] == ["Nombre"]


async def test_same_rows_as_the_list(org, make_org, http):
    other = await make_org()
    await create_client(other, "García de otra org")
    names = ["Lucía García", "Luis Garcia", "Pedro López", "Marta García Ruiz", "Ana"]
    ids = {
        name: await create_client(org, name, country="ES" if "a" in name else "PT")
        for name in names
    }
    await org.data(
        "mutation($id: ID!) { archiveClient(id: $id) { errors { code } } }",
        {"id": ids["Luis Garcia"]},
    )
    cases = [
        {"search": "garcia"},
        {"search": "garcia", "filter": {"status": None}},
        {"filter": {"countries": ["PT"]}},
        {"orderBy": [{"field": "NAME", "direction": "DESC"}]},
        {},
    ]
    for case in cases:
        listed = await org.data(LIST, case)
        expected = [edge["node"]["name"] for edge in listed["clients"]["edges"]]
        result = await export(org, columns=["NAME"], **case)
        table = read_csv((await download(http, result["url"])).content)
        assert [row[0] for row in table[1:]] == expected, case
    assert "García de otra org" not in expected


async def test_batches_follow_the_list_order_across_ties(org):
    """Keyset batches smaller than the result, with equal sort keys, miss and repeat nothing."""
    moment = datetime(2024, 5, 1, tzinfo=UTC)
    await Client.bulk_create(
        [
            Client(
                organization_id=org.id,
                name=f"Tie {i % 3}",
                name_key=f"tie {i % 3}",
                search_text=f"tie {i}",
                created_at=moment,
            )
            for i in range(11)
        ]
    )
    for order in ((), ((exports.ClientOrderField.NAME, True),)):
        request = exports.ExportRequest(
            format=exports.ExportFormat.JSON, order=order, columns=("name",)
        )
        chunks = [chunk async for chunk in exports.stream(org.organization, request, 3)]
        names = [row["name"] for row in json.loads(b"".join(chunks))]
        queryset = exports.clients_queryset(org.id, None, request.filters)
        keys = exports.client_sort_keys(order)
        expected = await queryset.order_by(
            *[("-" if key.descending else "") + key.field for key in keys]
        ).values_list("name", flat=True)
        assert names == list(expected) and len(names) == 11


async def test_xlsx_export(org, http):
    await seed(org)
    result = await export(org, format="XLSX", language="ES")
    assert result["fileName"].endswith(".xlsx")
    response = await download(http, result["url"])
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows())
    assert [cell.value for cell in rows[0]] == [c.headers["es"] for c in COLUMNS]
    cells = {row[0].value: row[0] for row in rows[1:]}
    formula = cells['=HYPERLINK("http://evil.example","click")']
    # A string cell: shown as text, never evaluated.
    assert formula.data_type == "s"
    assert all(row[0].data_type == "s" for row in rows)
    assert len(rows) == 8


async def test_json_export(org, http):
    await seed(org)
    result = await export(org, format="JSON", columns=["NAME", "MOBILE", "COMPANY"])
    response = await download(http, result["url"])
    assert response.headers["content-type"] == "application/json"
    data = json.loads(response.content)
    jose = next(row for row in data if row["name"] == "José Núñez")
    assert jose == {"name": "José Núñez", "mobile": "+34612345678", "company": "Acme, S.L."}
    assert len(data) == 7
    empty = await export(org, format="JSON", search="nobody-matches-this")
    assert json.loads((await download(http, empty["url"])).content) == []


async def test_export_needs_manager_and_valid_input(org):
    for role in (Role.VIEWER, Role.MEMBER):
        body = await org.gql(EXPORT, {"format": "CSV", "language": "EN"}, role=role)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    result = await export(org, columns=[])
    assert result["url"] is None
    assert result["errors"][0]["code"] == "INVALID_CHOICE"
    assert result["errors"][0]["field"] == ["columns"]


async def test_export_url_is_bound_to_its_organization(org, make_org, http, settings):
    other = await make_org()
    await create_client(org, "Secret client of org A")
    result = await export(other)
    table = read_csv((await download(http, result["url"])).content)
    assert all("Secret client" not in row[0] for row in table)

    token = urlsplit(result["url"]).path.rsplit("/", 1)[1]
    # The same claims for another organization, under the original signature.
    unsigned = URLSafeSerializer("any key")
    claims = unsigned.loads_unsafe(token)[1]
    claims["o"] = org.id
    forged = unsigned.dump_payload(claims).decode() + "." + token.rsplit(".", 1)[1]
    assert (await http.get(f"/exports/{forged}")).status_code == 404
    assert (await http.get(f"/exports/{token}x")).status_code == 404
    expired = signing.sign(settings, "export", other.id, claims["d"], -1)
    assert (await http.get(f"/exports/{expired}")).status_code == 404
    file_token = signing.sign(settings, "file", other.id, claims["d"], 60)
    assert (await http.get(f"/exports/{file_token}")).status_code == 404


@pytest.mark.slow
def test_cli_export(tmp_path):
    db = f"sqlite://{tmp_path / 'cli.sqlite3'}"
    env_run = [sys.executable, "-m", "gql_crm.cli"]
    created = subprocess.run(
        [*env_run, "create-org", "Cli Org", "--country", "ES", "--db", db],
        capture_output=True,
        text=True,
        check=True,
    )
    slug = created.stdout.split("slug: ")[1].split()[0]
    seed_script = (
        "import asyncio\n"
        "from gql_crm import db\n"
        "from gql_crm.models import Organization\n"
        "from gql_crm.services import auth, clients\n"
        "async def main():\n"
        f"    async with db.orm({db!r}):\n"
        f"        org = await Organization.get(slug={slug!r})\n"
        "        actor = auth.Actor.system(org)\n"
        "        await clients.create_client(actor, {'name': '=1+1', 'email': 'a@b.es'})\n"
        "        await clients.create_client(actor, {'name': 'Zoe'})\n"
        "asyncio.run(main())\n"
    )
    subprocess.run([sys.executable, "-c", seed_script], check=True)
    out = tmp_path / "clients.csv"
    subprocess.run(
        [*env_run, "export", "--org", slug, "--search", "zoe", "--db", db, "-o", str(out)],
        check=True,
        capture_output=True,
    )
    table = read_csv(out.read_bytes())
    assert table[0] == EN_HEADERS and [row[0] for row in table[1:]] == ["Zoe"]
    xlsx = tmp_path / "clients.xlsx"
    subprocess.run(
        [
            *env_run,
            "export",
            "--org",
            slug,
            "--format",
            "xlsx",
            "--language",
            "es",
            "--db",
            db,
            "-o",
            str(xlsx),
        ],
        check=True,
        capture_output=True,
    )
    sheet = openpyxl.load_workbook(xlsx).active
    assert sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True)) == ["=1+1", "Zoe"]
    missing = subprocess.run(
        [*env_run, "export", "--org", "nope", "--db", db, "-o", str(out)],
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 1 and "nope" in missing.stderr
