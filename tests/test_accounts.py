"""ADMINs manage users and tokens."""

from gql_crm.models import Role
from tests.helpers import global_id

CREATE_USER = """mutation($email: String!, $role: Role!) {
  createUser(input: {email: $email, role: $role}) { user { id email role } errors { code field } } }"""
ISSUE = """mutation($id: ID!) { issueApiToken(userId: $id) {
  issuedToken { token apiToken { id user { email } } } errors { code field } } }"""
REVOKE = """mutation($id: ID!) { revokeApiToken(id: $id) {
  apiToken { revokedAt } errors { code field } } }"""
SET_ROLE = """mutation($id: ID!, $role: Role!) { setUserRole(id: $id, role: $role) {
  user { role } errors { code field } } }"""


async def test_admin_creates_a_user_issues_and_revokes_a_token(org):
    created = await org.data(CREATE_USER, {"email": "Nuevo@Example.com", "role": "MEMBER"})
    user = created["createUser"]["user"]
    assert (user["email"], user["role"]) == ("Nuevo@example.com", "MEMBER")
    again = await org.data(CREATE_USER, {"email": "Nuevo@example.com", "role": "VIEWER"})
    assert again["createUser"]["errors"] == [{"code": "DUPLICATE", "field": ["email"]}]

    issued = (await org.data(ISSUE, {"id": user["id"]}))["issueApiToken"]["issuedToken"]
    assert issued["apiToken"]["user"]["email"] == "Nuevo@example.com"
    new_token = issued["token"]
    response = await org.http.post(
        "/graphql",
        json={"query": "{ viewer { role } }"},
        headers={"Authorization": f"Bearer {new_token}"},
    )
    assert response.json() == {"data": {"viewer": {"role": "MEMBER"}}}

    listed = await org.data("{ apiTokens { id revokedAt user { email } } users { email } }")
    assert "Nuevo@example.com" in [u["email"] for u in listed["users"]]
    revoked = await org.data(REVOKE, {"id": issued["apiToken"]["id"]})
    assert revoked["revokeApiToken"]["apiToken"]["revokedAt"] is not None
    response = await org.http.post(
        "/graphql",
        json={"query": "{ viewer { role } }"},
        headers={"Authorization": f"Bearer {new_token}"},
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    twice = await org.data(REVOKE, {"id": issued["apiToken"]["id"]})
    assert twice["revokeApiToken"]["errors"][0]["code"] == "INVALID_STATE"


async def test_roles_and_invalid_input(org, make_org):
    for role in (Role.VIEWER, Role.MEMBER, Role.MANAGER):
        body = await org.gql(CREATE_USER, {"email": "x@example.com", "role": "ADMIN"}, role=role)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        body = await org.gql("{ users { email } }", role=role)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    bad = await org.data(CREATE_USER, {"email": "nope", "role": "VIEWER"})
    assert bad["createUser"]["errors"] == [{"code": "INVALID_EMAIL", "field": ["email"]}]

    other = await make_org()
    their_user = await other.data(CREATE_USER, {"email": "t@example.com", "role": "VIEWER"})
    their_id = their_user["createUser"]["user"]["id"]
    for gid in (their_id, global_id("User", 10**9)):
        result = await org.data(ISSUE, {"id": gid})
        assert result["issueApiToken"]["errors"] == [{"code": "NOT_FOUND", "field": ["userId"]}]
        result = await org.data(SET_ROLE, {"id": gid, "role": "ADMIN"})
        assert result["setUserRole"]["errors"][0]["code"] == "NOT_FOUND"


async def test_admin_cannot_demote_itself(org):
    me = (await org.data("{ viewer { user { id } } }"))["viewer"]["user"]["id"]
    result = await org.data(SET_ROLE, {"id": me, "role": "VIEWER"})
    assert result["setUserRole"]["errors"][0]["code"] == "INVALID_STATE"
    manager = await org.data(CREATE_USER, {"email": "m@example.com", "role": "MEMBER"})
    promoted = await org.data(
        SET_ROLE, {"id": manager["createUser"]["user"]["id"], "role": "MANAGER"}
    )
    assert promoted["setUserRole"]["user"]["role"] == "MANAGER"
