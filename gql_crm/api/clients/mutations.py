from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from gql_crm.api.clients.inputs import (
    CreateClientCategoryInput,
    CreateClientInput,
    UpdateClientInput,
)
from gql_crm.api.clients.types import (
    Client,
    ClientCategory,
    ClientCategoryPayload,
    ClientID,
    ClientPayload,
)
from gql_crm.api.core.relay import input_to_data, record_id
from gql_crm.api.errors import mutate
from gql_crm.models import ClientStatus
from gql_crm.services import categories, clients

ID_TYPES = {"category_id": "ClientCategory"}


def _client_payload(info: Info, action: Callable[[], Awaitable[Any]]) -> Awaitable[ClientPayload]:
    return mutate(info, ClientPayload, "client", Client.from_model, action)


@strawberry.type
class ClientMutations:
    @strawberry.mutation(description="Adds a client to the list. Needs MEMBER.")
    async def create_client(
        self,
        info: Info,
        input: Annotated[CreateClientInput, strawberry.argument(description="The client.")],
    ) -> ClientPayload:
        data = input_to_data(input, ID_TYPES)
        return await _client_payload(info, lambda: clients.create_client(info.context.actor, data))

    @strawberry.mutation(description="A partial update; needs MEMBER.")
    async def update_client(
        self,
        info: Info,
        id: ClientID,
        input: Annotated[
            UpdateClientInput, strawberry.argument(description="The fields to change.")
        ],
    ) -> ClientPayload:
        data = input_to_data(input, ID_TYPES)
        return await _client_payload(
            info, lambda: clients.update_client(info.context.actor, record_id(id, "Client"), data)
        )

    @strawberry.mutation(description="Takes the client out of the list; needs MANAGER.")
    async def archive_client(self, info: Info, id: ClientID) -> ClientPayload:
        return await _client_payload(
            info,
            lambda: clients.set_status(
                info.context.actor, record_id(id, "Client"), ClientStatus.ARCHIVED
            ),
        )

    @strawberry.mutation(description="Brings an archived client back; needs MANAGER.")
    async def restore_client(self, info: Info, id: ClientID) -> ClientPayload:
        return await _client_payload(
            info,
            lambda: clients.set_status(
                info.context.actor, record_id(id, "Client"), ClientStatus.ACTIVE
            ),
        )

    @strawberry.mutation(description="A new category for clients. Needs ADMIN.")
    async def create_client_category(
        self,
        info: Info,
        input: Annotated[
            CreateClientCategoryInput, strawberry.argument(description="The category.")
        ],
    ) -> ClientCategoryPayload:
        return await mutate(
            info,
            ClientCategoryPayload,
            "client_category",
            ClientCategory.from_model,
            lambda: categories.create_category(info.context.actor, input.name),
        )
