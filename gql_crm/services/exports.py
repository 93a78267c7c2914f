"""Exporting the clients list as CSV, XLSX or JSON, streamed at any size.

The rows are exactly those of the clients list for the same search, filter and order
(`clients_queryset`), read in keyset batches, so memory does not grow with the row count.
The columns, headers and escaping are the clients spreadsheet's (services/spreadsheet.py),
which the import reads: an export can be imported again.
"""

import asyncio
import csv
import io
import json
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum, StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import aiofiles
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from gql_crm.config import Settings
from gql_crm.models import ClientCategory, ClientStatus, Company, Organization, Role
from gql_crm.services import signing, trigrams
from gql_crm.services.auth import Actor
from gql_crm.services.clients import (
    ADDRESS_FIELDS,
    ClientFilter,
    ClientOrderField,
    client_sort_keys,
    clients_queryset,
    search_terms,
)
from gql_crm.services.clients import CLIENT_FIELDS as CLIENT_VALUES
from gql_crm.services.clients import COMPANY_FIELDS as COMPANY_VALUES
from gql_crm.services.errors import ErrorCode, UserErrors
from gql_crm.services.pagination import iterate_batches
from gql_crm.services.spreadsheet import (
    COLUMNS_BY_KEY,
    DEFAULT_DELIMITER,
    DELIMITERS,
    LANGUAGES,
    UTF8_BOM,
    client_global_id,
    neutralize,
)

SIGNED_PURPOSE = "export"
BATCH_SIZE = 2000


class ExportFormat(StrEnum):
    CSV = "CSV"
    XLSX = "XLSX"
    JSON = "JSON"


CONTENT_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.JSON: "application/json",
}


@dataclass(frozen=True)
class ExportRequest:
    format: ExportFormat = ExportFormat.CSV
    search: str | None = None
    filters: ClientFilter = field(default_factory=ClientFilter)
    order: tuple[tuple[ClientOrderField, bool], ...] = ()
    columns: tuple[str, ...] = tuple(COLUMNS_BY_KEY)
    language: str = "en"
    delimiter: str | None = None
    requested_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def csv_delimiter(self) -> str:
        return self.delimiter or DEFAULT_DELIMITER[self.language]

    def validate(self) -> None:
        search_terms(self.search)
        problems = []
        if not self.columns or any(key not in COLUMNS_BY_KEY for key in self.columns):
            problems.append((ErrorCode.INVALID_CHOICE, "columns", ", ".join(COLUMNS_BY_KEY)))
        if self.language not in LANGUAGES:
            problems.append((ErrorCode.INVALID_CHOICE, "language", ", ".join(LANGUAGES)))
        if self.delimiter is not None and self.delimiter not in DELIMITERS:
            problems.append((ErrorCode.INVALID_CHOICE, "delimiter", " ".join(DELIMITERS)))
        if problems:
            code, path, choices = problems[0]
            raise UserErrors.single(code, path, choices=choices)

    def to_claims(self) -> dict[str, Any]:
        filters = self.filters
        return {
            "f": self.format.value,
            "s": self.search,
            "flt": {
                "ca": filters.created_after.isoformat() if filters.created_after else None,
                "cb": filters.created_before.isoformat() if filters.created_before else None,
                "cat": list(filters.category_ids) if filters.category_ids is not None else None,
                "co": list(filters.countries) if filters.countries is not None else None,
                "st": filters.status.value if filters.status else None,
            },
            "o": [[f.name, descending] for f, descending in self.order],
            "c": list(self.columns),
            "l": self.language,
            "d": self.delimiter,
            "t": self.requested_at.isoformat(),
        }

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> "ExportRequest":
        flt = claims["flt"]
        return cls(
            format=ExportFormat(claims["f"]),
            search=claims["s"],
            filters=ClientFilter(
                created_after=datetime.fromisoformat(flt["ca"]) if flt["ca"] else None,
                created_before=datetime.fromisoformat(flt["cb"]) if flt["cb"] else None,
                category_ids=tuple(flt["cat"]) if flt["cat"] is not None else None,
                countries=tuple(flt["co"]) if flt["co"] is not None else None,
                status=ClientStatus(flt["st"]) if flt["st"] else None,
            ),
            order=tuple((ClientOrderField[name], descending) for name, descending in claims["o"]),
            columns=tuple(claims["c"]),
            language=claims["l"],
            delimiter=claims["d"],
            requested_at=datetime.fromisoformat(claims["t"]),
        )


@dataclass(frozen=True)
class SignedExport:
    token: str
    file_name: str
    expires_at: datetime


def file_name(organization: Organization, request: ExportRequest) -> str:
    stamp = request.requested_at.astimezone(ZoneInfo(organization.timezone))
    return f"clients-{organization.slug}-{stamp:%Y%m%d-%H%M%S}.{request.format.value.lower()}"


def request_export(actor: Actor, settings: Settings, request: ExportRequest) -> SignedExport:
    """A signed, short-lived token naming what to export; the download streams it."""
    actor.require(Role.MANAGER)
    request.validate()
    ttl = settings.download_url_ttl
    return SignedExport(
        token=signing.sign(settings, SIGNED_PURPOSE, actor.org_id, request.to_claims(), ttl),
        file_name=file_name(actor.organization, request),
        expires_at=datetime.now(UTC) + timedelta(seconds=ttl),
    )


async def redeem(settings: Settings, token: str) -> tuple[Organization, ExportRequest] | None:
    """The organization and request a valid export token names; None for any other token."""
    claims = signing.verify(settings, SIGNED_PURPOSE, token)
    if claims is None:
        return None
    organization = await Organization.get_or_none(id=claims[0])
    if organization is None:
        return None
    return organization, ExportRequest.from_claims(claims[1])


