"""Authentication, roles and tenancy."""

from datetime import datetime, timezone

import pytest

from gql_crm.models import ApiToken, Role
from gql_crm.services.auth import hash_token
from tests.helpers import (
    ARCHIVE_CLIENT,
    CREATE_CATEGORY,
    CREATE_CLIENT,
    RESTORE_CLIENT,
    UPDATE_CLIENT,
    create_client,
    global_id,
    pk_of,
)


async def test_missing_token_is_unauthenticated_with_no_data(http):
    response = await http.post("/graphql", json={"query": "{ clients { totalCount } }"})
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer ", "Basic abc", "gqlcrm_x"])
async def test_bad_token_is_unauthenticated(http, header):
    response = await http.post(
        "/graphql",
        json={"query": "{ viewer { role } }"},
        headers={"Authorization": header, "Accept-Language": "es"},
    )
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "token" in body["errors"][0]["message"]


async def test_mutation_without_token_changes_nothing(http, org):
    response = await http.post(
        "/graphql", json={"query": CREATE_CLIENT, "variables": {"input": {"name": "Eve"}}}
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    data = await org.data("{ clients { totalCount } }")
    assert data["clients"]["totalCount"] == 0


async def test_revoked_token_is_refused(org):
    await ApiToken.filter(token_hash=hash_token(org.tokens[Role.VIEWER])).update(
        revoked_at=datetime(2026, 1, 1, tzinfo=timezone.utc)
    )
    body = await org.gql("{ viewer { role } }", role=Role.VIEWER)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_tokens_are_stored_hashed(org):
    token = org.tokens[Role.ADMIN]
    assert not await ApiToken.filter(token_hash=token).exists()
    assert await ApiToken.filter(token_hash=hash_token(token)).exists()


async def test_introspection_needs_no_token(http):
    response = await http.post("/graphql", json={"query": "{ __schema { queryType { name } } }"})
    assert response.json()["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_viewer(org):
    for role in Role:
        data = await org.data(
            "{ viewer { role user { email role } organization { name slug } } }", role=role
        )
        assert data["viewer"]["user"]["role"] == role.value
        assert data["viewer"]["organization"]["name"] == org.organization.name


# Lowest role allowed for each mutation: every role below it is refused.
MUTATION_ROLES = [
    (CREATE_CLIENT, lambda ids: {"input": {"name": "New"}}, Role.MEMBER, "createClient"),
    (UPDATE_CLIENT, lambda ids: {"id": ids["client"], "input": {"name": "Renamed"}},
     Role.MEMBER, "updateClient"),
    (ARCHIVE_CLIENT, lambda ids: {"id": ids["client"]}, Role.MANAGER, "archiveClient"),
    (RESTORE_CLIENT, lambda ids: {"id": ids["archived"]}, Role.MANAGER, "restoreClient"),
    (CREATE_CATEGORY, lambda ids: {"name": f"Cat {ids['client']}"}, Role.ADMIN,
     "createClientCategory"),
]


@pytest.mark.parametrize("document,variables,minimum,field", MUTATION_ROLES)
@pytest.mark.parametrize("role", list(Role))
async def test_every_role_on_every_mutation(org, role, document, variables, minimum, field):
    client = await create_client(org, name="Target")
    archived = await create_client(org, name="Archived")
    await org.data(ARCHIVE_CLIENT, {"id": archived["id"]})
    body = await org.gql(
        document, variables({"client": client["id"], "archived": archived["id"]}), role=role
    )
    if role.rank >= minimum.rank:
        assert "errors" not in body, body
        assert body["data"][field]["errors"] == []
    else:
        assert body["data"] is None
        error = body["errors"][0]
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert error["path"] == [field]
        assert minimum.value in error["message"]


async def test_forbidden_mutation_writes_nothing(org):
    body = await org.gql(CREATE_CLIENT, {"input": {"name": "Nope"}}, role=Role.VIEWER)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await org.data("{ clients { totalCount } }"))["clients"]["totalCount"] == 0


async def test_viewer_reads(org):
    await create_client(org, name="Visible")
    data = await org.data("{ clients { edges { node { name } } } }", role=Role.VIEWER)
    assert [e["node"]["name"] for e in data["clients"]["edges"]] == ["Visible"]


async def test_other_organization_ids_behave_as_missing(make_org):
    mine, theirs = await make_org(), await make_org()
    their_client = await create_client(theirs, name="Secret", email="secret@example.com")
    their_category = (await theirs.data(CREATE_CATEGORY, {"name": "VIP"}))[
        "createClientCategory"
    ]["clientCategory"]
    missing = global_id("Client", 10**9)

    for gid in (their_client["id"], missing):
        data = await mine.data(
            "query($id: ID!) { client(id: $id) { name } node(id: $id) { id } }", {"id": gid}
        )
        assert data == {"client": None, "node": None}
        for document, field in (
            (UPDATE_CLIENT, "updateClient"),
            (ARCHIVE_CLIENT, "archiveClient"),
        ):
            variables = {"id": gid, "input": {"name": "Hijacked"}}
            if field != "updateClient":
                variables.pop("input")
            result = await mine.data(document, variables)
            assert result[field] == {
                "client": None,
                "errors": [{"code": "NOT_FOUND", "field": ["id"], "message": "Not found."}],
            }

    created = await mine.data(
        CREATE_CLIENT, {"input": {"name": "Mine", "categoryId": their_category["id"]}}
    )
    assert created["createClient"]["errors"][0]["code"] == "NOT_FOUND"
    assert created["createClient"]["errors"][0]["field"] == ["categoryId"]
    # The same email is free in another organization.
    await create_client(mine, name="Other secret", email="secret@example.com")
    data = await theirs.data("query($id: ID!) { client(id: $id) { name } }",
                             {"id": their_client["id"]})
    assert data["client"]["name"] == "Secret"
    assert pk_of(their_client["id"]) > 0


async def test_wrong_type_of_global_id_is_not_found(org):
    category = (await org.data(CREATE_CATEGORY, {"name": "VIP"}))["createClientCategory"]
    data = await org.data(
        "query($id: ID!) { client(id: $id) { name } }", {"id": category["clientCategory"]["id"]}
    )
    assert data["client"] is None
    body = await org.gql(ARCHIVE_CLIENT, {"id": "not base64 at all"})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "GlobalID" in body["errors"][0]["message"]
