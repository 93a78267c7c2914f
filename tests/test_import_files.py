"""The files people have: encodings, dialects, headers, XLSX quirks, and files that lie."""

import codecs
import csv
import io
import tempfile
import zipfile

import openpyxl
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from gql_crm.app import create_app
from gql_crm.config import Settings
from gql_crm.models import Client, ImportJob
from gql_crm.services.imports import readers
from gql_crm.services.spreadsheet import neutralize
from tests.conftest import Org
from tests.imports import csv_bytes, errors_of, run_import, start
from tests.uploads import image_bytes

ROWS = [
    ["Nombre", "Correo electrónico", "Móvil", "País"],
    ["José Núñez", "jose@example.com", "612 345 678", "España"],
    ['Zoë "Zo" Ñandú; jr.', "zoe@example.com", "+34 612 345 679", "Spain"],
]


def xlsx_bytes(rows, *, title=None, sheet="Clientes", other_sheet_first=False) -> bytes:
    workbook = openpyxl.Workbook()
    if other_sheet_first:
        workbook.active.title = "Notas"
        workbook.active.append(["nothing here"])
        worksheet = workbook.create_sheet(sheet)
    else:
        worksheet = workbook.active
        worksheet.title = sheet
    if title:
        worksheet.append([title])
        worksheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(rows[0]))
    for row in rows:
        worksheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


async def names(org) -> list[str]:
    return sorted(await Client.filter(organization_id=org.id).values_list("name", flat=True))


@pytest.mark.parametrize(
    "encoding,bom",
    [
        ("utf-8", b""),
        ("utf-8", codecs.BOM_UTF8),
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("cp1252", b""),
    ],
)
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
async def test_encodings_and_delimiters(make_org, encoding, bom, delimiter):
    org = await make_org()
    content = bom + csv_bytes(ROWS, delimiter=delimiter, encoding=encoding)
    job = await run_import(org, content, name="clients.txt")
    assert (job["created"], job["failed"]) == (2, 0), errors_of(job)
    assert await names(org) == ["José Núñez", 'Zoë "Zo" Ñandú; jr.']


async def test_quoted_newlines_crlf_blank_lines_and_trailing_columns(org):
    content = (
        "\ufeffName,Email,Address,Company,,\r\n"
        "\r\n"
        '"Ana, the first",ana@example.com,"Calle Mayor 1\r\n2º B",Acme,,\r\n'
        ",,,,,\r\n"
        "Bea,bea@example.com,,,,\r\n"
        "Carla,carla@@example.com,,,,\r\n"
    ).encode()
    job = await run_import(org, content)
    assert job["totalRows"] == 3
    assert (job["created"], job["failed"]) == (2, 1)
    # Rows are numbered as a spreadsheet shows them (blank lines count, quoted newlines not).
    assert errors_of(job) == [(6, "EMAIL", "INVALID_EMAIL")]
    ana = await Client.get(organization_id=org.id, email="ana@example.com")
    assert ana.name == "Ana, the first"
    assert (await ana.company).street == "Calle Mayor 1\r\n2º B"


async def test_headers_titles_and_mapping_overrides(org):
    rows = [
        ["  NOMBRE DEL CLIENTE ", "E-mail", "Estado", "Provincia", "Empresa", "Cosas"],
        ["Ana", "ana@example.com", "ACTIVE", "Sevilla", "Acme", "x"],
    ]
    job = await run_import(
        org, xlsx_bytes(rows, title="Exportado del sistema anterior"), name="c.xlsx"
    )
    assert job["status"] == "SUCCEEDED", job
    assert [(m["column"], m["field"]) for m in job["mapping"]] == [
        ("NOMBRE DEL CLIENTE", "NAME"),
        ("E-mail", "EMAIL"),
        ("Provincia", "STATE"),
        ("Empresa", "COMPANY"),
    ]
    assert job["ignoredColumns"] == ["Estado"] and job["unknownColumns"] == ["Cosas"]
    ana = await Client.get(organization_id=org.id, email="ana@example.com")
    assert (await ana.company).state == "Sevilla"

    overridden = await run_import(
        org,
        csv_bytes([["Cliente", "Cosas", "E-mail"], ["Bea", "bea@example.com", "ignored"]]),
        {"mapping": [{"column": "cosas", "field": "EMAIL"}, {"column": "E-MAIL", "field": None}]},
    )
    assert overridden["created"] == 1
    assert await Client.filter(organization_id=org.id, email="bea@example.com").exists()

    missing = await start(
        org,
        csv_bytes([["Nombre"], ["Ana"]]),
        {"mapping": [{"column": "Apellidos", "field": "NAME"}]},
    )
    assert missing["importJob"] is None
    assert missing["errors"][0]["code"] == "MISSING_COLUMN"
    no_name = await start(org, csv_bytes([["Email"], ["a@example.com"]]))
    assert [e["code"] for e in no_name["errors"]] == ["MISSING_COLUMN"]


