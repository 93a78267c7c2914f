"""The profile's tabs through HTTP: Relay connections with totalCount, filters, orders and
cursors; the records as Node types with their client and their own nested lists."""

from gql_crm.models import Role
from tests.helpers import ATTACH, DELETE
from tests.profile_helpers import (
    LOG_TIME,
    SET_TASK_STATUS,
    day,
    deal,
    expired_quote,
    invoice,
    new_client,
    ok,
    pay,
    project,
    purchase_order,
    quote,
    quote_action,
    task,
)
from tests.uploads import upload

INVOICES = """
query($id: ID!, $kind: InvoiceKind, $status: [InvoiceStatus!], $orderBy: InvoiceOrder,
      $first: Int, $after: String, $last: Int, $before: String) {
  client(id: $id) {
    invoices(kind: $kind, status: $status, orderBy: $orderBy, first: $first, after: $after,
             last: $last, before: $before) {
      totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { node { number kind status total { amount currency } } }
    }
  }
}"""


def numbers(data: dict, tab: str = "invoices") -> list[str]:
    return [edge["node"]["number"] for edge in data["client"][tab]["edges"]]


async def test_invoices_tab_filters_orders_and_pages(org):
    client_id = await new_client(org)
    other_id = await new_client(org, name="Otro")
    await invoice(org, other_id, number="X-1")
    await invoice(org, client_id, number="S-1", issueDate=day(-40))  # DRAFT
    await invoice(
        org, client_id, number="S-2", issueDate=day(-30), authorize=True, dueDate=day(-1)
    )  # OVERDUE
    await invoice(
        org, client_id, number="S-3", issueDate=day(-20), authorize=True, dueDate=day(0)
    )  # PENDING
    paid = await invoice(org, client_id, number="S-4", issueDate=day(-10), authorize=True)
    await pay(org, paid["id"], "100")
    await invoice(
        org,
        client_id,
        number="P-1",
        kind="PURCHASE",
        issueDate=day(-5),
        lines=[{"description": "x", "quantity": "3", "unitPrice": "10"}],
    )

    everything = await org.data(INVOICES, {"id": client_id})
    assert everything["client"]["invoices"]["totalCount"] == 5
    assert numbers(everything) == ["P-1", "S-4", "S-3", "S-2", "S-1"]  # newest issue first

    sales = await org.data(
        INVOICES, {"id": client_id, "kind": "SALE", "status": ["PENDING", "OVERDUE"]}
    )
    assert numbers(sales) == ["S-3", "S-2"]
    assert [e["node"]["status"] for e in sales["client"]["invoices"]["edges"]] == [
        "PENDING",
        "OVERDUE",
    ]
    assert sales["client"]["invoices"]["totalCount"] == 2
    purchases = await org.data(INVOICES, {"id": client_id, "kind": "PURCHASE"})
    assert numbers(purchases) == ["P-1"]

    by_number = await org.data(
        INVOICES,
        {"id": client_id, "kind": "SALE", "orderBy": {"field": "NUMBER", "direction": "ASC"}},
    )
    assert numbers(by_number) == ["S-1", "S-2", "S-3", "S-4"]

    first = await org.data(INVOICES, {"id": client_id, "first": 2})
    page = first["client"]["invoices"]
    assert numbers(first) == ["P-1", "S-4"] and page["pageInfo"]["hasNextPage"] is True
    second = await org.data(
        INVOICES, {"id": client_id, "first": 2, "after": page["pageInfo"]["endCursor"]}
    )
    assert numbers(second) == ["S-3", "S-2"]
    assert second["client"]["invoices"]["totalCount"] == 5
    assert second["client"]["invoices"]["pageInfo"]["hasPreviousPage"] is True
    back = await org.data(
        INVOICES,
        {
            "id": client_id,
            "last": 2,
            "before": second["client"]["invoices"]["pageInfo"]["startCursor"],
        },
    )
    assert numbers(back) == ["P-1", "S-4"]

    body = await org.gql(INVOICES, {"id": client_id, "first": 101})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    body = await org.gql(INVOICES, {"id": client_id, "first": 2, "after": "garbage"})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


