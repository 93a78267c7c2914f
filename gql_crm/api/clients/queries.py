from functools import partial

import strawberry
from strawberry.types import Info

from gql_crm.api.clients.inputs import (
    ClientFilter,
    ClientFilterArgument,
    ClientOrder,
    ClientOrderArgument,
    ClientSearch,
)
from gql_crm.api.clients.types import Client, ClientCategory, ClientConnection, ClientID
from gql_crm.api.core.loaders import load_node
from gql_crm.api.core.relay import OrderDirection, decode_id, decode_ids, paged_connection
from gql_crm.api.docs import After, Before, First, Last
from gql_crm.services import categories, client_counts, clients, trigrams


def filter_of(value: ClientFilter | None) -> clients.ClientFilter:
    """The list's filter input as the service's filter; the export reads it the same way."""
    if value is None:
        return clients.ClientFilter()
    return clients.ClientFilter(
        created_after=value.created_after,
        created_before=value.created_before,
        category_ids=(
            decode_ids(value.category_ids, "ClientCategory")
            if value.category_ids is not None
            else None
        ),
        countries=tuple(value.countries) if value.countries is not None else None,
        status=clients.ClientStatus(value.status.value) if value.status else None,
    )


def order_of(order_by: list[ClientOrder] | None) -> list[tuple[clients.ClientOrderField, bool]]:
    return [(o.field, o.direction == OrderDirection.DESC) for o in order_by or []]


@strawberry.type
class ClientQueries:
    @strawberry.field(description="A client of your organization, archived ones included.")
    async def client(self, info: Info, id: ClientID) -> Client | None:
        return await load_node(info, Client, decode_id(id, "Client"))

    @strawberry.field(
        description="The clients list. `search` matches name, email, phone, company name, "
        "legal name and tax ID, ignoring case and accents; every word must match. "
        "Newest first unless `orderBy` says otherwise."
    )
    async def clients(
        self,
        info: Info,
        search: ClientSearch = None,
        filter: ClientFilterArgument = None,
        order_by: ClientOrderArgument = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> ClientConnection:
        await trigrams.refresh()
        filters = filter_of(filter)
        queryset = clients.clients_queryset(info.context.org_id, search, filters)
        keys = clients.client_sort_keys(order_of(order_by))
        return await paged_connection(
            info,
            ClientConnection,
            queryset,
            keys,
            Client.from_model,
            first,
            after,
            last,
            before,
            partial(client_counts.count_clients, info.context.org_id, search, filters),
        )

    @strawberry.field(description="Every client category of your organization, by name.")
    async def client_categories(self, info: Info) -> list[ClientCategory]:
        rows = await categories.list_categories(info.context.org_id)
        return [ClientCategory.from_model(row) for row in rows]