async def test_xlsx_named_sheet_numbers_and_dates(org):
    from datetime import datetime

    rows = [
        ["Name", "Mobile", "Tax ID", "Country", "Date added"],
        ["Ana", 612345678.0, 12345678, "ES", datetime(2025, 1, 2)],
    ]
    content = xlsx_bytes(rows, sheet="Clientes", other_sheet_first=True)
    job = await run_import(org, content, {"sheet": "Clientes"}, name="c.xlsx")
    assert (job["created"], job["failed"]) == (0, 1)
    assert errors_of(job) == [(2, "TAX_ID", "INVALID_TAX_ID")]
    job = await run_import(
        org,
        xlsx_bytes(
            [["Name", "Mobile", "Country"], ["Ana", 612345678.0, "ES"]], other_sheet_first=True
        ),
        {"sheet": "Clientes"},
        name="c.xlsx",
    )
    assert job["created"] == 1
    assert (await Client.get(organization_id=org.id, name="Ana")).mobile == "+34612345678"
    wrong = await start(org, content, {"sheet": "Nope"}, name="c.xlsx")
    assert wrong["errors"][0]["code"] == "NOT_FOUND"
    assert wrong["errors"][0]["field"] == ["options", "sheet"]


def zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (30 * 1024 * 1024))
    return out.getvalue()


@pytest.mark.parametrize(
    "content,reason",
    [
        (image_bytes(), "image/png"),
        (b"\x00\x01\x02\x03binary\x00\xff" * 100, "binary"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, ".xls"),
        (b"PK\x03\x04 not really a zip", "damaged"),
    ],
)
async def test_files_that_are_not_what_they_claim(org, content, reason):
    payload = await start(org, content, name="clients.csv")
    assert payload["importJob"] is None
    assert payload["errors"][0]["code"] == "UNSUPPORTED_FILE"
    assert reason in payload["errors"][0]["message"]
    assert await ImportJob.filter(organization_id=org.id).count() == 0


async def test_limits(make_org, database, tmp_path, monkeypatch):
    import httpx

    # The scratch copies of refused uploads go too.
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    settings = Settings(
        media_dir=tmp_path,
        secret_key="s",
        max_upload_bytes=100_000,
        max_import_rows=3,
        max_import_uncompressed_bytes=10 * 1024 * 1024,
    )
    transport = httpx.ASGITransport(app=create_app(settings, init_orm=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        base = await make_org()
        org = Org(http, base.organization, base.tokens)
        rows = [["Name"]] + [[f"Client {i}"] for i in range(4)]
        too_many = await start(org, csv_bytes(rows))
        assert too_many["errors"][0]["code"] == "TOO_MANY_ROWS"
        assert "3 rows" in too_many["errors"][0]["message"]
        large = await start(org, b"Name\n" + b"x" * 99_000 + b"\n" + b"y" * 2000)
        assert large["errors"][0]["code"] == "FILE_TOO_LARGE"
        bomb = await start(org, zip_bomb(), name="c.xlsx")
        assert bomb["errors"][0]["code"] == "UNSUPPORTED_FILE"
        assert "inflates" in bomb["errors"][0]["message"]
        empty = await start(org, b"\xef\xbb\xbf\r\n")
        assert empty["errors"][0]["code"] == "REQUIRED"
        assert await ImportJob.filter(organization_id=org.id).count() == 0
        assert list(scratch.glob("gql-crm-import-*")) == []
        assert not (tmp_path / "uploads").exists()


# ---- the CSV reader against generated dialects -------------------------------------------

cell = st.text(
    alphabet=st.characters(codec="cp1252", exclude_categories=("Cc", "Cs"))
    | st.sampled_from(["\n", "\r", ",", ";", "\t", "|", '"', "'"]),
    max_size=12,
)


@hypothesis_settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.lists(cell, min_size=3, max_size=3), min_size=1, max_size=6),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
    # Excel's style, and a writer quoting everything with Unix newlines (with those,
    # Python's own writer would leave a lone CR unquoted, which no reader can tell apart).
    style=st.sampled_from([("\r\n", csv.QUOTE_MINIMAL), ("\n", csv.QUOTE_ALL)]),
)
def test_any_dialect_reads_back_the_same_cells(tmp_path_factory, rows, delimiter, encoding, style):
    header = ["Nombre", "Correo electrónico", "País"]
    path = tmp_path_factory.mktemp("dialects") / "upload"
    # Cells neutralized as the export writes them (a leading apostrophe before a formula).
    written = [[neutralize(cell) for cell in row] for row in rows]
    path.write_bytes(
        csv_bytes(
            [header, *written],
            delimiter=delimiter,
            encoding=encoding,
            line=style[0],
            quoting=style[1],
        )
    )
    kind = readers.detect(path, 10**9)
    assert kind.delimiter == delimiter
    # Quoted newlines, delimiters and quotes come back exactly; blank records are [].
    assert [record for record in readers.csv_records(path, kind) if record] == [header, *rows]
