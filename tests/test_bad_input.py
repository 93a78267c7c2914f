"""Bad input of every kind gets a coded GraphQL JSON answer, never a 500 (issue 11)."""

import base64
import json

import httpx
import pytest
from tortoise.context import TortoiseContext

from gql_crm.db import tortoise_config
from gql_crm.models import Role, User
from tests.conftest import TEST_DATABASE_URL
from tests.helpers import ARCHIVE_CLIENT, create_client

HUGE_CLIENT_ID = base64.b64encode(b"Client:99999999999999999999").decode()


def assert_coded_error(response: httpx.Response, status: int, *codes: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] in codes
    assert error["message"]
    return error


@pytest.mark.parametrize("body", [b"null", b'"x"', b"1", b"true"])
async def test_a_body_that_is_no_object_is_a_bad_request(http, org, body):
    response = await http.post(
        "/graphql",
        content=body,
        headers={
            "Authorization": f"Bearer {org.tokens[Role.ADMIN]}",
            "Content-Type": "application/json",
        },
    )
    assert_coded_error(response, 400, "BAD_REQUEST")


async def test_deeply_nested_json_is_a_bad_request(http, org):
    depth = 100_000
    response = await http.post(
        "/graphql",
        content=b"[" * depth + b"]" * depth,
        headers={
            "Authorization": f"Bearer {org.tokens[Role.ADMIN]}",
            "Content-Type": "application/json",
        },
    )
    assert_coded_error(response, 400, "BAD_REQUEST")


async def test_deeply_nested_variables_are_a_bad_request(http, org):
    depth = 100_000
    body = '{"query": "{ viewer { role } }", "variables": {"v": ' + "[" * depth + "]" * depth + "}}"
    response = await http.post(
        "/graphql",
        content=body.encode(),
        headers={
            "Authorization": f"Bearer {org.tokens[Role.ADMIN]}",
            "Content-Type": "application/json",
        },
    )
    assert_coded_error(response, 400, "BAD_REQUEST")


@pytest.mark.parametrize(
    "operations, files_map",
    [
        ("[]", {"0": ["variables.file"]}),
        ("[]", {}),
        ('"x"', {"0": ["variables.file"]}),
        ("null", {}),
        ('{"query": "{ viewer { role } }"}', {"0": ["variables.file.deeper"]}),
        ('{"query": "{ viewer { role } }", "variables": {"f": [1]}}', {"0": ["variables.f.x"]}),
        ('{"query": "{ viewer { role } }"}', {"0": "variables.file"}),
        ('{"query": "{ viewer { role } }"}', ["variables.file"]),
    ],
)
async def test_multipart_operations_that_do_not_fit_are_a_bad_request(
    http, org, operations, files_map
):
    response = await http.post(
        "/graphql",
        data={"operations": operations, "map": json.dumps(files_map)},
        files={"0": ("a.txt", b"hello", "text/plain")},
        headers={
            "Authorization": f"Bearer {org.tokens[Role.ADMIN]}",
            "GraphQL-Require-Preflight": "1",
        },
    )
    # A JSON array is a batch, refused as such while batching is off.
    assert_coded_error(response, 400, "BAD_REQUEST", "BATCHING_DISABLED")


async def test_plain_text_refusals_of_the_http_layer_are_graphql_json(http, org):
    headers = {"Authorization": f"Bearer {org.tokens[Role.ADMIN]}"}
    response = await http.post(
        "/graphql",
        content=b"{",
        headers={**headers, "Content-Type": "application/json", "X-Request-ID": "req-7"},
    )
    assert_coded_error(response, 400, "BAD_REQUEST")
    assert response.headers["x-request-id"] == "req-7"
    response = await http.post(
        "/graphql",
        content=b"query",
        headers={**headers, "Content-Type": "text/plain", "Accept-Language": "es"},
    )
    error = assert_coded_error(response, 400, "BAD_REQUEST")
    assert error["message"].startswith("No es una petición GraphQL válida")
    response = await http.post("/graphql", json={"variables": {}}, headers=headers)
    assert_coded_error(response, 400, "BAD_REQUEST")
    response = await http.put("/graphql", json={"query": "{ viewer { role } }"}, headers=headers)
    assert_coded_error(response, 405, "METHOD_NOT_ALLOWED")


async def test_an_empty_email_for_a_new_user_is_required(org):
    data = await org.data(
        'mutation { createUser(input: {email: "", role: VIEWER}) { user { id } errors { code field } } }'
    )
    assert data["createUser"] == {
        "user": None,
        "errors": [{"code": "REQUIRED", "field": ["email"]}],
    }
    data = await org.data(
        'mutation { createUser(input: {email: "  ", role: VIEWER}) { user { id } errors { code } } }'
    )
    assert data["createUser"]["errors"] == [{"code": "REQUIRED"}]
    assert await User.filter(organization_id=org.id).count() == len(Role)


@pytest.mark.parametrize(
    "number",
    ["99999999999999999999", "2147483648", "-2147483649", "9223372036854775808", "0", "-1"],
)
async def test_an_id_whose_number_no_row_can_have_is_not_found(org, number):
    await create_client(org, name="Ana")
    client_id = base64.b64encode(f"Client:{number}".encode()).decode()
    data = await org.data(
        "query($id: ID!) { client(id: $id) { id } node(id: $id) { id } }", {"id": client_id}
    )
    assert data == {"client": None, "node": None}
    data = await org.data(ARCHIVE_CLIENT, {"id": client_id})
    assert data["archiveClient"]["errors"][0]["code"] == "NOT_FOUND"
    data = await org.data(
        "query($ids: [ID!]) { clients(filter: {categoryIds: $ids}) { totalCount } }",
        {"ids": [base64.b64encode(f"ClientCategory:{number}".encode()).decode()]},
    )
    assert data["clients"]["totalCount"] == 0
    data = await org.data(
        """mutation($input: CreateProjectInput!) {
             createProject(input: $input) { project { id } errors { code field } } }""",
        {"input": {"clientId": client_id, "name": "P"}},
    )
    assert data["createProject"]["errors"] == [{"code": "NOT_FOUND", "field": ["clientId"]}]
    data = await org.data(
        "mutation($id: ID!) { revokeApiToken(id: $id) { errors { code } } }",
        {"id": base64.b64encode(f"ApiToken:{number}".encode()).decode()},
    )
    assert data["revokeApiToken"]["errors"] == [{"code": "NOT_FOUND"}]


