"""GraphQL documents and small helpers shared by the tests."""

import asyncio
import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from httpx_ws import aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport

CLIENT_FIELDS = """
    id name email mobile country gender language status createdAt updatedAt
    category { id name }
    company { name legalName taxId website officePhone
              address { street city state postalCode country } }
"""

CREATE_CLIENT = f"""
mutation($input: CreateClientInput!) {{
  createClient(input: $input) {{ client {{ {CLIENT_FIELDS} }} errors {{ code field message }} }}
}}"""

UPDATE_CLIENT = f"""
mutation($id: ID!, $input: UpdateClientInput!) {{
  updateClient(id: $id, input: $input) {{
    client {{ {CLIENT_FIELDS} }} errors {{ code field message }}
  }}
}}"""

ARCHIVE_CLIENT = """
mutation($id: ID!) { archiveClient(id: $id) { client { id status } errors { code field message } } }
"""

RESTORE_CLIENT = """
mutation($id: ID!) { restoreClient(id: $id) { client { id status } errors { code field message } } }
"""

CREATE_CATEGORY = """
mutation($name: String!) {
  createClientCategory(input: {name: $name}) { clientCategory { id name } errors { code field message } }
}"""

LIST_CLIENTS = """
query($search: String, $filter: ClientFilter, $orderBy: [ClientOrder!],
      $first: Int, $after: String, $last: Int, $before: String) {
  clients(search: $search, filter: $filter, orderBy: $orderBy,
          first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { id name email status createdAt } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""

ATTACH = """
mutation($clientId: ID!, $file: Upload!, $description: String) {
  attachClientFile(clientId: $clientId, file: $file, description: $description) {
    file { id name description size contentType sha256 createdAt url uploadedBy { email } }
    errors { code field message }
  }
}"""
DELETE = "mutation($id: ID!) { deleteFile(id: $id) { deletedId errors { code field } } }"


def global_id(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def pk_of(gid: str) -> int:
    return int(base64.b64decode(gid).decode().split(":")[1])


async def create_client(org, **input) -> dict:
    data = await org.data(CREATE_CLIENT, {"input": input})
    assert data["createClient"]["errors"] == [], data["createClient"]["errors"]
    return data["createClient"]["client"]


def names(connection: dict) -> list[str]:
    return [edge["node"]["name"] for edge in connection["edges"]]


@asynccontextmanager
async def app_websocket(app: Any, protocol: str = "graphql-transport-ws") -> AsyncIterator[Any]:
    """A websocket to the app's /graphql endpoint, speaking `protocol`."""
    transport = ASGIWebSocketTransport(app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
        aconnect_ws("/graphql", client, subprotocols=[protocol]) as ws,
    ):
        yield ws


async def subscription_data(
    ws: Any, token: str, query: str, variables: dict[str, Any], timeout: float = 30
) -> AsyncIterator[dict[str, Any]]:
    """Over an open graphql-transport-ws socket: authenticates with the token, subscribes,
    then yields each event's data until the server completes the subscription."""
    await ws.send_json({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
    assert (await ws.receive_json())["type"] == "connection_ack"
    await ws.send_json(
        {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}}
    )
    while True:
        message = await asyncio.wait_for(ws.receive_json(), timeout)
        if message["type"] == "complete":
            return
        assert message["type"] == "next", message
        yield message["payload"]["data"]