TABS = """
query($id: ID!) { client(id: $id) {
  projects(status: [ACTIVE]) { totalCount edges { node { name status } } }
  allProjects: projects(orderBy: {field: NAME, direction: ASC}) { edges { node { name } } }
  tasks(due: OVERDUE) { totalCount edges { node { title isOverdue } } }
  upcoming: tasks(due: UPCOMING, orderBy: {field: TITLE, direction: ASC}) {
    edges { node { title } } }
  done: tasks(status: [DONE]) { totalCount }
  purchaseOrders(status: [OPEN]) { totalCount edges { node { number } } }
  deals(stage: [WON, LOST]) { totalCount edges { node { title stage } } }
  byTitle: deals(orderBy: {field: TITLE, direction: ASC}) { edges { node { title } } }
  quotes(status: [EXPIRED]) { totalCount edges { node { number status } } }
  files { totalCount }
} }"""


async def test_every_tab_with_its_filters(org):
    client_id = await new_client(org)
    active = await project(org, client_id, name="B activo", status="ACTIVE")
    await project(org, client_id, name="A planeado")
    await task(org, active["id"], title="Ayer", dueDate=day(-1))
    await task(org, active["id"], title="Hoy", dueDate=day(0))
    await task(org, active["id"], title="En siete", dueDate=day(7))
    await task(org, active["id"], title="En ocho", dueDate=day(8))
    done = await task(org, active["id"], title="Hecha", dueDate=day(-2))
    await ok(org, SET_TASK_STATUS, {"id": done["id"], "status": "DONE"}, "setTaskStatus", "task")
    await purchase_order(org, client_id, number="PO-A")
    await deal(org, client_id, title="Ganada", stage="WON", value="10")
    await deal(org, client_id, title="Abierta", value="500")
    await expired_quote(org, client_id, number="Q-old")
    await quote(org, client_id, number="Q-new", validUntil=day(1))

    data = (await org.data(TABS, {"id": client_id}))["client"]
    assert data["projects"] == {
        "totalCount": 1,
        "edges": [{"node": {"name": "B activo", "status": "ACTIVE"}}],
    }
    assert [e["node"]["name"] for e in data["allProjects"]["edges"]] == ["A planeado", "B activo"]
    assert data["tasks"] == {
        "totalCount": 1,
        "edges": [{"node": {"title": "Ayer", "isOverdue": True}}],
    }
    assert [e["node"]["title"] for e in data["upcoming"]["edges"]] == ["En siete", "Hoy"]
    assert data["done"] == {"totalCount": 1}
    assert numbers({"client": data}, "purchaseOrders") == ["PO-A"]
    assert data["deals"]["edges"] == [{"node": {"title": "Ganada", "stage": "WON"}}]
    assert [e["node"]["title"] for e in data["byTitle"]["edges"]] == ["Abierta", "Ganada"]
    assert data["quotes"] == {
        "totalCount": 1,
        "edges": [{"node": {"number": "Q-old", "status": "EXPIRED"}}],
    }
    assert data["files"] == {"totalCount": 0}


NODES = """
query($project: ID!, $invoice: ID!, $deal: ID!, $quote: ID!, $order: ID!, $task: ID!) {
  project: node(id: $project) { ... on Project { name client { name }
    tasks(first: 5) { totalCount edges { node { title project { name } } } }
    timeLogs { totalCount edges { node { hours date task { title } } } } } }
  invoice: node(id: $invoice) { ... on Invoice { number client { name }
    lines { description total { amount } } payments { amount { amount } } } }
  deal: node(id: $deal) { ... on Deal { title client { name }
    quotes { totalCount edges { node { number status deal { title } } } } } }
  quote: node(id: $quote) { ... on Quote { number lines { description quantity total { amount } } } }
  order: node(id: $order) { ... on PurchaseOrder { number client { name } } }
  task: node(id: $task) { ... on Task { title client { name } assignee { email } } }
}"""


