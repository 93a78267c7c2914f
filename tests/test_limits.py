"""Document limits: depth, aliases and cost computed without expanding fragments, and the
query cost limit (page sizes multiply down the tree)."""

import asyncio
import signal
from contextlib import contextmanager

from graphql import parse

from gql_crm.api.limits import operation_cost
from gql_crm.api.planned.tabs import CLIENT_TABS
from gql_crm.api.schema import build_schema
from gql_crm.models import Role
from tests.helpers import create_client

FIGURE = "count amounts { amount currency }"
SUMMARY = f"""summary {{
  projects {{ count byStatus {{ status count }} hoursLogged }}
  tasks {{ overdue pending upcoming }}
  purchaseOrders {{ count total {{ amount currency }} closedCount byStatus {{ status {FIGURE} }} }}
  sales: invoices(kind: SALE) {{ authorized {{ {FIGURE} }} pending {{ {FIGURE} }}
    overdue {{ {FIGURE} }} paid {{ {FIGURE} }} amountDue {{ amount currency }}
    byStatus {{ status {FIGURE} }} }}
  purchases: invoices(kind: PURCHASE) {{ pending {{ {FIGURE} }} overdue {{ {FIGURE} }}
    amountDue {{ amount currency }} }}
  deals {{ open {{ {FIGURE} }} won {{ {FIGURE} }} lost {{ {FIGURE} }} byStage {{ stage {FIGURE} }} }}
  quotes {{ byStatus {{ status {FIGURE} }} }}
}}"""
TABS = " ".join(
    f"{tab}(first: 20) {{ totalCount pageInfo {{ hasNextPage endCursor }} "
    f"edges {{ cursor node {{ id }} }} }}"
    for tab in CLIENT_TABS
)


def fanout(prefix: str = "F", levels: int = 20, leaf: str = "viewer { role }") -> str:
    """`{ ...F0 }`, each fragment spreading the next one twice: 2^levels paths to the leaf."""
    fragments = [
        f"fragment {prefix}{i} on Query {{ ...{prefix}{i + 1} ...{prefix}{i + 1} }}"
        for i in range(levels)
    ]
    fragments.append(f"fragment {prefix}{levels} on Query {{ {leaf} }}")
    return f"{{ ...{prefix}0 }} " + " ".join(fragments)


@contextmanager
def deadline(seconds: float):
    """Fails the test if the block holds the event loop longer than `seconds`: a blocked loop
    cannot be interrupted by asyncio, a signal can. A bound on exponential work (2^40 steps),
    not a speed target: the fixed code answers in milliseconds."""

    def expire(*_):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


async def test_chained_fragments_do_not_freeze_the_server(http, org):
    # 2^40 paths through 41 fragments: hours of work for a limiter that follows every spread.
    with deadline(30):
        for prefix in ("F", "G", "Renamed"):
            anonymous, health = await asyncio.gather(
                http.post("/graphql", json={"query": fanout(prefix, levels=40)}),
                http.get("/healthz"),
            )
            assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            assert health.json() == {"status": "ok"}
            body = await org.gql(fanout(prefix, levels=40), role=Role.VIEWER)
            assert body["data"] is None
            assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"


async def test_limits_count_what_fragments_hide(org):
    with deadline(30):
        body = await org.gql(fanout(levels=40, leaf="a: viewer { role }"))
    assert body["data"] is None
    assert body["errors"][0]["message"] == f"{2**40} aliases found. Allowed: 30"

    deep = (
        "query Deep { ...A } fragment A on Query { ...B } "
        "fragment B on Query { clients(first: 1) { edges { node { ...C } } } } "
        "fragment C on Client { company { name } projects(first: 1) { edges { node { tasks(first: 1) { edges { "
        "node { project { client { company { address { city } } } } } } } } } } }"
    )
    assert "errors" not in await org.gql(deep.replace("address { city }", "name"))
    body = await org.gql(deep)
    assert body["data"] is None
    assert body["errors"][0]["message"] == "'Deep' exceeds maximum operation depth of 12"


async def test_fragment_cycles_and_long_chains_are_refused_cleanly(org):
    cycle = await org.gql("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }")
    assert cycle["data"] is None
    assert cycle["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    # Hundreds of fragments each spreading the next fit in the token limit: graphql-core
    # refuses them (a coded error); the cost, computed after validation and outside it,
    # measures them without recursing once per link.
    chain = " ".join(f"fragment C{i} on Query {{ ...C{i + 1} }}" for i in range(600))
    document = "{ ...C0 } " + chain + " fragment C600 on Query { viewer { organization { name } } }"
    body = await org.gql(document)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    schema = build_schema()._schema
    parsed = parse(document)
    assert operation_cost(schema, parsed, None, {}, max_page_size=100) == 2


async def test_costly_queries_are_refused_before_running(org):
    await create_client(org, name="Ana")
    tabs = " ".join(f"{tab} {{ edges {{ node {{ id }} }} }}" for tab in CLIENT_TABS)
    attack = (
        "{ "
        + " ".join(
            f"a{i}: clients(first: 100) {{ edges {{ node {{ id name {tabs} }} }} }}"
            for i in range(30)
        )
        + " }"
    )
    body = await org.gql(attack, role=Role.VIEWER)
    assert body["data"] is None
    [error] = body["errors"]
    # 30 lists of 100 clients (edges, node), each with 8 tabs of 20 (edges, node) by default.
    cost = 30 * (1 + 100 * (1 + 1 + 8 * (1 + 20 * 2)))
    assert error["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": cost, "maxCost": 10000}
    assert f"{cost} objects" in error["message"] and "10000" in error["message"]

    spanish = await org.gql(attack, role=Role.VIEWER, headers={"Accept-Language": "es"})
    assert spanish["errors"][0]["message"].startswith(f"Esta consulta puede devolver {cost}")


async def test_page_sizes_multiply_down_the_tree(org):
    query = """query($n: Int) { clients(first: $n) { edges { node { id
        projects { edges { node { tasks(last: 50) { edges { node { id } } } } } } } } } }"""
    # 1 + n * (1 + 1 + 1 + 20 * (1 + 1 + 1 + 50 * 2)): projects take the default page size.
    assert (await org.gql(query, {"n": 3}))["data"] == {"clients": {"edges": []}}
    refused = await org.gql(query, {"n": 5})
    assert refused["errors"][0]["extensions"]["cost"] == 1 + 5 * (3 + 20 * (3 + 50 * 2))
    small = query.replace("projects {", "projects(first: 1) {").replace("last: 50", "first: 2")
    assert (await org.gql(small, {"n": 100}))["data"] == {"clients": {"edges": []}}


async def test_the_apps_queries_are_within_the_cost_limit(org):
    client = await create_client(org, name="Ana", company={"name": "Ana SL"})
    clients = await org.data(
        f"{{ clients(first: 100) {{ totalCount pageInfo {{ hasNextPage endCursor }} edges {{ "
        f"cursor node {{ id name email category {{ name }} company {{ name }} {SUMMARY} }} }} }} }}",
        role=Role.VIEWER,
    )
    assert [edge["node"]["name"] for edge in clients["clients"]["edges"]] == ["Ana"]
    profile = await org.data(
        f"query($id: ID!) {{ client(id: $id) {{ id name {SUMMARY} {TABS} }} }}",
        {"id": client["id"]},
        role=Role.VIEWER,
    )
    assert profile["client"]["projects"]["totalCount"] == 0
