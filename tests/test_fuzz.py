"""Queries and mutations generated from the schema never get a 500 (issue 11).

Every document hypothesis-graphql builds is valid against the schema; its arguments are
anything the types allow, IDs included (this organization's, another's, of unknown types,
numbers no row can have). Whatever the input, the answer is a coded GraphQL response: never
an HTTP 5xx, never INTERNAL_SERVER_ERROR.

CI runs 150 fixed examples per strategy; GQL_CRM_FUZZ_EXAMPLES=3000 draws that many new ones.
"""

import base64
import os

import graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, nodes, queries

from gql_crm.api.schema import build_schema
from gql_crm.models import Role, User
from gql_crm.services import auth
from tests.profile_helpers import (
    deal,
    invoice,
    new_client,
    pay,
    project,
    purchase_order,
    quote,
    task,
)

# Fixed examples by default, so CI never fails on a draw it has not seen before; a count
# given by hand draws new ones.
EXAMPLES = int(os.environ.get("GQL_CRM_FUZZ_EXAMPLES") or 0)

SCHEMA = build_schema()._schema
NODE_TYPES = sorted(
    t.name
    for t in SCHEMA.type_map.values()
    if isinstance(t, graphql.GraphQLObjectType) and any(i.name == "Node" for i in t.interfaces)
)

# IDs of the rows the fixture made, filled in before the first example.
KNOWN_IDS: list[str] = []

_gid = st.builds(
    lambda type_name, number: base64.b64encode(f"{type_name}:{number}".encode()).decode(),
    st.sampled_from([*NODE_TYPES, "Nope", "Viewer", ""]),
    st.one_of(st.integers(-5, 50), st.integers(), st.text(max_size=5)),
)
ID = st.one_of(
    st.deferred(lambda: st.sampled_from(KNOWN_IDS)),
    _gid,
    st.text(max_size=12),
).map(nodes.String)

DATE = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(["0001-01-01", "9999-12-31", "2026-02-30", "", "today"]),
).map(nodes.String)
DATETIME = st.one_of(
    st.datetimes(timezones=st.one_of(st.none(), st.timezones())).map(lambda d: d.isoformat()),
    st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "x"]),
).map(nodes.String)
DECIMAL = st.one_of(
    st.decimals().map(str),
    st.sampled_from(["1E+1000", "-1E-1000", "99999999999999999999.99", "0.001", "1_0"]),
    st.integers().map(str),
).map(nodes.String)


def _json_literal(value) -> graphql.ValueNode:
    if value is None:
        return graphql.NullValueNode()
    if isinstance(value, bool):
        return nodes.Boolean(value)
    if isinstance(value, int):
        return nodes.Int(value)
    if isinstance(value, float):
        return nodes.Float(value)
    if isinstance(value, str):
        return nodes.String(value)
    if isinstance(value, list):
        return nodes.List([_json_literal(item) for item in value])
    return nodes.Object(
        [
            graphql.ObjectFieldNode(name=graphql.NameNode(value=key), value=_json_literal(item))
            for key, item in value.items()
        ]
    )


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True), children, max_size=3
        )
    ),
    max_leaves=8,
).map(_json_literal)

CUSTOM_SCALARS = {
    "ID": ID,
    "Date": DATE,
    "DateTime": DATETIME,
    "Decimal": DECIMAL,
    "JSON": JSON,
    # A file can only come in a multipart request's map; a literal one is refused.
    "Upload": st.just(nodes.String("file.txt")),
}

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES or 150,
    derandomize=not EXAMPLES,
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)


@pytest.fixture
async def fuzz_org(make_org):
    """An organization with one of every record, and another organization's IDs beside."""
    org = await make_org()
    other = await make_org()
    KNOWN_IDS.clear()
    for owner in (org, other):
        client_id = await new_client(owner, "Fuzz", email=f"fuzz{owner.id}@example.com")
        made = [
            await project(owner, client_id),
            await deal(owner, client_id),
            await quote(owner, client_id),
            await purchase_order(owner, client_id),
        ]
        made.append(await task(owner, made[0]["id"]))
        paid = await invoice(owner, client_id, authorize=True)
        await pay(owner, paid["id"], "10")
        made.append(paid)
        KNOWN_IDS.extend([client_id, *(row["id"] for row in made)])
        users = await owner.data("{ users { id } apiTokens { id } }")
        KNOWN_IDS.extend(row["id"] for row in users["users"] + users["apiTokens"])
    return org


async def _check(org, document: str) -> None:
    token = org.tokens[Role.ADMIN]
    response = await org.http.post(
        "/graphql",
        json={"query": document},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code < 500, (document, response.text)
    body = response.json()
    for error in body.get("errors", []):
        code = error.get("extensions", {}).get("code")
        assert code and code != "INTERNAL_SERVER_ERROR", (document, body)
        if code == "UNAUTHENTICATED":
            # A generated revokeApiToken hit the fuzzer's own token: carry on with a new one.
            admin = await User.get(organization_id=org.id, role=Role.ADMIN)
            org.tokens[Role.ADMIN] = await auth.issue_token(admin)


@FUZZ_SETTINGS
@given(document=queries(SCHEMA, custom_scalars=CUSTOM_SCALARS))
async def test_generated_queries_never_fail_inside(fuzz_org, document):
    await _check(fuzz_org, document)


@FUZZ_SETTINGS
@given(document=mutations(SCHEMA, custom_scalars=CUSTOM_SCALARS))
async def test_generated_mutations_never_fail_inside(fuzz_org, document):
    await _check(fuzz_org, document)