async def test_records_are_nodes_with_their_nested_lists(org):
    client_id = await new_client(org, name="Nodo")
    p = await project(org, client_id, name="Web")
    t = await task(org, p["id"], title="Diseño")
    for d, hours in ((-2, "1"), (-1, "2.5")):
        await ok(
            org,
            LOG_TIME,
            {"input": {"projectId": p["id"], "taskId": t["id"], "date": day(d), "hours": hours}},
            "logTime",
            "timeLog",
        )
    inv = await invoice(
        org,
        client_id,
        authorize=True,
        lines=[
            {"description": "A", "quantity": "2", "unitPrice": "5"},
            {"description": "B", "quantity": "1", "unitPrice": "1"},
        ],
    )
    await pay(org, inv["id"], "3")
    d = await deal(org, client_id, title="Trato")
    q = await quote(org, client_id, dealId=d["id"], number="Q-N")
    await ok(org, quote_action("sendQuote"), {"id": q["id"]}, "sendQuote", "quote")
    await quote(org, client_id, number="Q-free")
    order = await purchase_order(org, client_id, number="PO-N")

    data = await org.data(
        NODES,
        {
            "project": p["id"],
            "invoice": inv["id"],
            "deal": d["id"],
            "quote": q["id"],
            "order": order["id"],
            "task": t["id"],
        },
    )
    assert data["project"] == {
        "name": "Web",
        "client": {"name": "Nodo"},
        "tasks": {
            "totalCount": 1,
            "edges": [{"node": {"title": "Diseño", "project": {"name": "Web"}}}],
        },
        "timeLogs": {
            "totalCount": 2,
            "edges": [
                {"node": {"hours": "2.50", "date": day(-1), "task": {"title": "Diseño"}}},
                {"node": {"hours": "1.00", "date": day(-2), "task": {"title": "Diseño"}}},
            ],
        },
    }
    assert data["invoice"]["lines"] == [
        {"description": "A", "total": {"amount": "10.00"}},
        {"description": "B", "total": {"amount": "1.00"}},
    ]
    assert data["invoice"]["payments"] == [{"amount": {"amount": "3.00"}}]
    assert data["deal"]["quotes"] == {
        "totalCount": 1,
        "edges": [{"node": {"number": "Q-N", "status": "SENT", "deal": {"title": "Trato"}}}],
    }
    assert data["quote"]["lines"] == [
        {"description": "Work", "quantity": "1.0000", "total": {"amount": "100.00"}}
    ]
    assert data["order"] == {"number": "PO-N", "client": {"name": "Nodo"}}
    assert data["task"] == {"title": "Diseño", "client": {"name": "Nodo"}, "assignee": None}


async def test_tabs_of_another_organizations_client_are_unreachable(make_org):
    mine, theirs = await make_org(), await make_org()
    their_client = await new_client(theirs)
    await invoice(theirs, their_client)
    data = await mine.data(INVOICES, {"id": their_client})
    assert data["client"] is None


FILES_TAB = """
query($id: ID!, $after: String) { client(id: $id) {
  files(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    edges { node { name } } }
  activity(first: 1) { edges { node { verb target { id } } } }
} }"""


