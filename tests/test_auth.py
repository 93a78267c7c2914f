"""Authentication, roles and tenancy."""

import asyncio
from datetime import UTC, datetime

import pytest

from gql_crm.models import ApiToken, Role, User
from gql_crm.services.auth import hash_token, token_cache
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
        revoked_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    body = await org.gql("{ viewer { role } }", role=Role.VIEWER)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


REVOKE = """mutation($id: ID!) { revokeApiToken(id: $id) { errors { code } } }"""
SET_ROLE = """mutation($id: ID!, $role: Role!) { setUserRole(id: $id, role: $role) {
  errors { code } } }"""


async def test_a_known_token_is_not_looked_up_again(org, sql_statements):
    await org.data("{ viewer { role } }", role=Role.VIEWER)
    sql_statements.clear()
    data = await org.data("{ viewer { role } }", role=Role.VIEWER)
    assert data == {"viewer": {"role": "VIEWER"}}
    assert not [s for s in sql_statements if '"apitoken"' in s], sql_statements


async def test_a_revoked_token_is_refused_at_once_though_it_was_cached(org):
    assert (await org.data("{ viewer { role } }", role=Role.MEMBER))["viewer"]["role"] == "MEMBER"
    token = await ApiToken.get(token_hash=hash_token(org.tokens[Role.MEMBER]))
    revoked = await org.data(REVOKE, {"id": global_id("ApiToken", token.id)})
    assert revoked["revokeApiToken"]["errors"] == []
    body = await org.gql("{ viewer { role } }", role=Role.MEMBER)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_role_change_applies_at_once_though_the_token_was_cached(org):
    assert (await org.data("{ viewer { role } }", role=Role.VIEWER))["viewer"]["role"] == "VIEWER"
    user = await User.get(organization_id=org.id, role=Role.VIEWER)
    changed = await org.data(SET_ROLE, {"id": global_id("User", user.id), "role": "MANAGER"})
    assert changed["setUserRole"]["errors"] == []
    data = await org.data("{ viewer { role } }", role=Role.VIEWER)
    assert data["viewer"]["role"] == "MANAGER"


@pytest.fixture
def short_token_cache(settings):
    token_cache.configure(ttl=0.3, size=100)
    yield
    token_cache.configure(settings.token_cache_ttl, settings.token_cache_size)


async def test_another_process_revoking_reaches_this_one_within_the_ttl(org, short_token_cache):
    await org.data("{ viewer { role } }", role=Role.MANAGER)
    # What another process's revocation looks like from here: only the row changes.
    await ApiToken.filter(token_hash=hash_token(org.tokens[Role.MANAGER])).update(
        revoked_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert "errors" not in await org.gql("{ viewer { role } }", role=Role.MANAGER)
    await asyncio.sleep(0.35)
    body = await org.gql("{ viewer { role } }", role=Role.MANAGER)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_ttl_of_zero_looks_every_token_up(org, sql_statements, settings):
    token_cache.configure(ttl=0, size=100)
    try:
        await org.data("{ viewer { role } }")
        sql_statements.clear()
        await org.data("{ viewer { role } }")
        assert [s for s in sql_statements if '"apitoken"' in s]
    finally:
        token_cache.configure(settings.token_cache_ttl, settings.token_cache_size)


async def test_a_look_up_under_way_during_a_revocation_is_not_cached(org):
    token = org.tokens[Role.MEMBER]
    generation = token_cache.generation
    row = await ApiToken.get(token_hash=hash_token(token))
    token_cache.forget(row.token_hash)  # a revocation lands while the look-up runs
    token_cache.put(row.token_hash, object(), generation)
    assert token_cache.get(row.token_hash) is None


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
    (
        UPDATE_CLIENT,
        lambda ids: {"id": ids["client"], "input": {"name": "Renamed"}},
        Role.MEMBER,
        "updateClient",
    ),
    (ARCHIVE_CLIENT, lambda ids: {"id": ids["client"]}, Role.MANAGER, "archiveClient"),
    (RESTORE_CLIENT, lambda ids: {"id": ids["archived"]}, Role.MANAGER, "restoreClient"),
    (
        CREATE_CATEGORY,
        lambda ids: {"name": f"Cat {ids['client']}"},
        Role.ADMIN,
        "createClientCategory",
    ),
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
    their_category = (await theirs.data(CREATE_CATEGORY, {"name": "VIP"}))["createClientCategory"][
        "clientCategory"
    ]
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
    data = await theirs.data(
        "query($id: ID!) { client(id: $id) { name } }", {"id": their_client["id"]}
    )
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
