"""Duplicate clients: the likely pairs, and merging clients into one."""

from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from gql_crm.api import docs
from gql_crm.api.clients.types import CLIENT_PAYLOAD, Client, ClientPayload
from gql_crm.api.core.loaders import load_node
from gql_crm.api.core.relay import connection, decode_id
from gql_crm.api.docs import After, First
from gql_crm.services import duplicates, merge

DuplicateReason = docs.described(
    strawberry.enum(
        duplicates.DuplicateReason,
        name="DuplicateReason",
        description="What two clients share that makes them likely the same.",
    ),
    {
        "EMAIL": "The same email, ignoring case.",
        "PHONE": "The same mobile number (E.164).",
        "TAX_ID": "Their companies have the same tax ID (compact form; an EU VAT number "
        "matches the national number it holds).",
        "NAME_AND_COMPANY": "The same name, ignoring case and accents, at the same company.",
    },
)
MergeField = docs.described(
    strawberry.enum(
        merge.MergeField, name="MergeField", description="A value of a client a merge can choose."
    ),
    {
        "NAME": "The name.",
        "EMAIL": "The email.",
        "MOBILE": "The mobile number.",
        "COUNTRY": "The country.",
        "GENDER": "The gender.",
        "LANGUAGE": "The language.",
        "CATEGORY": "The category.",
        "COMPANY": "The linked company.",
        "PHOTO": "The profile photo (the others are deleted).",
    },
)
MergedClients = docs.described(
    strawberry.enum(
        merge.MergedClients,
        name="MergedClients",
        description="What becomes of the merged clients once their records moved.",
    ),
    {
        "ARCHIVE": "They are archived and marked as merged: out of the list and of "
        "clientDuplicates, and they cannot be merged again.",
        "DELETE": "Their rows are deleted.",
    },
)


@strawberry.type(description="Two clients that are likely the same person.")
class ClientDuplicate:
    client_id: strawberry.Private[int]
    other_id: strawberry.Private[int]
    reasons: list[DuplicateReason] = strawberry.field(
        description="Every key the two share, at least one."
    )

    @strawberry.field(description="The newer client of the pair.")
    async def client(self, info: Info) -> Client | None:
        return await load_node(info, Client, self.client_id)

    @strawberry.field(description="The older client of the pair.")
    async def other(self, info: Info) -> Client | None:
        return await load_node(info, Client, self.other_id)


@strawberry.type(description="A page of likely duplicate pairs, newest pairs first.")
# A pair has no ID of its own, so it is no Node; Strawberry's Connection takes any type at
# run time, its type parameter's bound is for the type checker only.
class ClientDuplicateConnection(relay.Connection[ClientDuplicate]):  # type: ignore[type-var]
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Pairs across all pages.")
    async def total_count(self) -> int:
        return await self.count()


@strawberry.input(description="Which client's value the kept client takes for one field.")
class MergeFieldChoice:
    field: MergeField = strawberry.field(description="The field.")
    client_id: relay.GlobalID = strawberry.field(
        description="The kept client or one of the merged ones; its value is taken even when empty."
    )


@strawberry.input(description="What to merge into which client.")
class MergeClientsInput:
    keep_id: relay.GlobalID = strawberry.field(
        description="The client that stays and receives everything; must be ACTIVE."
    )
    merge_ids: list[relay.GlobalID] = strawberry.field(
        description="The clients merged into it (at least one; ACTIVE or ARCHIVED, not "
        "already merged)."
    )
    field_choices: list[MergeFieldChoice] = strawberry.field(
        default_factory=list,
        description="Fields whose value comes from a chosen client. The fields not chosen keep "
        "the kept client's value, or when it has none take the first merged client's (in "
        "mergeIds order) that has one.",
    )
    merged_clients: MergedClients = strawberry.field(
        default=merge.MergedClients.ARCHIVE,
        description="What becomes of the merged clients; ARCHIVE unless given.",
    )


def _pk(global_id: relay.GlobalID) -> int:
    # 0 names no client: an ID of another type is reported NOT_FOUND by the service.
    return decode_id(global_id, "Client") or 0


@strawberry.type
class DuplicateQueries:
    @strawberry.field(
        description="Likely duplicate pairs among your organization's clients (an archived "
        "client pairs with an active one; a merged one never), newest pairs first, each with "
        "every reason found."
    )
    async def client_duplicates(
        self, info: Info, first: First = None, after: After = None
    ) -> ClientDuplicateConnection:
        page = await duplicates.duplicate_pairs(
            info.context.org_id,
            first=first,
            after=after,
            max_page_size=info.context.settings.max_page_size,
        )
        return connection(
            ClientDuplicateConnection,
            page,
            lambda pair: ClientDuplicate(
                client_id=pair.client_id, other_id=pair.other_id, reasons=list(pair.reasons)
            ),
        )


@strawberry.type
class MergeMutations:
    @strawberry.mutation(
        description="Merges clients into one, in one transaction: every record of the merged "
        "clients (projects, tasks, time logs, invoices, purchase orders, deals, quotes, files, "
        "activity, photo) moves to the kept client, which fills its empty fields from them "
        "(or takes the chosen ones), and an activity entry MERGED is written on it. Needs "
        "MANAGER, like archiving."
    )
    async def merge_clients(
        self,
        info: Info,
        input: Annotated[MergeClientsInput, strawberry.argument(description="What to merge.")],
    ) -> ClientPayload:
        request = merge.MergeRequest(
            keep_id=_pk(input.keep_id),
            merge_ids=[_pk(merge_id) for merge_id in input.merge_ids],
            choices=[(choice.field, _pk(choice.client_id)) for choice in input.field_choices],
            merged=input.merged_clients,
        )
        return await CLIENT_PAYLOAD.run(
            info, lambda: merge.merge_clients(info.context.actor, info.context.settings, request)
        )
