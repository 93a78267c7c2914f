from datetime import datetime
from enum import Enum

import strawberry

from gql_crm.api.errors import UserError
from gql_crm.services import exports

ExportFormat = strawberry.enum(exports.ExportFormat, description="CSV and XLSX open in Excel.")
ExportColumn = strawberry.enum(
    Enum("ExportColumn", {column.key.upper(): column.key.upper() for column in exports.COLUMNS}),
    name="ExportColumn",
    description="The import's columns, in this order by default.",
)


@strawberry.enum(description="The language of the column headers.")
class ExportLanguage(Enum):
    EN = "en"
    ES = "es"


@strawberry.enum
class CsvDelimiter(Enum):
    COMMA = ","
    SEMICOLON = ";"


@strawberry.type
class ExportClientsPayload:
    url: str | None = strawberry.field(
        description="GET streams the file. Signed for your organization; expires at expiresAt."
    )
    file_name: str | None
    expires_at: datetime | None
    errors: list[UserError]
