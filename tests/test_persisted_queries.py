"""Automatic persisted queries (Apollo's protocol): miss, register, hit, mismatch, GET,
per organization, shared between processes through the database."""

import hashlib
import json
from dataclasses import replace

import httpx
import pytest

from gql_crm.app import create_app
from gql_crm.models import PersistedQuery
from gql_crm.services.persisted_queries import PersistedQueries

VIEWER = "query Viewer { viewer { role } }"


def sha256(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def persisted(query: str) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256(query)}}


def auth(org) -> dict:
    return {"Authorization": f"Bearer {org.tokens['ADMIN']}"}


async def send(http, org, query: str, *, with_document: bool, **body):
    payload = {"extensions": persisted(query), **body}
    if with_document:
        payload["query"] = query
    return await http.post("/graphql", json=payload, headers=auth(org) if org else {})


def assert_not_found(response):
    assert response.status_code == 200
    assert response.json() == {
        "errors": [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ]
    }
    assert response.headers["cache-control"] == "no-store"


async def test_miss_register_hit(org):
    query = VIEWER + " # miss-register-hit"
    assert_not_found(await send(org.http, org, query, with_document=False))

    registered = await send(org.http, org, query, with_document=True)
    assert registered.json() == {"data": {"viewer": {"role": "ADMIN"}}}
    row = await PersistedQuery.get(organization_id=org.id, sha256=sha256(query))
    assert row.query == query

    hit = await send(org.http, org, query, with_document=False, operationName="Viewer")
    assert hit.json() == {"data": {"viewer": {"role": "ADMIN"}}}
    assert hit.headers["cache-control"] == "no-store"


async def test_variables_travel_with_the_hash(org):
    query = "mutation($n: String!) { createClientCategory(input: {name: $n}) { clientCategory { name } } }"
    await send(org.http, org, query, with_document=True, variables={"n": "First"})
    hit = await send(org.http, org, query, with_document=False, variables={"n": "Second"})
    assert hit.json()["data"]["createClientCategory"]["clientCategory"] == {"name": "Second"}


async def test_a_hash_that_does_not_match_is_refused(org):
    query = VIEWER + " # mismatch"
    response = await org.http.post(
        "/graphql", headers=auth(org), json={"query": query, "extensions": persisted(query + " ")}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"] == {"code": "PERSISTED_QUERY_HASH_MISMATCH"}
    assert not await PersistedQuery.filter(organization_id=org.id).exists()


@pytest.mark.parametrize(
    "extension",
    [
        {"version": 2, "sha256Hash": "0" * 64},
        {"version": 1, "sha256Hash": "not-a-hash"},
        {"version": 1},
        "yes",
    ],
)
async def test_malformed_persisted_query_extensions(org, extension):
    response = await org.http.post(
        "/graphql",
        headers=auth(org),
        json={"query": VIEWER, "extensions": {"persistedQuery": extension}},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"] == {
        "code": "BAD_REQUEST",
        "reason": "INVALID_PERSISTED_QUERY",
    }


async def test_invalid_documents_are_not_registered(org):
    query = "{ nope }"
    response = await send(org.http, org, query, with_document=True)
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert_not_found(await send(org.http, org, query, with_document=False))


async def test_documents_belong_to_their_organization(org, make_org):
    query = VIEWER + " # tenancy"
    await send(org.http, org, query, with_document=True)
    other = await make_org()
    assert_not_found(await send(org.http, other, query, with_document=False))


async def test_callers_without_a_token_register_nothing(http, org):
    query = "{ __schema { queryType { name } } }"
    response = await send(http, None, query, with_document=True)
    assert response.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    assert not await PersistedQuery.filter(sha256=sha256(query)).exists()
    assert_not_found(await send(http, None, query, with_document=False))


async def test_get_with_only_the_hash(org):
    query = VIEWER + " # over GET"
    await send(org.http, org, query, with_document=True)
    params = {"extensions": json.dumps(persisted(query)), "operationName": "Viewer"}
    # Browsers send Accept: */*, which must not turn the request into the GraphiQL page.
    response = await org.http.get("/graphql", params=params, headers={**auth(org), "Accept": "*/*"})
    assert response.json() == {"data": {"viewer": {"role": "ADMIN"}}}
    assert response.headers["cache-control"] == "no-store"


async def test_no_mutation_over_get_even_persisted(org):
    query = 'mutation { createClientCategory(input: {name: "GET"}) { clientCategory { name } } }'
    await send(org.http, org, query, with_document=True)
    response = await org.http.get(
        "/graphql", headers=auth(org), params={"extensions": json.dumps(persisted(query))}
    )
    assert response.status_code == 405
    assert response.json()["errors"][0]["extensions"]["code"] == "MUTATION_OVER_GET"
    names = (await org.data("{ clientCategories { name } }"))["clientCategories"]
    assert names == [{"name": "GET"}]


async def test_processes_share_documents_through_the_database(org, settings, database):
    """Two app instances, each with its own in-memory cache, on one database."""
    query = VIEWER + " # two processes"
    clients = []
    for _ in range(2):
        app = create_app(replace(settings), init_orm=False)
        clients.append(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        )
    first, second = clients
    try:
        assert_not_found(await send(second, org, query, with_document=False))
        await send(first, org, query, with_document=True)
        hit = await send(second, org, query, with_document=False)
        assert hit.json() == {"data": {"viewer": {"role": "ADMIN"}}}
        # Both register the same document again: one row, no error.
        await send(second, org, query, with_document=True)
        await send(first, org, query, with_document=True)
        assert (
            await PersistedQuery.filter(organization_id=org.id, sha256=sha256(query)).count() == 1
        )
    finally:
        for client in clients:
            await client.aclose()


async def test_the_memory_cache_is_bounded(org, sql_statements):
    store = PersistedQueries(max_cached=2, max_stored=10)
    documents = [f"{{ viewer {{ role }} }} # bounded {i}" for i in range(3)]
    for document in documents:
        await store.register(org.id, sha256(document), document)
    sql_statements.clear()
    assert await store.find(org.id, sha256(documents[2])) == documents[2]
    assert sql_statements == []
    # The oldest left memory; the database still has it.
    assert await store.find(org.id, sha256(documents[0])) == documents[0]
    assert len(sql_statements) == 1


async def test_the_table_is_bounded_per_organization(org, make_org):
    store = PersistedQueries(max_cached=10, max_stored=2)
    documents = [f"{{ viewer {{ role }} }} # stored {i}" for i in range(3)]
    for document in documents:
        await store.register(org.id, sha256(document), document)
    stored = await PersistedQuery.filter(organization_id=org.id).values_list("query", flat=True)
    assert sorted(stored) == documents[:2]
    # The third still works in this process, and another organization has its own room.
    assert await store.find(org.id, sha256(documents[2])) == documents[2]
    other = await make_org()
    await store.register(other.id, sha256(documents[2]), documents[2])
    assert await PersistedQuery.filter(organization_id=other.id).count() == 1