# ---- rows -------------------------------------------------------------------------------

CLIENT_FIELDS = ("id", *CLIENT_VALUES, "company_id", "status", "created_at")
COMPANY_FIELDS = ("id", *COMPANY_VALUES, *ADDRESS_FIELDS)
_NO_COMPANY: dict[str, Any] = {}


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _date_added(tz: ZoneInfo) -> Callable[[dict, dict, str | None], str]:
    def value(client: dict, company: dict, category: str | None) -> str:
        created = client["created_at"]
        if isinstance(created, str):
            created = datetime.fromisoformat(created)
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        return created.astimezone(tz).date().isoformat()

    return value


def _getters(tz: ZoneInfo) -> dict[str, Callable[[dict, dict, str | None], Any]]:
    def own(name: str):
        return lambda client, company, category: _plain(client[name])

    def of_company(name: str):
        return lambda client, company, category: company.get(name)

    return {
        "name": own("name"),
        "email": own("email"),
        "mobile": own("mobile"),
        "country": own("country"),
        "gender": own("gender"),
        "language": own("language"),
        "category": lambda client, company, category: category,
        "company": of_company("name"),
        "legal_name": of_company("legal_name"),
        "tax_id": of_company("tax_id"),
        "website": of_company("website"),
        "office_phone": of_company("office_phone"),
        "address": of_company("street"),
        "city": of_company("city"),
        "state": of_company("state"),
        "postal_code": of_company("postal_code"),
        "company_country": of_company("country"),
        "status": own("status"),
        "date_added": _date_added(tz),
        "id": lambda client, company, category: client_global_id(client["id"]),
    }


async def rows(
    organization: Organization, request: ExportRequest, batch_size: int = BATCH_SIZE
) -> AsyncIterator[list[list[Any]]]:
    """The export's rows (one value per requested column), a batch at a time."""
    getters = _getters(ZoneInfo(organization.timezone))
    selected = [getters[key] for key in request.columns]
    await trigrams.refresh()
    queryset = clients_queryset(organization.id, request.search, request.filters)
    keys = client_sort_keys(request.order)
    categories: dict[int, str] = {}
    # Only the sort keys the order needs: parsing unused timestamps costs a third of the time.
    fields = tuple(dict.fromkeys((*CLIENT_FIELDS, *(key.field for key in keys))))
    async for batch in iterate_batches(queryset, keys, fields, batch_size):
        missing = {c["category_id"] for c in batch if c["category_id"]} - categories.keys()
        if missing:
            found = await ClientCategory.filter(
                organization_id=organization.id, id__in=list(missing)
            ).values_list("id", "name")
            categories.update(dict(found))
        company_ids = list({c["company_id"] for c in batch if c["company_id"]})
        companies = {}
        if company_ids:
            companies = {
                company["id"]: company
                for company in await Company.filter(
                    organization_id=organization.id, id__in=company_ids
                ).values(*COMPANY_FIELDS)
            }
        yield [
            [
                get(
                    client,
                    companies.get(client["company_id"], _NO_COMPANY),
                    categories.get(client["category_id"]),
                )
                for get in selected
            ]
            for client in batch
        ]


def headers(request: ExportRequest) -> list[str]:
    return [COLUMNS_BY_KEY[key].headers[request.language] for key in request.columns]


# ---- formats ----------------------------------------------------------------------------


async def csv_stream(
    batches: AsyncIterator[list[list[Any]]], header: list[str], delimiter: str
) -> AsyncIterator[bytes]:
    """UTF-8 with a BOM (so Excel reads the accents), formula cells neutralized."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    buffer.write(UTF8_BOM)
    writer.writerow(header)
    async for batch in batches:
        writer.writerows(
            [neutralize(str(cell)) if cell is not None else "" for cell in row] for row in batch
        )
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


async def json_stream(
    batches: AsyncIterator[list[list[Any]]], keys: tuple[str, ...]
) -> AsyncIterator[bytes]:
    """A JSON array of objects keyed by column key, written row by row."""
    yield b"["
    separator = "\n"
    async for batch in batches:
        parts = []
        for row in batch:
            parts.append(
                separator + json.dumps(dict(zip(keys, row, strict=True)), ensure_ascii=False)
            )
            separator = ",\n"
        yield "".join(parts).encode()
    yield b"\n]\n"


def _string_cell(sheet, value: Any) -> Cell:
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", str(value)))
    # openpyxl turns any string starting with "=" into a formula; a cell typed as a
    # string is shown as text by every spreadsheet, so no prefix is needed here.
    cell.data_type = "s"
    return cell


async def xlsx_stream(
    batches: AsyncIterator[list[list[Any]]], header: list[str]
) -> AsyncIterator[bytes]:
    """openpyxl's write-only mode keeps rows on disk; the finished file is then streamed."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Clients")
    sheet.append([_string_cell(sheet, value) for value in header])
    async for batch in batches:
        for row in batch:
            sheet.append(
                [_string_cell(sheet, value) if value is not None else None for value in row]
            )
    descriptor, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(descriptor)
    try:
        await asyncio.to_thread(workbook.save, path)
        async with aiofiles.open(path, "rb") as source:
            while chunk := await source.read(64 * 1024):
                yield chunk
    finally:
        os.unlink(path)


def stream(
    organization: Organization, request: ExportRequest, batch_size: int = BATCH_SIZE
) -> AsyncIterator[bytes]:
    batches = rows(organization, request, batch_size)
    if request.format == ExportFormat.CSV:
        return csv_stream(batches, headers(request), request.csv_delimiter)
    if request.format == ExportFormat.XLSX:
        return xlsx_stream(batches, headers(request))
    return json_stream(batches, request.columns)
