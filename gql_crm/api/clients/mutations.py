from typing import Annotated

import strawberry
from strawberry.types import Info

from gql_crm.api.clients.inputs import (
    CreateClientCategoryInput,
    CreateClientInput,
    UpdateClientInput,
)
from gql_crm.api.clients.types import (
    CLIENT_PAYLOAD,
    ClientCategory,
    ClientCategoryPayload,
    ClientID,
    ClientPayload,
)
from gql_crm.api.core.relay import input_to_data, record_id
from gql_crm.api.errors import MutationPayload
from gql_crm.models import ClientStatus
from gql_crm.services import categories, clients

ID_TYPES = {"category_id": "ClientCategory"}


CATEGORY_PAYLOAD = MutationPayload(
    ClientCategoryPayload, "client_category", ClientCategory.from_model
)


@strawberry.type
class ClientMutations:
    @strawberry.mutation(description="Adds a client to the list. Needs MEMBER.")
    async def create_client(
        self,
        info: Info,
        input: Annotated[CreateClientInput, strawberry.argument(description="The client.")],
    ) -> ClientPayload:
        data = input_to_data(input, ID_TYPES)
        return await CLIENT_PAYLOAD.run(
            info, lambda: clients.create_client(info.context.actor, data)
        )

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
        return await CLIENT_PAYLOAD.run(
            info, lambda: clients.update_client(info.context.actor, record_id(id, "Client"), data)
        )

    @strawberry.mutation(description="Takes the client out of the list; needs MANAGER.")
    async def archive_client(self, info: Info, id: ClientID) -> ClientPayload:
        return await CLIENT_PAYLOAD.run(
            info,
            lambda: clients.set_status(
                info.context.actor, record_id(id, "Client"), ClientStatus.ARCHIVED
            ),
        )

    @strawberry.mutation(description="Brings an archived client back; needs MANAGER.")
    async def restore_client(self, info: Info, id: ClientID) -> ClientPayload:
        return await CLIENT_PAYLOAD.run(
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
        return await CATEGORY_PAYLOAD.run(
            info, lambda: categories.create_category(info.context.actor, input.name)
        )
