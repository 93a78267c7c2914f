import strawberry
from strawberry.types import Info

from gql_crm.api import docs
from gql_crm.api.clients.inputs import ClientFilterArgument, ClientOrderArgument, ClientSearch
from gql_crm.api.clients.queries import filter_of, order_of
from gql_crm.api.core.urls import absolute_url
from gql_crm.api.errors import user_errors
from gql_crm.api.exports.types import (
    CsvDelimiter,
    ExportClientsPayload,
    ExportColumn,
    ExportFormat,
    ExportLanguage,
)
from gql_crm.services import exports, spreadsheet
from gql_crm.services.errors import UserErrors


@strawberry.type
class ExportMutations:
    @strawberry.mutation(
        description="A download link for the clients list as a file: the same rows as "
        "`clients` with the same search, filter and order. Needs MANAGER. `delimiter` "
        "defaults to a comma for EN headers and a semicolon for ES (Excel's regional lists)."
    )
    async def export_clients(
        self,
        info: Info,
        search: ClientSearch = None,
        filter: ClientFilterArgument = None,
        order_by: ClientOrderArgument = None,
        format: docs.argument(ExportFormat, "The file's format.") = exports.ExportFormat.CSV,
        columns: docs.argument(
            list[ExportColumn] | None, "The columns, in this order; all of them when omitted."
        ) = None,
        language: docs.argument(ExportLanguage, "The language of the headers.") = ExportLanguage.EN,
        delimiter: docs.argument(
            CsvDelimiter | None, "CSV only; by default a comma for EN, a semicolon for ES."
        ) = None,
    ) -> ExportClientsPayload:
        request = exports.ExportRequest(
            format=exports.ExportFormat(format),
            search=search,
            filters=filter_of(filter),
            order=tuple(order_of(order_by)),
            columns=(
                tuple(column.value.lower() for column in columns)
                if columns is not None
                else tuple(spreadsheet.COLUMNS_BY_KEY)
            ),
            language=language.value,
            delimiter=delimiter.value if delimiter else None,
        )
        try:
            signed = exports.request_export(info.context.actor, info.context.settings, request)
        except UserErrors as exc:
            return ExportClientsPayload(
                url=None,
                file_name=None,
                expires_at=None,
                errors=user_errors(exc, info.context.language),
            )
        return ExportClientsPayload(
            url=absolute_url(info, f"/exports/{signed.token}"),
            file_name=signed.file_name,
            expires_at=signed.expires_at,
            errors=[],
        )