async def test_files_tab_pages_newest_first(org):
    client_id = await new_client(org)
    ids = []
    for name in ("a.txt", "b.txt", "c.txt"):
        body = await upload(
            org, ATTACH, {"clientId": client_id}, {"file": (name, name.encode() * 3, "text/plain")}
        )
        ids.append(body["data"]["attachClientFile"]["file"]["id"])
    first = (await org.data(FILES_TAB, {"id": client_id}))["client"]
    assert first["files"]["totalCount"] == 3
    assert [e["node"]["name"] for e in first["files"]["edges"]] == ["c.txt", "b.txt"]
    assert first["activity"]["edges"][0]["node"] == {
        "verb": "FILE_ATTACHED",
        "target": {"id": ids[2]},
    }
    rest = await org.data(
        FILES_TAB, {"id": client_id, "after": first["files"]["pageInfo"]["endCursor"]}
    )
    assert [e["node"]["name"] for e in rest["client"]["files"]["edges"]] == ["a.txt"]

    await org.data(DELETE, {"id": ids[2]})
    after_delete = (await org.data(FILES_TAB, {"id": client_id}))["client"]
    assert after_delete["files"]["totalCount"] == 2
    # The history keeps the entry; the deleted file itself reads as gone.
    assert after_delete["activity"]["edges"][0]["node"] == {"verb": "FILE_DELETED", "target": None}


NESTED_LISTS = """
query($id: ID!, $n: Int) { client(id: $id) {
  projects(first: $n) { edges { node {
    tasks(first: 2) { totalCount edges { node { title } } }
    timeLogs(first: 2) { totalCount edges { node { hours } } }
  } } }
  deals(first: $n) { edges { node { quotes(first: 2) { totalCount edges { node { number } } } } } }
} }"""


async def test_lists_nested_in_lists_do_not_multiply_statements(org, sql_statements):
    client_id = await new_client(org)
    for i in range(8):
        p = await project(org, client_id, name=f"P{i}")
        for title in ("a", "b", "c"):
            await task(org, p["id"], title=title)
        for hours in ("1", "2", "3"):
            await ok(
                org,
                LOG_TIME,
                {"input": {"projectId": p["id"], "date": day(-i), "hours": hours}},
                "logTime",
                "timeLog",
            )
        d = await deal(org, client_id)
        for _ in range(3):
            await quote(org, client_id, dealId=d["id"])

    counts = {}
    for n in (2, 8):
        sql_statements.clear()
        data = await org.data(NESTED_LISTS, {"id": client_id, "n": n})
        counts[n] = len(sql_statements)
        projects = [e["node"] for e in data["client"]["projects"]["edges"]]
        assert len(projects) == n
        for node in projects:
            assert node["tasks"]["totalCount"] == 3 and len(node["tasks"]["edges"]) == 2
            assert node["timeLogs"]["totalCount"] == 3
            # Newest day first, then the latest logged.
            assert [e["node"]["hours"] for e in node["timeLogs"]["edges"]] == ["3.00", "2.00"]
        for edge in data["client"]["deals"]["edges"]:
            assert edge["node"]["quotes"]["totalCount"] == 3
    assert counts[2] == counts[8]


TASK_ACTIVITY = """query($id: ID!) { client(id: $id) {
  activity(targetType: [TASK], verb: [UPDATED]) { edges { node { verb targetType } } } } }"""
TASK_CHANGES = TASK_ACTIVITY.replace("verb targetType", "changes { field old new }")


async def test_a_task_status_change_is_an_update_of_its_status_on_both_paths(org, executor_http):
    # The entry was once written with a verb outside ActivityVerb, which broke the tab.
    client_id = await new_client(org)
    todo = await task(org, (await project(org, client_id))["id"], title="Llamar")
    await ok(org, SET_TASK_STATUS, {"id": todo["id"], "status": "DONE"}, "setTaskStatus", "task")
    payload = {"query": TASK_ACTIVITY, "variables": {"id": client_id}}
    headers = {"Authorization": f"Bearer {org.tokens[Role.ADMIN]}"}
    planned = (await org.http.post("/graphql", json=payload, headers=headers)).json()
    executed = (await executor_http.post("/graphql", json=payload, headers=headers)).json()
    assert planned == executed
    assert planned["data"]["client"]["activity"]["edges"] == [
        {"node": {"verb": "UPDATED", "targetType": "TASK"}}
    ]
    changes = await org.data(TASK_CHANGES, {"id": client_id})
    assert changes["client"]["activity"]["edges"] == [
        {"node": {"changes": [{"field": "status", "old": "TODO", "new": "DONE"}]}}
    ]
