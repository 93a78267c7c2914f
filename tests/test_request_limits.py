"""Request bodies are capped while they stream in, from what the headers say about the caller:
a few KB without a valid token, a few MB of JSON, the upload limit for multipart."""

from dataclasses import replace

import httpx
import pytest

from gql_crm.app import create_app
from gql_crm.models import Role

CHUNK = 64 * 1024


class Streamed:
    """A request body produced chunk by chunk, counting what the server pulled."""

    def __init__(self, head: bytes, filler_bytes: int, tail: bytes = b""):
        self.head, self.filler_bytes, self.tail = head, filler_bytes, tail
        self.pulled = 0

    async def __aiter__(self):
        for chunk in self._chunks():
            self.pulled += len(chunk)
            yield chunk

    def _chunks(self):
        yield self.head
        for _ in range(self.filler_bytes // CHUNK):
            yield b" " * CHUNK
        yield self.tail


def json_body(filler_bytes: int) -> Streamed:
    # JSON allows the blanks as padding: a body the server would parse if it read it all.
    return Streamed(b'{"query": "{ __typename }"', filler_bytes, b"}")


def multipart_body(boundary: str, file_bytes: int) -> Streamed:
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
        '{"query": "mutation($f: Upload!) { __typename }", "variables": {"f": null}}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n'
        '{"0": ["variables.f"]}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="0"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return Streamed(head, file_bytes, f"\r\n--{boundary}--\r\n".encode())


@pytest.fixture
async def small_limits(settings, database):
    app = create_app(replace(settings, max_upload_bytes=1024 * 1024), init_orm=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        yield client


async def test_an_anonymous_body_is_cut_off_after_a_few_kilobytes(http):
    body = json_body(200 * 1024 * 1024)
    response = await http.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"] == {"code": "REQUEST_TOO_LARGE"}
    assert "65536 bytes" in response.json()["errors"][0]["message"]
    assert body.pulled <= 64 * 1024 + CHUNK
    # A token that is not valid counts as none.
    body = json_body(200 * 1024 * 1024)
    response = await http.post(
        "/graphql",
        content=body,
        headers={
            "Content-Type": "application/json",
            "Authorization": "Bearer not-a-token",
            "Accept-Language": "es",
        },
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["message"].startswith("Sin un token válido")
    assert body.pulled <= 64 * 1024 + CHUNK


async def test_a_declared_length_over_the_limit_is_refused_unread(http, org):
    body = json_body(8 * 1024 * 1024)
    response = await http.post(
        "/graphql",
        content=body,
        headers={
            "Content-Type": "application/json",
            "Content-Length": str(8 * 1024 * 1024 + 28),
            "Authorization": f"Bearer {org.tokens[Role.ADMIN]}",
        },
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"] == {"code": "REQUEST_TOO_LARGE"}
    assert body.pulled == 0


async def test_json_bodies_are_capped_with_a_token(http, org):
    auth = {
        "Authorization": f"Bearer {org.tokens[Role.VIEWER]}",
        "Content-Type": "application/json",
    }
    body = json_body(8 * 1024 * 1024)
    response = await http.post("/graphql", content=body, headers=auth)
    assert response.status_code == 413
    assert response.json()["errors"][0]["message"] == (
        "The request body is larger than 4194304 bytes."
    )
    assert body.pulled <= 4 * 1024 * 1024 + CHUNK
    # Within the cap, streamed bodies are answered as before.
    response = await http.post("/graphql", content=json_body(1024 * 1024), headers=auth)
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_a_chunked_upload_is_cut_off_at_the_upload_limit(small_limits, org):
    boundary = "limitboundary"
    headers = {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Authorization": f"Bearer {org.tokens[Role.ADMIN]}",
        "GraphQL-Require-Preflight": "1",
    }
    body = multipart_body(boundary, 50 * 1024 * 1024)
    response = await small_limits.post("/graphql", content=body, headers=headers)
    assert response.status_code == 413
    assert response.json()["errors"][0] == {
        "message": "The file is larger than 1048576 bytes.",
        "extensions": {"code": "FILE_TOO_LARGE"},
    }
    # The limit, plus the room the operations and the map may take.
    assert body.pulled <= 2 * 1024 * 1024 + CHUNK


async def test_anonymous_introspection_still_answers(http):
    response = await http.post("/graphql", json={"query": "{ __schema { queryType { name } } }"})
    assert response.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_the_token_is_looked_up_once_per_request(org, sql_statements):
    await org.data("{ viewer { role } }")
    assert len([s for s in sql_statements if "token_hash" in s]) == 1