async def test_the_huge_id_of_the_issue_reads_as_nothing(org):
    data = await org.data(
        f'{{ client(id: "{HUGE_CLIENT_ID}") {{ id }} node(id: "{HUGE_CLIENT_ID}") {{ id }} }}'
    )
    assert data == {"client": None, "node": None}


@pytest.mark.parametrize("raw", [b"Nope:1", b"Viewer:1", b"ClientConnection:1", b":1", b"x"])
async def test_node_of_an_unknown_type_is_null(org, raw):
    gid = base64.b64encode(raw).decode()
    body = await org.gql("query($id: ID!) { node(id: $id) { id } }", {"id": gid})
    if b":" in raw:
        assert body == {"data": {"node": None}}
    else:
        # Not a global ID at all: the argument itself is refused, with a code.
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    body = await org.gql('{ node(id: "Tm9wZTox") { id } }')
    assert body == {"data": {"node": None}}


async def test_a_search_longer_than_any_field_is_refused_with_a_code(org):
    client = await create_client(org, name="Ana García", email="ana@example.com")
    for search in ("a" * 50_001, "a " * 25_000, "ß" * 257):
        body = await org.gql(
            "query($s: String) { clients(search: $s) { totalCount } }", {"s": search}
        )
        error = body["errors"][0]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "reason": "TOO_LONG"}
        assert "256" in error["message"]
    data = await org.data(
        "query($s: String) { clients(search: $s) { edges { node { id } } } }",
        {"s": "ana@example.com " * 16},
    )
    assert data["clients"]["edges"] == [{"node": {"id": client["id"]}}]
    data = await org.data(
        "mutation($s: String) { exportClients(search: $s) { url errors { code field } } }",
        {"s": "a" * 50_001},
    )
    assert data["exportClients"] == {
        "url": None,
        "errors": [{"code": "TOO_LONG", "field": ["search"]}],
    }


# A port of this suite's own range where nothing listens: a PostgreSQL server gone away.
UNREACHABLE_POSTGRES = "postgres://postgres@127.0.0.1:8159/gone"


async def test_a_database_lost_during_authentication_answers_503(app, org):
    """The database is gone when the token is looked up: outside GraphQL's masking, the
    answer is still coded GraphQL JSON, and requests work again once it is back."""
    token = org.tokens[Role.ADMIN]
    if TEST_DATABASE_URL.startswith("sqlite"):
        gone = "sqlite:///nonexistent-directory/gql_crm.sqlite3"
    else:
        gone = UNREACHABLE_POSTGRES
    async with TortoiseContext() as context:
        await context.init(config=tortoise_config(gone), init_connections=False)
        response = await _post(app, token)
    error = assert_coded_error(response, 503, "DATABASE_UNAVAILABLE")
    assert response.headers["retry-after"]
    assert "database" in error["message"]
    assert (await _post(app, token)).json() == {"data": {"viewer": {"role": "ADMIN"}}}


async def _post(app, token: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.post(
            "/graphql",
            json={"query": "{ viewer { role } }"},
            headers={"Authorization": f"Bearer {token}"},
        )


async def test_a_raw_cr_in_an_uploaded_file_name_is_a_coded_bad_request(http, org):
    client_id = await create_client(org, name="Ana")
    operations = json.dumps(
        {
            "query": "mutation($c: ID!, $f: Upload!) { attachClientFile(clientId: $c, file: $f) "
            "{ errors { code } } }",
            "variables": {"c": client_id["id"], "f": None},
        }
    )
    boundary = "gqlcrmboundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
        f"{operations}\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n'
        '{"0": ["variables.f"]}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="0"; '
        'filename="a\rb.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    response = await http.post(
        "/graphql",
        content=body,
        headers={
            "Authorization": f"Bearer {org.tokens[Role.ADMIN]}",
            "GraphQL-Require-Preflight": "1",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    error = assert_coded_error(response, 400, "BAD_REQUEST")
    assert "multipart" in error["message"]
    files = await org.data(
        "query($id: ID!) { client(id: $id) { files { totalCount } } }", {"id": client_id["id"]}
    )
    assert files["client"]["files"]["totalCount"] == 0


@pytest.mark.parametrize(
    "document, variables",
    [
        ('mutation { importClients(file: "clients.csv") { errors { code } } }', {}),
        (
            "mutation($f: Upload!) { importClients(file: $f) { errors { code } } }",
            {"f": "clients.csv"},
        ),
        (
            "mutation($f: Upload!, $c: ID!) { setClientPhoto(clientId: $c, file: $f) "
            "{ errors { code } } }",
            {"f": {"name": "x"}, "c": "x"},
        ),
    ],
)
async def test_an_upload_given_as_a_value_is_refused_with_a_code(org, document, variables):
    body = await org.gql(document, variables)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] in (
        "BAD_USER_INPUT",
        "GRAPHQL_VALIDATION_FAILED",
    )
