"""Websocket protocols that check the connection's token again before every operation.

A socket outlives the token it opened with: without this, a revoked token kept working on
every socket already open.
"""

from graphql import GraphQLError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import StartMessage

from gql_crm.api.context import Context
from gql_crm.api.errors import RequestErrorCode, request_error
from gql_crm.services.auth import authenticate


async def _refusal(context: Context) -> GraphQLError | None:
    """None while the socket's token is still valid; else the error to answer with."""
    if context.socket_token is None:
        return None
    actor = await authenticate(context.socket_token)
    if actor is not None:
        return None
    context.sign_in(None, context.socket_token)
    return request_error(RequestErrorCode.UNAUTHENTICATED, context.language)


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws (graphql-ws, Apollo, urql)."""

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self.connection_acknowledged and (error := await _refusal(self.context)):
            await self.send_message(
                {"id": message["id"], "type": "error", "payload": [error.formatted]}
            )
            return
        await super().handle_subscribe(message)


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    """The older subscriptions-transport-ws protocol ("graphql-ws")."""

    async def handle_start(self, message: StartMessage) -> None:
        if self.connection_acknowledged and (error := await _refusal(self.context)):
            await self.send_message(
                {"id": message["id"], "type": "error", "payload": error.formatted}
            )
            return
        await super().handle_start(message)
