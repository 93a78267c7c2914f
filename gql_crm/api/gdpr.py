"""A client's personal data (GDPR): the export for the person, and the erasure."""

from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from gql_crm.api import docs
from gql_crm.api.core.relay import decode_id
from gql_crm.api.errors import UserError, user_errors
from gql_crm.api.files.types import absolute_url
from gql_crm.services import gdpr
from gql_crm.services.errors import UserErrors


@strawberry.type(description="The answer of exportClientData: a signed download link.")
class ExportClientDataPayload:
    url: str | None = strawberry.field(
        description="GET downloads the ZIP (client.json and the files under files/). Signed "
        "for your organization, needs no token; expires at expiresAt."
    )
    file_name: str | None = strawberry.field(
        description="The name the download is saved as; null on errors."
    )
    expires_at: datetime | None = strawberry.field(
        description="When the link stops working; null on errors."
    )
    errors: list[UserError] = strawberry.field(description=docs.ERRORS)


@strawberry.type(description="The answer of eraseClient.")
class EraseClientPayload:
    erased_client_id: relay.GlobalID | None = strawberry.field(
        description="The erased client's former ID (it names nothing now); null on errors."
    )
    erased_at: datetime | None = strawberry.field(
        description="When it was erased, as the activity log keeps it; null on errors."
    )
    erased_clients: int | None = strawberry.field(
        description="Client rows erased: the client and those merged into it; null on errors."
    )
    kept_records: int | None = strawberry.field(
        description="Invoices and purchase orders kept (the law keeps them), now detached "
        "from the person; null on errors."
    )
    errors: list[UserError] = strawberry.field(description=docs.ERRORS)


def _pk(global_id: relay.GlobalID) -> int:
    # 0 names no client: an ID of another type reads as NOT_FOUND.
    return decode_id(global_id, "Client") or 0


@strawberry.type
class GdprMutations:
    @strawberry.mutation(
        description="A download link for everything stored about a client (GDPR access and "
        "portability): one ZIP with client.json (the client, the clients merged into it, its "
        "company, category, every record and its activity) and its attached files and photo. "
        "Needs MANAGER."
    )
    async def export_client_data(
        self, info: Info, id: docs.record_id("Client")
    ) -> ExportClientDataPayload:
        try:
            signed = await gdpr.request_client_data(
                info.context.actor, info.context.settings, _pk(id)
            )
        except UserErrors as exc:
            return ExportClientDataPayload(
                url=None,
                file_name=None,
                expires_at=None,
                errors=user_errors(exc, info.context.language),
            )
        return ExportClientDataPayload(
            url=absolute_url(info, f"/client-data/{signed.token}"),
            file_name=signed.file_name,
            expires_at=signed.expires_at,
            errors=[],
        )

    @strawberry.mutation(
        description="Erases a client's personal data for good (GDPR erasure): the client and "
        "the clients merged into it, their projects, tasks, time logs, deals, quotes, files, "
        "photo and company (unless another client works there). Invoices and purchase orders "
        "are kept, detached (client null); activity entries are kept detached with every "
        'value replaced by "[erased]", and an ERASED entry records who erased and when. '
        "Needs ADMIN."
    )
    async def erase_client(
        self,
        info: Info,
        id: docs.record_id("Client"),
        confirm: docs.argument(str, "The client's name, exactly as it is, to confirm."),
    ) -> EraseClientPayload:
        try:
            erasure = await gdpr.erase_client(
                info.context.actor, info.context.settings, _pk(id), confirm
            )
        except UserErrors as exc:
            return EraseClientPayload(
                erased_client_id=None,
                erased_at=None,
                erased_clients=None,
                kept_records=None,
                errors=user_errors(exc, info.context.language),
            )
        return EraseClientPayload(
            erased_client_id=relay.GlobalID("Client", str(erasure.client_id)),
            erased_at=erasure.erased_at,
            erased_clients=erasure.erased_clients,
            kept_records=erasure.kept_records,
            errors=[],
        )
