"""Every refusal is GraphQL JSON with extensions.code; GraphQL over HTTP's media type and
status codes; optional batching."""

from dataclasses import replace

import httpx
import pytest

from gql_crm.app import create_app

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APOLLO_ACCEPT = "application/graphql-response+json,application/json;q=0.9"


def auth(org) -> dict:
    return {"Authorization": f"Bearer {org.tokens['ADMIN']}"}


def only_error(response) -> dict:
    assert response.headers["content-type"].split(";")[0] in (
        "application/json",
        GRAPHQL_RESPONSE_JSON,
    ), response.text
    (error,) = response.json()["errors"]
    assert error["message"]
    return error


def only_error_of(body: dict) -> dict:
    (error,) = body["errors"]
    return error


async def test_syntax_errors_are_parse_failures(org):
    body = await org.gql("{ viewer { ")
    assert body["data"] is None
    assert only_error_of(body)["extensions"] == {"code": "GRAPHQL_PARSE_FAILED"}


async def test_validation_errors_keep_their_code(org):
    body = await org.gql("{ nope }")
    assert only_error_of(body)["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}


@pytest.mark.parametrize(
    "request_kwargs,status,code,reason",
    [
        (
            {
                "json": {
                    "query": "query A { __typename } query B { __typename }",
                    "operationName": "C",
                }
            },
            400,
            "OPERATION_RESOLUTION_FAILURE",
            "UNKNOWN_OPERATION",
        ),
        (
            {"json": {"query": "query A { __typename } query B { __typename }"}},
            400,
            "OPERATION_RESOLUTION_FAILURE",
            "OPERATION_NAME_REQUIRED",
        ),
        (
            {"json": [{"query": "{ __typename }"}, {"query": "{ __typename }"}]},
            400,
            "BATCHING_DISABLED",
            None,
        ),
        (
            {"json": {"query": 'subscription { importJobUpdated(id: "SW1wb3J0Sm9iOjE=") { id } }'}},
            400,
            "SUBSCRIPTION_OVER_HTTP",
            None,
        ),
        ({"json": {}}, 400, "BAD_REQUEST", "QUERY_REQUIRED"),
        (
            {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
            400,
            "BAD_REQUEST",
            None,
        ),
        (
            {"content": b"{ viewer { role } }", "headers": {"Content-Type": "text/plain"}},
            400,
            "BAD_REQUEST",
            None,
        ),
        ({"json": {"query": "{ __typename }", "variables": [1]}}, 400, "BAD_REQUEST", None),
    ],
)
async def test_refusals_are_graphql_json_with_a_code(org, request_kwargs, status, code, reason):
    headers = {**auth(org), **request_kwargs.pop("headers", {})}
    response = await org.http.post("/graphql", headers=headers, **request_kwargs)
    assert response.status_code == status
    error = only_error(response)
    assert error["extensions"]["code"] == code
    assert error["extensions"].get("reason") == reason
    assert response.headers["cache-control"] == "no-store"


async def test_mutations_are_refused_over_get(org):
    response = await org.http.get(
        "/graphql",
        headers=auth(org),
        params={
            "query": 'mutation { createClientCategory(input: {name: "Via GET"}) { errors { code } } }'
        },
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert only_error(response)["extensions"]["code"] == "MUTATION_OVER_GET"
    categories = await org.data("{ clientCategories { name } }")
    assert categories["clientCategories"] == []


async def test_refusals_speak_the_callers_language(org):
    response = await org.http.post(
        "/graphql",
        json={"query": "{ a } ", "operationName": "B"},
        headers={**auth(org), "Accept-Language": "es"},
    )
    assert only_error(response)["message"] == "El documento no tiene ninguna operación llamada B."


async def test_a_negative_page_size_says_so(org):
    body = await org.gql("{ clients(first: -1) { totalCount } }")
    error = only_error_of(body)
    assert error["message"] == "first cannot be negative."
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "reason": "NEGATIVE_PAGE_SIZE"}


# GraphQL over HTTP (https://graphql.github.io/graphql-over-http/draft/): with its media
# type, a request error is a 4xx without `data`; with application/json, 200 as before.


async def test_graphql_response_json_for_request_errors(org):
    for query in ("{ viewer { ", "{ nope }"):
        response = await org.http.post(
            "/graphql", json={"query": query}, headers={**auth(org), "Accept": APOLLO_ACCEPT}
        )
        assert response.status_code == 400
        assert response.headers["content-type"] == GRAPHQL_RESPONSE_JSON
        assert "data" not in response.json()
        assert only_error(response)["extensions"]["code"] in (
            "GRAPHQL_PARSE_FAILED",
            "GRAPHQL_VALIDATION_FAILED",
        )


async def test_graphql_response_json_for_execution(org):
    response = await org.http.post(
        "/graphql",
        json={"query": "{ viewer { role } }"},
        headers={**auth(org), "Accept": GRAPHQL_RESPONSE_JSON},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == GRAPHQL_RESPONSE_JSON
    assert response.json() == {"data": {"viewer": {"role": "ADMIN"}}}
    # A field error is still a 200 with data.
    response = await org.http.post(
        "/graphql",
        json={"query": "{ clients(first: -1) { totalCount } }"},
        headers={**auth(org), "Accept": GRAPHQL_RESPONSE_JSON},
    )
    assert response.status_code == 200
    assert "data" in response.json()


async def test_refusals_use_the_negotiated_media_type(org):
    response = await org.http.post(
        "/graphql",
        json=[{"query": "{ __typename }"}],
        headers={**auth(org), "Accept": APOLLO_ACCEPT},
    )
    assert response.headers["content-type"] == GRAPHQL_RESPONSE_JSON
    assert only_error(response)["extensions"]["code"] == "BATCHING_DISABLED"
    assert response.headers["cache-control"] == "no-store"


async def test_application_json_stays_the_default(org):
    for accept in (
        None,
        "*/*",
        "application/json",
        "application/json, application/graphql-response+json;q=0.5",
    ):
        headers = {**auth(org), **({"Accept": accept} if accept else {})}
        response = await org.http.post("/graphql", json={"query": "{ nope }"}, headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.json()["data"] is None


@pytest.fixture
async def batching_http(settings, database):
    app = create_app(replace(settings, max_batch_operations=3), init_orm=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_batching_when_enabled(batching_http, org):
    response = await batching_http.post(
        "/graphql",
        headers=auth(org),
        json=[
            {"query": "{ viewer { role } }"},
            {
                "query": "mutation($n: String!) { createClientCategory(input: {name: $n}) { clientCategory { name } } }",
                "variables": {"n": "Batched"},
            },
            {"query": "{ nope }"},
        ],
    )
    assert response.status_code == 200
    first, second, third = response.json()
    assert first == {"data": {"viewer": {"role": "ADMIN"}}}
    assert second["data"]["createClientCategory"]["clientCategory"] == {"name": "Batched"}
    assert third["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"

    too_many = await batching_http.post(
        "/graphql", headers=auth(org), json=[{"query": "{ __typename }"}] * 4
    )
    assert too_many.status_code == 400
    error = only_error(too_many)
    assert error["extensions"]["code"] == "TOO_MANY_OPERATIONS"
    assert "3" in error["message"]


async def test_cache_headers(org, http):
    authenticated = await org.http.get(
        "/graphql", params={"query": "{ viewer { role } }"}, headers=auth(org)
    )
    assert authenticated.headers["cache-control"] == "no-store"
    posted = await http.post("/graphql", json={"query": "{ __typename }"})
    assert posted.headers["cache-control"] == "no-store"
    anonymous = await http.get("/graphql", params={"query": "{ __schema { queryType { name } } }"})
    assert anonymous.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    assert anonymous.headers["cache-control"] == "public, max-age=60"
    assert {"Authorization", "Accept"} <= {v.strip() for v in anonymous.headers["vary"].split(",")}
    refused = await http.get("/graphql", params={"query": "{ viewer { role } }"})
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert refused.headers["cache-control"] == "no-store"


async def test_the_token_limit_is_a_parse_failure(org):
    body = await org.gql("{ viewer { " + " ".join(["role"] * 6000) + " } }")
    assert only_error_of(body)["extensions"] == {"code": "GRAPHQL_PARSE_FAILED"}


async def test_limits_are_validation_failures(org):
    aliases = "{ " + " ".join(f"a{i}: viewer {{ role }}" for i in range(31)) + " }"
    body = await org.gql(aliases)
    assert only_error_of(body)["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}


@pytest.mark.parametrize(
    "path,status,code",
    [
        ("/files/999999", 401, "UNAUTHENTICATED"),
        ("/files/999999?token=forged", 401, "UNAUTHENTICATED"),
        ("/exports/forged", 404, "NOT_FOUND"),
        ("/imports/failed-rows/forged", 404, "NOT_FOUND"),
        ("/nowhere", 404, "NOT_FOUND"),
    ],
)
async def test_download_refusals_are_graphql_json(http, path, status, code):
    response = await http.get(path, headers={"Accept-Language": "es"})
    assert response.status_code == status
    error = only_error(response)
    assert error["extensions"]["code"] == code
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_a_download_of_nothing_is_not_found(org):
    response = await org.http.get("/files/999999", headers=auth(org))
    assert response.status_code == 404
    assert only_error(response) == {"message": "Not found.", "extensions": {"code": "NOT_FOUND"}}


async def test_a_named_operation_among_several_runs(org):
    # Words that look like operations in a comment do not count.
    body = await org.data("query A { viewer { role } } # query mutation")
    assert body == {"viewer": {"role": "ADMIN"}}
    response = await org.http.post(
        "/graphql",
        headers=auth(org),
        json={"query": "query A { viewer { role } } query B { __typename }", "operationName": "B"},
    )
    assert response.json() == {"data": {"__typename": "Query"}}
