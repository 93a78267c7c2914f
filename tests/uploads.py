"""GraphQL multipart requests (https://github.com/jaydenseric/graphql-multipart-request-spec)."""

import io
import json

from botocore.exceptions import ClientError
from PIL import Image

from gql_crm.models import Role
from gql_crm.services.storage import storage_for

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


async def stored_bytes(settings, key: str) -> bytes | None:
    """What the settings' storage holds under `key`; None when it holds nothing there."""
    try:
        return b"".join([chunk async for chunk in storage_for(settings).open(key)])
    except FileNotFoundError:
        return None
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "NoSuchKey":
            return None
        raise


def half_written(settings) -> list[str]:
    """What unfinished writes left in the storage: temporary objects, multipart uploads."""
    if settings.storage == "s3":
        from tests.conftest import s3_client

        s3 = s3_client(settings)
        objects = s3.list_objects_v2(Bucket=settings.s3_bucket, Prefix="incoming/")
        uploads = s3.list_multipart_uploads(Bucket=settings.s3_bucket)
        return [o["Key"] for o in objects.get("Contents", [])] + [
            u["Key"] for u in uploads.get("Uploads", [])
        ]
    incoming = settings.media_dir / "blobs" / "incoming"
    return [p.name for p in incoming.iterdir()] if incoming.exists() else []
