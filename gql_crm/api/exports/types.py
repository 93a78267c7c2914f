from datetime import datetime
from enum import Enum

import strawberry

from gql_crm.api import docs
from gql_crm.api.errors import UserError
from gql_crm.services import exports, spreadsheet

ExportFormat = docs.described(
    strawberry.enum(exports.ExportFormat, description="CSV and XLSX open in Excel."),
    {
        "CSV": "Comma- or semicolon-separated text, UTF-8 with a BOM.",
        "XLSX": "An Excel workbook.",
        "JSON": "A JSON array with an object per client, keyed by column (name, email, ...).",
    },
)


def column_descriptions() -> dict[str, str]:
    """Each column by its headers, as the export writes them and the import reads them."""
    return {
        column.key.upper(): f'"{column.headers["en"]}" (ES: "{column.headers["es"]}").'
        for column in spreadsheet.COLUMNS
    }


ExportColumn = docs.described(
    strawberry.enum(
        docs.names_enum("ExportColumn", (column.key for column in spreadsheet.COLUMNS)),
        name="ExportColumn",
        description="The import's columns, in this order by default.",
    ),
    column_descriptions(),
)


@strawberry.enum(description="The language of the column headers.")
class ExportLanguage(Enum):
    EN = strawberry.enum_value("en", description="English headers.")
    ES = strawberry.enum_value("es", description="Spanish headers.")


@strawberry.enum(description="What separates a CSV file's cells.")
class CsvDelimiter(Enum):
    COMMA = strawberry.enum_value(",", description="A comma (Excel in English).")
    SEMICOLON = strawberry.enum_value(";", description="A semicolon (Excel in Spanish).")


@strawberry.type(description="The answer of exportClients: a signed download link.")
class ExportClientsPayload:
    url: str | None = strawberry.field(
        description="GET streams the file. Signed for your organization; expires at expiresAt."
    )
    file_name: str | None = strawberry.field(
        description="The name the download is saved as; null on errors."
    )
    expires_at: datetime | None = strawberry.field(
        description="When the link stops working; null on errors."
    )
    errors: list[UserError] = strawberry.field(description=docs.ERRORS)
