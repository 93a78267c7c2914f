"""Shared helpers of the export tests: the mutation, downloading and reading its file, and
a seed of clients whose cells need care."""

import csv
import io
from urllib.parse import urlsplit

from gql_crm.models import Role
from gql_crm.services.spreadsheet import COLUMNS
from tests.uploads import create_client

EXPORT = """
mutation($format: ExportFormat!, $search: String, $filter: ClientFilter,
         $orderBy: [ClientOrder!], $columns: [ExportColumn!], $language: ExportLanguage!,
         $delimiter: CsvDelimiter) {
  exportClients(format: $format, search: $search, filter: $filter, orderBy: $orderBy,
                columns: $columns, language: $language, delimiter: $delimiter) {
    url fileName expiresAt errors { code field message }
  }
}"""
LIST = """
query($search: String, $filter: ClientFilter, $orderBy: [ClientOrder!]) {
  clients(search: $search, filter: $filter, orderBy: $orderBy, first: 100) {
    edges { node { name email } }
  }
}"""
EN_HEADERS = [column.headers["en"] for column in COLUMNS]


async def export(org, role=Role.MANAGER, **variables) -> dict:
    variables = {"format": "CSV", "language": "EN", **variables}
    data = await org.data(EXPORT, variables, role=role)
    return data["exportClients"]


async def download(http, url: str):
    parts = urlsplit(url)
    response = await http.get(parts.path)
    assert response.status_code == 200, response.text
    return response


def read_csv(content: bytes, delimiter: str = ",") -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=delimiter))


async def seed(org):
    await create_client(
        org,
        "José Núñez",
        email="jose@example.com",
        mobile="612345678",
        country="ES",
        gender="MALE",
        language="es",
        company={
            "name": "Acme, S.L.",
            "legalName": "Acme Ibérica S.L.",
            "taxId": "B12345674",
            "website": "acme.example",
            "officePhone": "912345678",
            "address": {
                "street": "Calle Mayor 1",
                "city": "Madrid",
                "state": "Madrid",
                "postalCode": "28001",
                "country": "ES",
            },
        },
    )
    await create_client(org, '=HYPERLINK("http://evil.example","click")')
    await create_client(org, "+SUM(1,2)")
    await create_client(org, "-2+3")
    await create_client(org, "@cmd")
    await create_client(org, "'=already quoted")
    await create_client(org, 'Plain "quoted"; name')
