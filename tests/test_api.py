"""The HTTP surface: health, GET queries, limits, error masking, CSRF, schema drift."""

import asyncio
import logging
from dataclasses import replace
from pathlib import Path

import httpx

from gql_crm.api.extensions import (
    CACHED_DOCUMENT_BYTES,
    DOCUMENT_CACHE_BYTES,
    parsed_documents,
    validated_documents,
)
from gql_crm.api.schema import export_sdl
from gql_crm.app import create_app
from gql_crm.services import categories

ROOT = Path(__file__).resolve().parent.parent


async def test_healthz_checks_the_database(http, database):
    response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_checks_the_database_and_the_storage(http, database, settings, tmp_path):
    response = await http.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "storage": "ok"}}

    # A media dir that cannot hold files: not ready, and says which part.
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    app = create_app(replace(settings, media_dir=blocker), init_orm=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["checks"]["database"]) == ("unavailable", "ok")
    assert body["checks"]["storage"].startswith("unavailable: ")


async def test_queries_over_get(http, org):
    response = await http.get(
        "/graphql",
        params={"query": "{ viewer { role } }"},
        headers={"Authorization": f"Bearer {org.tokens['ADMIN']}"},
    )
    assert response.json() == {"data": {"viewer": {"role": "ADMIN"}}}


async def test_graphiql_in_a_browser(http):
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_request_id_is_echoed(http, org):
    response = await http.post(
        "/graphql",
        json={"query": "{ viewer { role } }"},
        headers={"Authorization": f"Bearer {org.tokens['ADMIN']}", "X-Request-ID": "abc-123"},
    )
    assert response.headers["x-request-id"] == "abc-123"


async def test_query_depth_is_limited(org, settings):
    shallow = create_app(replace(settings, max_query_depth=4), init_orm=False)
    transport = httpx.ASGITransport(app=shallow)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        headers = {"Authorization": f"Bearer {org.tokens['ADMIN']}"}
        ok = await client.post(
            "/graphql", headers=headers, json={"query": "{ clients { edges { node { name } } } }"}
        )
        assert "errors" not in ok.json()
        deep = await client.post(
            "/graphql",
            headers=headers,
            json={"query": "{ clients { edges { node { company { address { city } } } } } }"},
        )
    body = deep.json()
    assert body["data"] is None
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]


async def test_limits_answer_clear_errors(org):
    aliases = "{ " + " ".join(f"a{i}: viewer {{ role }}" for i in range(31)) + " }"
    body = await org.gql(aliases)
    assert body["data"] is None
    assert "aliases" in body["errors"][0]["message"].lower()

    tokens = "{ viewer { " + " ".join(["role"] * 6000) + " } }"
    body = await org.gql(tokens)
    assert body["data"] is None
    assert "token" in body["errors"][0]["message"].lower()


async def test_parsed_and_validated_documents_are_cached(org):
    # A miss on every request would mean the cache key (the validation rules) changes per
    # request.
    query = "{ viewer { role organization { name } } } # cache probe"
    await org.data(query)
    [document] = [doc for (text, _), doc in parsed_documents.items() if text == query]
    validated = [key for key in validated_documents if key[1] is document]
    await org.data(query)
    assert [doc for (text, _), doc in parsed_documents.items() if text == query] == [document]
    assert [key for key in validated_documents if key[1] is document] == validated != []


async def test_the_document_caches_are_bounded_by_weight(org):
    # Anonymous introspection runs: distinct documents of 2,000 tokens (over 1 MB of syntax
    # tree each) or with a 1 MB comment must not stay in memory.
    for i in range(20):
        many_tokens = "{ " + "__typename " * 1990 + f"}} # {i}"
        assert (await org.http.post("/graphql", json={"query": many_tokens})).status_code == 200
    for i in range(5):
        await org.gql("{ __typename } # " + str(i) + "x" * 1024 * 1024)
    for cache in (parsed_documents, validated_documents):
        assert cache.currsize <= DOCUMENT_CACHE_BYTES
    assert not any(len(text) > CACHED_DOCUMENT_BYTES for text, _ in parsed_documents)
    assert not any(
        len(key[1].loc.source.body) > CACHED_DOCUMENT_BYTES for key in validated_documents
    )


async def test_unexpected_errors_are_masked_with_a_request_id(org, monkeypatch, caplog):
    async def broken(org_id):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(categories, "list_categories", broken)
    with caplog.at_level(logging.ERROR, logger="gql_crm.errors"):
        body = await org.gql("{ clientCategories { name } }", headers={"X-Request-ID": "req-42"})
    error = body["errors"][0]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-42"}
    assert "hunter2" not in error["message"]
    assert "req-42" in error["message"]
    # The line carries the ID through its handlers' filter (tests/test_request_id.py).
    assert any(r.exc_info for r in caplog.records)


async def test_multipart_needs_the_preflight_header(http, org):
    files = {
        "operations": (None, '{"query": "{ viewer { role } }", "variables": {}}'),
        "map": (None, "{}"),
    }
    auth = {"Authorization": f"Bearer {org.tokens['ADMIN']}"}
    refused = await http.post("/graphql", files=files, headers=auth)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["extensions"]["code"] == "CSRF_PREFLIGHT_REQUIRED"
    accepted = await http.post(
        "/graphql", files=files, headers={**auth, "GraphQL-Require-Preflight": "1"}
    )
    assert accepted.json() == {"data": {"viewer": {"role": "ADMIN"}}}


async def test_a_refused_upload_is_answered_before_its_body_is_read(http, org):
    """The CSRF guard is middleware: it answers from the headers, whatever the body, with
    the security headers every answer gets, and the body is never waited for."""
    never = asyncio.Event()

    async def endless_body():
        yield b'--b\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
        await never.wait()

    for auth in ({}, {"Authorization": f"Bearer {org.tokens['ADMIN']}"}):
        refused = await http.post(
            "/graphql",
            content=endless_body(),
            headers={**auth, "Content-Type": "multipart/form-data; boundary=b"},
        )
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["extensions"]["code"] == "CSRF_PREFLIGHT_REQUIRED"
        assert refused.headers["x-content-type-options"] == "nosniff"


def test_schema_file_matches_the_code():
    committed = (ROOT / "schema.graphql").read_text()
    assert committed == export_sdl(), "run: gql-crm export-schema > schema.graphql"
