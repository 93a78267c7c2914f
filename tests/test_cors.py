"""Browser apps on other origins: CORS preflight and actual requests, allowed and refused."""

import asyncio
from dataclasses import replace

import httpx
import pytest
from httpx_ws import WebSocketDisconnect, WebSocketUpgradeError, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport

from gql_crm.app import create_app
from gql_crm.config import Settings

APP_ORIGIN = "https://app.example.com"
QUERY = {"query": "{ viewer { role } }"}


@pytest.fixture
async def cors_http(settings, database):
    app = create_app(
        replace(settings, cors_origins=(APP_ORIGIN,), cors_max_age=900), init_orm=False
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def preflight(origin: str, headers: str = "authorization, content-type") -> dict:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": headers,
    }


async def test_preflight_from_an_allowed_origin(cors_http):
    response = await cors_http.options(
        "/graphql",
        headers=preflight(
            APP_ORIGIN,
            "authorization, content-type, graphql-require-preflight, apollo-require-preflight, "
            "x-apollo-operation-name, x-request-id",
        ),
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = {h.strip() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {
        "authorization",
        "content-type",
        "graphql-require-preflight",
        "apollo-require-preflight",
    } <= allowed
    assert response.headers["access-control-max-age"] == "900"
    assert "access-control-allow-credentials" not in response.headers


async def test_actual_request_from_an_allowed_origin(cors_http, org):
    response = await cors_http.post(
        "/graphql",
        json=QUERY,
        headers={
            "Origin": APP_ORIGIN,
            "Authorization": f"Bearer {org.tokens['ADMIN']}",
        },
    )
    assert response.json() == {"data": {"viewer": {"role": "ADMIN"}}}
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    assert response.headers["access-control-expose-headers"].lower() == "x-request-id"
    assert "access-control-allow-credentials" not in response.headers


@pytest.mark.parametrize("origin", ["https://evil.example.com", "http://app.example.com"])
async def test_other_origins_are_refused(cors_http, org, origin):
    refused = await cors_http.options("/graphql", headers=preflight(origin))
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    assert refused.json()["errors"][0]["extensions"]["code"] == "CORS_PREFLIGHT_REFUSED"
    # The server still answers a simple request; the browser withholds it from the page.
    actual = await cors_http.post(
        "/graphql",
        json=QUERY,
        headers={
            "Origin": origin,
            "Authorization": f"Bearer {org.tokens['ADMIN']}",
        },
    )
    assert "access-control-allow-origin" not in actual.headers


async def test_a_header_outside_the_list_is_refused(cors_http):
    refused = await cors_http.options("/graphql", headers=preflight(APP_ORIGIN, "x-custom"))
    assert refused.status_code == 400


async def test_no_origin_is_allowed_by_default(http):
    assert list(Settings().cors_origins) == []
    refused = await http.options("/graphql", headers=preflight(APP_ORIGIN))
    assert "access-control-allow-origin" not in refused.headers
    assert refused.status_code == 405
    assert refused.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


def test_origins_come_from_the_environment():
    settings = Settings.from_env(
        {"GQL_CRM_CORS_ORIGINS": "https://app.example.com, http://localhost:5173"}
    )
    assert list(settings.cors_origins) == ["https://app.example.com", "http://localhost:5173"]


def test_origins_compare_as_plain_tuples():
    assert Settings.from_env({}) == Settings()
    assert Settings.from_env({"GQL_CRM_CORS_ORIGINS": "a, ,b"}).cors_origins == ("a", "b")


async def subscribe_from(app, origin: str, token: str) -> str:
    transport = ASGIWebSocketTransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        try:
            async with aconnect_ws(
                "/graphql",
                client,
                subprotocols=["graphql-transport-ws"],
                headers={"Origin": origin},
            ) as ws:
                await ws.send_json(
                    {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
                )
                return (await asyncio.wait_for(ws.receive_json(), 10))["type"]
        except (WebSocketUpgradeError, WebSocketDisconnect):
            # Refused before the handshake completes (403 from a real server; 1008 here).
            return "refused"


async def test_listed_origins_may_open_the_subscriptions_socket(settings, database, org):
    app = create_app(replace(settings, cors_origins=(APP_ORIGIN,)), init_orm=False)
    token = org.tokens["ADMIN"]
    assert await subscribe_from(app, APP_ORIGIN, token) == "connection_ack"
    assert await subscribe_from(app, "https://evil.example.com", token) == "refused"
    # Same origin (GraphiQL's page) always may.
    assert await subscribe_from(app, "http://testserver", token) == "connection_ack"
