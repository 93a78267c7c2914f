"""GraphQL multipart requests (https://github.com/jaydenseric/graphql-multipart-request-spec)."""

import io
import json

from PIL import Image

from gql_crm.models import Role

PREFLIGHT = {"GraphQL-Require-Preflight": "1"}


async def upload(
    org,
    query: str,
    variables: dict,
    files: dict[str, tuple[str, bytes, str]],
    *,
    role: Role = Role.ADMIN,
    headers: dict | None = None,
):
    """POSTs `query` with each file of `files` ({"variables path": (name, bytes, type)})."""
    operations = {"query": query, "variables": variables}
    for path in files:
        operations["variables"][path] = None
    response = await org.http.post(
        "/graphql",
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({str(i): [f"variables.{path}"] for i, path in enumerate(files)}),
        },
        files={str(i): part for i, part in enumerate(files.values())},
        headers={"Authorization": f"Bearer {org.tokens[role]}", **PREFLIGHT, **(headers or {})},
    )
    assert response.status_code == 200, response.text
    return response.json()


def image_bytes(fmt: str = "PNG", size=(40, 20), color=(200, 30, 30), **save_options) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt, **save_options)
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


async def create_client(org, name: str = "Ana", **fields) -> str:
    data = await org.data(
        "mutation($input: CreateClientInput!) { createClient(input: $input) "
        "{ client { id } errors { code field } } }",
        {"input": {"name": name, **fields}},
    )
    assert data["createClient"]["errors"] == [], data
    return data["createClient"]["client"]["id"]
