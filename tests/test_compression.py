"""Compressed answers: above a size threshold, in the best encoding the client accepts
(zstd, brotli, gzip), never for downloads (which stream as stored)."""

from urllib.parse import urlsplit

import pytest

from tests.uploads import create_client, upload

CLIENTS = "{ clients(first: 50) { edges { node { id name email createdAt updatedAt } } } }"
ATTACH = """
mutation($clientId: ID!, $file: Upload!) {
  attachClientFile(clientId: $clientId, file: $file) { file { url } errors { code } }
}"""
EXPORT = """
mutation { exportClients(format: CSV, language: EN) { url errors { code } } }"""


def auth(org) -> dict:
    return {"Authorization": f"Bearer {org.tokens['ADMIN']}"}


async def post(org, query: str, encoding: str):
    return await org.http.post(
        "/graphql", json={"query": query}, headers={**auth(org), "Accept-Encoding": encoding}
    )


async def test_large_answers_are_gzipped_when_accepted(org):
    for i in range(30):
        await create_client(org, f"Client {i}", email=f"client{i}@example.com")
    plain = await post(org, CLIENTS, "identity")
    assert "content-encoding" not in plain.headers
    assert int(plain.headers["content-length"]) > 3000

    compressed = await post(org, CLIENTS, "gzip, deflate")
    assert compressed.headers["content-encoding"] == "gzip"
    assert int(compressed.headers["content-length"]) < int(plain.headers["content-length"]) / 3
    assert "accept-encoding" in compressed.headers["vary"].lower()
    # httpx inflates it: the same JSON either way.
    assert compressed.json() == plain.json()
    assert len(compressed.json()["data"]["clients"]["edges"]) == 30


@pytest.mark.parametrize(
    "accept,encoding",
    [
        ("gzip, deflate, br, zstd", "zstd"),
        ("gzip, br", "br"),
        ("br;q=0.5, gzip", "br"),
        ("gzip", "gzip"),
        ("identity", None),
    ],
)
async def test_the_best_accepted_encoding(org, accept, encoding):
    for i in range(30):
        await create_client(org, f"Client {i}", email=f"client{i}@example.com")
    response = await org.http.post(
        "/graphql",
        json={"query": CLIENTS},
        headers={
            **auth(org),
            "Accept-Encoding": accept,
            "Accept": "application/graphql-response+json",
        },
    )
    assert response.headers.get("content-encoding") == encoding
    assert len(response.json()["data"]["clients"]["edges"]) == 30


async def test_small_answers_stay_uncompressed(org):
    response = await post(org, "{ viewer { role } }", "gzip")
    assert "content-encoding" not in response.headers
    assert response.json() == {"data": {"viewer": {"role": "ADMIN"}}}


async def test_downloads_are_never_compressed(org, http):
    client_id = await create_client(org)
    text = b"name;notes\n" + b"Ana;" + b"a" * 20_000 + b"\n"
    attached = await upload(
        org, ATTACH, {"clientId": client_id}, {"file": ("notes.csv", text, "text/csv")}
    )
    file_path = urlsplit(attached["data"]["attachClientFile"]["file"]["url"])
    response = await http.get(
        f"{file_path.path}?{file_path.query}", headers={"Accept-Encoding": "gzip, br, zstd"}
    )
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert int(response.headers["content-length"]) == len(text)
    assert response.content == text

    for i in range(40):
        await create_client(org, f"Exported {i}")
    exported = (await org.data(EXPORT, role="MANAGER"))["exportClients"]
    response = await http.get(
        urlsplit(exported["url"]).path, headers={"Accept-Encoding": "gzip, br, zstd"}
    )
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert b"Exported 39" in response.content
