"""The profile details of issue 14 through HTTP: deal owners and probabilities, quote dates,
invoice paid dates and days overdue, purchase order lines, task priorities, project hours and
budgets, a client's last activity and the activity filters. Figures are computed by hand."""

import asyncio
import base64
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from gql_crm.app import GraphQLApp
from gql_crm.models import (
    Activity,
    Deal,
    Invoice,
    PurchaseOrder,
    PurchaseOrderLine,
    Quote,
    Role,
    Task,
    TaskPriority,
)
from gql_crm.services.deals import weighted_value
from tests.helpers import pk_of
from tests.profile_helpers import (
    CANCEL_INVOICE,
    CREATE_PROJECT,
    ERRORS,
    UPDATE_PROJECT,
    day,
    deal,
    errors_of,
    invoice,
    log_time,
    new_client,
    ok,
    pay,
    project,
    quote,
    quote_action,
    task,
)

USERS = "{ users { id email role } }"

DEAL_FIELDS = """id title value { amount currency } probability
  weightedValue { amount currency } owner { email }"""

CREATE_DEAL = f"""
mutation($input: CreateDealInput!) {{
  createDeal(input: $input) {{ deal {{ {DEAL_FIELDS} }} {ERRORS} }}
}}"""

UPDATE_DEAL = f"""
mutation($id: ID!, $input: UpdateDealInput!) {{
  updateDeal(id: $id, input: $input) {{ deal {{ {DEAL_FIELDS} }} {ERRORS} }}
}}"""

DEALS_CARD = """
query($id: ID!) { client(id: $id) { summary { deals {
  open { count amounts { amount currency } }
  weightedOpen { amount currency }
} } } }"""

QUOTE_DATES = """
query($id: ID!) { node(id: $id) { ... on Quote { status sentAt acceptedAt declinedAt } } }"""


def codes(errors: list[dict]) -> set[tuple[str, tuple]]:
    return {(e["code"], tuple(e["field"] or ())) for e in errors}


async def user_id(org, role: Role = Role.MEMBER) -> str:
    users = (await org.data(USERS))["users"]
    return next(u["id"] for u in users if u["role"] == role.value)


async def test_deal_owner_probability_and_weighted_value(org, make_org):
    client_id = await new_client(org)
    owner = await user_id(org)
    created = await ok(
        org,
        CREATE_DEAL,
        {
            "input": {
                "clientId": client_id,
                "title": "Web",
                "value": "1234.55",
                "probability": 35,
                "ownerId": owner,
            }
        },
        "createDeal",
        "deal",
    )
    # 1234.55 x 35 / 100 = 432.0925 -> 432.09
    assert created["probability"] == 35
    assert created["weightedValue"] == {"amount": "432.09", "currency": "EUR"}
    assert created["owner"]["email"].startswith("member@")

    updated = await ok(
        org,
        UPDATE_DEAL,
        {"id": created["id"], "input": {"value": "1000.10", "probability": 5}},
        "updateDeal",
        "deal",
    )
    # 1000.10 x 5 / 100 = 50.005 -> 50.01 (half-up)
    assert updated["weightedValue"]["amount"] == "50.01"
    assert updated["title"] == "Web" and updated["owner"] is not None
    cleared = await ok(
        org,
        UPDATE_DEAL,
        {"id": created["id"], "input": {"probability": None, "ownerId": None}},
        "updateDeal",
        "deal",
    )
    assert (cleared["probability"], cleared["weightedValue"], cleared["owner"]) == (
        None,
        None,
        None,
    )
    stored = await Deal.get(id=pk_of(created["id"]))
    assert (stored.probability, stored.weighted_value, stored.owner_id) == (None, None, None)
    entry = await Activity.filter(target_type="Deal", target_id=stored.id, verb="updated").last()
    assert entry.changes["probability"] == {"old": 5, "new": None}

    theirs = await make_org()
    their_user = await user_id(theirs)
    for value in (-1, 101):
        errors = await errors_of(
            org,
            CREATE_DEAL,
            {"input": {"clientId": client_id, "title": "X", "value": "1", "probability": value}},
            "createDeal",
        )
        assert codes(errors) == {("INVALID", ("probability",))}
    errors = await errors_of(
        org,
        CREATE_DEAL,
        {"input": {"clientId": client_id, "title": "X", "value": "1", "ownerId": their_user}},
        "createDeal",
    )
    assert codes(errors) == {("NOT_FOUND", ("ownerId",))}
    errors = await errors_of(
        org,
        UPDATE_DEAL,
        {"id": created["id"], "input": {"ownerId": client_id, "probability": 200, "title": ""}},
        "updateDeal",
    )
    assert codes(errors) == {
        ("NOT_FOUND", ("ownerId",)),
        ("INVALID", ("probability",)),
        ("REQUIRED", ("title",)),
    }
    their_deal = await deal(theirs, await new_client(theirs))
    errors = await errors_of(
        org, UPDATE_DEAL, {"id": their_deal["id"], "input": {"probability": 1}}, "updateDeal"
    )
    assert codes(errors) == {("NOT_FOUND", ("id",))}
    assert (await Deal.get(id=pk_of(their_deal["id"]))).probability is None
    body = await org.gql(
        UPDATE_DEAL, {"id": created["id"], "input": {"probability": 1}}, role=Role.VIEWER
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@given(
    st.decimals(min_value=0, max_value=Decimal("9999999999999999.99"), places=2),
    st.integers(0, 100),
)
def test_a_weighted_value_is_the_rounded_product_and_fits_its_column(value, probability):
    weighted = weighted_value(value, probability)
    exact = value * probability / 100
    assert weighted == exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert abs(weighted - exact) <= Decimal("0.005") and weighted <= value
    assert weighted.as_tuple().exponent == -2 and weighted.adjusted() < 16


async def test_weighted_pipeline_in_the_deals_card(org):
    client_id = await new_client(org)
    other_id = await new_client(org, name="Otro")
    for value, probability, currency, stage in (
        ("1000", 50, "EUR", "LEAD"),  # 500.00
        ("333.33", 33, "EUR", "PROPOSAL"),  # 109.9989 -> 110.00
        ("250", None, "EUR", "QUALIFIED"),  # no probability: nothing
        ("80", 25, "USD", "NEGOTIATION"),  # 20.00
        ("5000", 90, "EUR", "WON"),  # closed: not in the pipeline
        ("7000", 10, "EUR", "LOST"),  # closed
    ):
        await ok(
            org,
            CREATE_DEAL,
            {
                "input": {
                    "clientId": client_id,
                    "title": "D",
                    "value": value,
                    "currency": currency,
                    "stage": stage,
                    "probability": probability,
                }
            },
            "createDeal",
            "deal",
        )
    await deal(org, other_id, value="999", probability=99)
    card = (await org.data(DEALS_CARD, {"id": client_id}))["client"]["summary"]["deals"]
    assert card["open"]["count"] == 4
    assert card["weightedOpen"] == [
        {"amount": "610.00", "currency": "EUR"},
        {"amount": "20.00", "currency": "USD"},
    ]
    empty = await new_client(org, name="Vacío")
    card = (await org.data(DEALS_CARD, {"id": empty}))["client"]["summary"]["deals"]
    assert card["weightedOpen"] == []


async def test_concurrent_deal_updates_keep_the_weighted_value_consistent(org):
    client_id = await new_client(org)
    for _ in range(5):
        created = await deal(org, client_id, value="100", probability=10)
        await asyncio.gather(
            org.data(UPDATE_DEAL, {"id": created["id"], "input": {"value": "300"}}),
            org.data(UPDATE_DEAL, {"id": created["id"], "input": {"probability": 70}}),
        )
        stored = await Deal.get(id=pk_of(created["id"]))
        assert (stored.value, stored.probability, str(stored.weighted_value)) == (
            300,
            70,
            "210.00",
        )


async def test_quote_dates_follow_the_transitions(org, make_org):
    client_id = await new_client(org)
    created = await quote(org, client_id, validUntil=day(5))
    dates = (await org.data(QUOTE_DATES, {"id": created["id"]}))["node"]
    assert dates == {"status": "DRAFT", "sentAt": None, "acceptedAt": None, "declinedAt": None}
    await ok(org, quote_action("sendQuote"), {"id": created["id"]}, "sendQuote", "quote")
    await ok(org, quote_action("acceptQuote"), {"id": created["id"]}, "acceptQuote", "quote")
    dates = (await org.data(QUOTE_DATES, {"id": created["id"]}))["node"]
    sent, accepted = (datetime.fromisoformat(dates[k]) for k in ("sentAt", "acceptedAt"))
    assert dates["status"] == "ACCEPTED" and dates["declinedAt"] is None
    assert sent <= accepted
    stored = await Quote.get(id=pk_of(created["id"]))
    assert (stored.sent_at, stored.accepted_at) == (sent, accepted)

    declined = await quote(org, client_id)
    await ok(org, quote_action("sendQuote"), {"id": declined["id"]}, "sendQuote", "quote")
    await ok(org, quote_action("declineQuote"), {"id": declined["id"]}, "declineQuote", "quote")
    dates = (await org.data(QUOTE_DATES, {"id": declined["id"]}))["node"]
    assert dates["acceptedAt"] is None and dates["declinedAt"] is not None

    # A refused transition stamps nothing.
    errors = await errors_of(
        org, quote_action("acceptQuote"), {"id": declined["id"]}, "acceptQuote"
    )
    assert codes(errors) == {("INVALID_STATE", ("id",))}
    assert (await Quote.get(id=pk_of(declined["id"]))).accepted_at is None
    theirs = await make_org()
    errors = await errors_of(theirs, quote_action("sendQuote"), {"id": created["id"]}, "sendQuote")
    assert codes(errors) == {("NOT_FOUND", ("id",))}
    assert (await theirs.data(QUOTE_DATES, {"id": created["id"]}))["node"] is None


async def test_accept_and_decline_at_once_stamp_one_date(org):
    client_id = await new_client(org)
    for _ in range(5):
        created = await quote(org, client_id)
        await ok(org, quote_action("sendQuote"), {"id": created["id"]}, "sendQuote", "quote")
        accept, decline = await asyncio.gather(
            org.data(quote_action("acceptQuote"), {"id": created["id"]}),
            org.data(quote_action("declineQuote"), {"id": created["id"]}),
        )
        outcomes = [accept["acceptQuote"]["errors"], decline["declineQuote"]["errors"]]
        assert sorted(bool(e) for e in outcomes) == [False, True]
        stored = await Quote.get(id=pk_of(created["id"]))
        if stored.status == "ACCEPTED":
            assert stored.accepted_at is not None and stored.declined_at is None
        else:
            assert stored.declined_at is not None and stored.accepted_at is None


INVOICE_DATES = """
query($id: ID!) { node(id: $id) { ... on Invoice { status paidAt daysOverdue
  amountDue { amount } } } }"""

OLDEST_OVERDUE = """
query($id: ID!) { client(id: $id) { summary {
  sales: invoices(kind: SALE) { oldestOverdue { invoice { number } dueDate daysOverdue
    amountDue { amount currency } } }
  purchases: invoices(kind: PURCHASE) { oldestOverdue { invoice { number } } }
} } }"""

PO_FIELDS = """id number status issueDate expectedDeliveryDate subtotal { amount }
  taxTotal { amount } total { amount currency }
  lines { position description quantity unitPrice { amount } taxRate subtotal { amount }
          tax { amount } total { amount } }"""

CREATE_PO = f"""
mutation($input: CreatePurchaseOrderInput!) {{
  createPurchaseOrder(input: $input) {{ purchaseOrder {{ {PO_FIELDS} }} {ERRORS} }}
}}"""


async def invoice_dates(org, invoice_id: str) -> dict:
    return (await org.data(INVOICE_DATES, {"id": invoice_id}))["node"]


async def test_paid_date_is_the_completing_payments_latest_date(org):
    client_id = await new_client(org)
    created = await invoice(org, client_id, authorize=True, dueDate=day(-10))
    assert await invoice_dates(org, created["id"]) == {
        "status": "OVERDUE",
        "paidAt": None,
        "daysOverdue": 10,
        "amountDue": {"amount": "100.00"},
    }
    await pay(org, created["id"], "60", day(-2))
    assert (await invoice_dates(org, created["id"]))["paidAt"] is None
    # Recorded late: the completing payment is dated before the first one.
    await pay(org, created["id"], "40", day(-4))
    assert await invoice_dates(org, created["id"]) == {
        "status": "PAID",
        "paidAt": day(-2),
        "daysOverdue": 0,
        "amountDue": {"amount": "0.00"},
    }
    assert str((await Invoice.get(id=pk_of(created["id"]))).paid_at) == day(-2)

    for due, expected in ((day(0), 0), (day(-1), 1), (None, 0)):
        pending = await invoice(org, client_id, authorize=True, dueDate=due)
        assert (await invoice_dates(org, pending["id"]))["daysOverdue"] == expected
    draft = await invoice(org, client_id, dueDate=day(-30))
    assert (await invoice_dates(org, draft["id"]))["daysOverdue"] == 0
    canceled = await invoice(org, client_id, authorize=True, dueDate=day(-30))
    await ok(org, CANCEL_INVOICE, {"id": canceled["id"]}, "cancelInvoice", "invoice")
    assert await invoice_dates(org, canceled["id"]) == {
        "status": "CANCELED",
        "paidAt": None,
        "daysOverdue": 0,
        "amountDue": {"amount": "0.00"},
    }


async def test_concurrent_last_payments_set_one_paid_date(org):
    client_id = await new_client(org)
    for _ in range(5):
        created = await invoice(org, client_id, authorize=True)
        await asyncio.gather(
            *(
                org.data(
                    "mutation($id: ID!, $d: Date!) { recordPayment(input: {invoiceId: $id, "
                    'amount: "50", date: $d}) { errors { code } } }',
                    {"id": created["id"], "d": d},
                )
                for d in (day(-1), day(-3))
            )
        )
        stored = await Invoice.get(id=pk_of(created["id"]))
        assert (stored.status, str(stored.paid_at)) == ("PAID", day(-1))


async def test_oldest_overdue_invoice_in_the_summary(org, make_org):
    client_id = await new_client(org)
    other_id = await new_client(org, name="Otro")
    empty = (await org.data(OLDEST_OVERDUE, {"id": client_id}))["client"]["summary"]
    assert empty == {"sales": {"oldestOverdue": None}, "purchases": {"oldestOverdue": None}}

    await invoice(org, client_id, number="A", authorize=True, dueDate=day(-5))
    oldest = await invoice(
        org,
        client_id,
        number="B",
        authorize=True,
        dueDate=day(-12),
        currency="USD",
        lines=[{"description": "W", "quantity": "3", "unitPrice": "99.99", "taxRate": "10"}],
    )
    # 3 x 99.99 = 299.97, tax 30.00 (29.997 half-up): 329.97; minus 100 paid.
    await pay(org, oldest["id"], "100")
    await invoice(org, client_id, number="C", authorize=True, dueDate=day(-12))  # created later
    paid = await invoice(
        org, client_id, number="D", authorize=True, issueDate=day(-60), dueDate=day(-40)
    )
    await pay(org, paid["id"], "100")
    await invoice(
        org, client_id, number="E", issueDate=day(-60), dueDate=day(-50)
    )  # DRAFT: not overdue
    await invoice(org, other_id, number="F", authorize=True, issueDate=day(-99), dueDate=day(-90))
    await invoice(org, client_id, number="P", kind="PURCHASE", authorize=True, dueDate=day(-1))
    theirs = await make_org()
    await invoice(
        theirs,
        await new_client(theirs),
        number="Z",
        authorize=True,
        issueDate=day(-99),
        dueDate=day(-99),
    )

    summary = (await org.data(OLDEST_OVERDUE, {"id": client_id}))["client"]["summary"]
    assert summary["sales"]["oldestOverdue"] == {
        "invoice": {"number": "B"},
        "dueDate": day(-12),
        "daysOverdue": 12,
        "amountDue": {"amount": "229.97", "currency": "USD"},
    }
    assert summary["purchases"]["oldestOverdue"] == {"invoice": {"number": "P"}}
    assert (await theirs.data(OLDEST_OVERDUE, {"id": client_id}))["client"] is None


async def test_purchase_order_lines_and_delivery_date(org, make_org):
    client_id = await new_client(org)
    created = await ok(
        org,
        CREATE_PO,
        {
            "input": {
                "clientId": client_id,
                "number": "PO-L1",
                "issueDate": day(-3),
                "expectedDeliveryDate": day(10),
                "currency": "USD",
                "lines": [
                    {
                        "description": "Tornillos",
                        "quantity": "3",
                        "unitPrice": "19.99",
                        "taxRate": "21",
                    },
                    {
                        "description": "Tuercas",
                        "quantity": "0.5",
                        "unitPrice": "0.0150",
                        "taxRate": "10",
                    },
                ],
            }
        },
        "createPurchaseOrder",
        "purchaseOrder",
    )
    # 3 x 19.99 = 59.97, tax 12.5937 -> 12.59; 0.5 x 0.015 = 0.0075 -> 0.01, tax 0.001 -> 0.00
    assert created["subtotal"] == {"amount": "59.98"}
    assert created["taxTotal"] == {"amount": "12.59"}
    assert created["total"] == {"amount": "72.57", "currency": "USD"}
    assert created["expectedDeliveryDate"] == day(10)
    assert [(line["position"], line["total"]["amount"]) for line in created["lines"]] == [
        (0, "72.56"),
        (1, "0.01"),
    ]
    stored = await PurchaseOrder.get(id=pk_of(created["id"]))
    assert (str(stored.subtotal), str(stored.tax_total), str(stored.total)) == (
        "59.98",
        "12.59",
        "72.57",
    )
    assert await PurchaseOrderLine.filter(purchase_order_id=stored.id).count() == 2

    # An order without lines keeps its given total.
    plain = await ok(
        org,
        CREATE_PO,
        {"input": {"clientId": client_id, "number": "PO-T", "issueDate": day(0), "total": "5"}},
        "createPurchaseOrder",
        "purchaseOrder",
    )
    assert (plain["lines"], plain["subtotal"], plain["total"]["amount"]) == ([], None, "5.00")

    base = {"clientId": client_id, "number": "PO-X", "issueDate": day(0)}
    line = {"description": "x", "quantity": "1", "unitPrice": "1"}
    for extra, expected in (
        ({}, {("REQUIRED", ("lines",))}),
        ({"lines": []}, {("REQUIRED", ("lines",))}),
        ({"lines": [line], "total": "1"}, {("INVALID", ("total",))}),
        (
            {"lines": [{**line, "quantity": "0", "taxRate": "101"}]},
            {
                ("INVALID_AMOUNT", ("lines", "0", "quantity")),
                ("INVALID_AMOUNT", ("lines", "0", "taxRate")),
            },
        ),
        (
            {"lines": [line], "expectedDeliveryDate": day(-1)},
            {("INVALID_DATE", ("expectedDeliveryDate",))},
        ),
        ({"lines": [line], "number": "PO-L1"}, {("DUPLICATE", ("number",))}),
    ):
        errors = await errors_of(
            org, CREATE_PO, {"input": {**base, **extra}}, "createPurchaseOrder"
        )
        assert codes(errors) == expected, extra
    theirs = await make_org()
    errors = await errors_of(
        theirs,
        CREATE_PO,
        {"input": {**base, "clientId": client_id, "lines": [line]}},
        "createPurchaseOrder",
    )
    assert codes(errors) == {("NOT_FOUND", ("clientId",))}
    assert (await theirs.data("query($id: ID!) { node(id: $id) { id } }", {"id": created["id"]}))[
        "node"
    ] is None


TASKS_BY_PRIORITY = """
query($id: ID!, $direction: OrderDirection, $first: Int, $after: String) {
  client(id: $id) { tasks(orderBy: {field: PRIORITY, direction: $direction}, first: $first,
                          after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { title priority } } } } }"""

CREATE_TASK = f"""
mutation($input: CreateTaskInput!) {{
  createTask(input: $input) {{ task {{ id title priority }} {ERRORS} }}
}}"""

UPDATE_TASK = f"""
mutation($id: ID!, $input: UpdateTaskInput!) {{
  updateTask(id: $id, input: $input) {{ task {{ id priority }} {ERRORS} }}
}}"""


async def tasks_by_priority(org, client_id: str, direction: str, first: int) -> list[str]:
    titles, after = [], None
    while True:
        variables = {"id": client_id, "direction": direction, "first": first, "after": after}
        page = (await org.data(TASKS_BY_PRIORITY, variables))["client"]["tasks"]
        titles += [f"{e['node']['priority']} {e['node']['title']}" for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return titles
        after = page["pageInfo"]["endCursor"]


async def test_task_priority_and_ordering_by_it(org, make_org):
    client_id = await new_client(org)
    p = await project(org, client_id)
    created = {}
    for title, priority in (
        ("a", "HIGH"),
        ("b", None),
        ("c", "URGENT"),
        ("d", "LOW"),
        ("e", "HIGH"),
        ("f", "NORMAL"),
    ):
        extra = {"priority": priority} if priority else {}
        created[title] = await ok(
            org,
            CREATE_TASK,
            {"input": {"projectId": p["id"], "title": title, **extra}},
            "createTask",
            "task",
        )
    assert created["b"]["priority"] == "NORMAL"
    # Ties (same priority) by id, in the same direction; pages of 2 walk the same order.
    expected_desc = ["URGENT c", "HIGH e", "HIGH a", "NORMAL f", "NORMAL b", "LOW d"]
    for first in (2, 10):
        assert await tasks_by_priority(org, client_id, "DESC", first) == expected_desc
        assert await tasks_by_priority(org, client_id, "ASC", first) == [
            "LOW d",
            "NORMAL b",
            "NORMAL f",
            "HIGH a",
            "HIGH e",
            "URGENT c",
        ]
    project_tasks = await org.data(
        "query($id: ID!) { node(id: $id) { ... on Project { tasks(orderBy: {field: PRIORITY}) "
        "{ edges { node { title } } } } } }",
        {"id": p["id"]},
    )
    assert [e["node"]["title"] for e in project_tasks["node"]["tasks"]["edges"]] == list("ceafbd")

    updated = await ok(
        org,
        UPDATE_TASK,
        {"id": created["d"]["id"], "input": {"priority": "URGENT"}},
        "updateTask",
        "task",
    )
    assert updated["priority"] == "URGENT"
    stored = await Task.get(id=pk_of(created["d"]["id"]))
    assert stored.priority == TaskPriority.URGENT
    entry = await Activity.filter(target_type="Task", target_id=stored.id, verb="updated").last()
    assert entry.changes == {"priority": {"old": "LOW", "new": "URGENT"}}
    reset = await ok(
        org,
        UPDATE_TASK,
        {"id": created["d"]["id"], "input": {"priority": None}},
        "updateTask",
        "task",
    )
    assert reset["priority"] == "NORMAL"

    body = await org.gql(
        CREATE_TASK, {"input": {"projectId": p["id"], "title": "x", "priority": "SOON"}}
    )
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    bad_cursor = base64.urlsafe_b64encode(b"[9,1]").decode()
    body = await org.gql(
        TASKS_BY_PRIORITY,
        {"id": client_id, "direction": "DESC", "first": 2, "after": bad_cursor},
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    theirs = await make_org()
    errors = await errors_of(
        theirs, UPDATE_TASK, {"id": created["a"]["id"], "input": {"priority": "LOW"}}, "updateTask"
    )
    assert codes(errors) == {("NOT_FOUND", ("id",))}
    assert (await Task.get(id=pk_of(created["a"]["id"]))).priority == TaskPriority.HIGH


PROJECT_HOURS = """
query($id: ID!) { node(id: $id) { ... on Project { hoursLogged budget { amount }
  hourlyRate { amount currency } budgetUsed { amount currency } budgetRemaining { amount }
  hoursByUser { user { email } hours } } } }"""


async def test_project_hours_budget_used_and_hours_per_user(org, make_org):
    client_id = await new_client(org)
    p = await project(org, client_id, budget="1000", hourlyRate="45.50", currency="USD")
    for hours, role in (
        ("1.25", Role.ADMIN),
        ("7.5", Role.MEMBER),
        ("0.75", Role.ADMIN),
        ("3.33", Role.MANAGER),
    ):
        await log_time(org, p["id"], hours, role=role)
    # 12.83 h x 45.50 = 583.765 -> 583.77; 1000 - 583.77 = 416.23
    figures = (await org.data(PROJECT_HOURS, {"id": p["id"]}))["node"]
    assert figures["hoursLogged"] == "12.83"
    assert figures["hourlyRate"] == {"amount": "45.50", "currency": "USD"}
    assert figures["budgetUsed"] == {"amount": "583.77", "currency": "USD"}
    assert figures["budgetRemaining"] == {"amount": "416.23"}
    assert [(e["user"]["email"].split("@")[0], e["hours"]) for e in figures["hoursByUser"]] == [
        ("member", "7.50"),
        ("manager", "3.33"),
        ("admin", "2.00"),
    ]

    over = await ok(
        org,
        UPDATE_PROJECT,
        {"id": p["id"], "input": {"hourlyRate": "100"}},
        "updateProject",
        "project",
    )
    assert over["id"] == p["id"]
    figures = (await org.data(PROJECT_HOURS, {"id": p["id"]}))["node"]
    assert figures["budgetUsed"]["amount"] == "1283.00"
    assert figures["budgetRemaining"] == {"amount": "-283.00"}

    bare = await project(org, client_id)
    figures = (await org.data(PROJECT_HOURS, {"id": bare["id"]}))["node"]
    assert figures == {
        "hoursLogged": "0.00",
        "budget": None,
        "hourlyRate": None,
        "budgetUsed": None,
        "budgetRemaining": None,
        "hoursByUser": [],
    }
    errors = await errors_of(
        org,
        UPDATE_PROJECT,
        {"id": p["id"], "input": {"hourlyRate": "-1"}},
        "updateProject",
    )
    assert codes(errors) == {("INVALID_AMOUNT", ("hourlyRate",))}
    errors = await errors_of(
        org,
        CREATE_PROJECT,
        {"input": {"clientId": client_id, "name": "P", "hourlyRate": "1.005"}},
        "createProject",
    )
    assert codes(errors) == {("INVALID_AMOUNT", ("hourlyRate",))}
    # The projects card adds up every project of the client, per user.
    await log_time(org, bare["id"], "4", role=Role.MANAGER)
    await log_time(org, (await project(org, await new_client(org)))["id"], "9")  # another client
    card = await org.data(PROJECTS_CARD, {"id": client_id})
    projects_card = card["client"]["summary"]["projects"]
    assert projects_card["hoursLogged"] == "16.83"
    assert [
        (e["user"]["email"].split("@")[0], e["hours"]) for e in projects_card["hoursByUser"]
    ] == [("member", "7.50"), ("manager", "7.33"), ("admin", "2.00")]
    theirs = await make_org()
    assert (await theirs.data(PROJECT_HOURS, {"id": p["id"]}))["node"] is None
    errors = await errors_of(
        theirs, UPDATE_PROJECT, {"id": p["id"], "input": {"hourlyRate": "1"}}, "updateProject"
    )
    assert codes(errors) == {("NOT_FOUND", ("id",))}


PROJECTS_CARD = """
query($id: ID!) { client(id: $id) { summary { projects { hoursLogged
  hoursByUser { user { email } hours } } } } }"""

PROJECTS_WITH_HOURS = """
query($id: ID!, $n: Int) { client(id: $id) { projects(first: $n) { edges { node {
  name hoursLogged budgetUsed { amount } budgetRemaining { amount }
  hoursByUser { user { email } hours } } } } } }"""


async def test_project_figures_do_not_grow_with_the_page(org, sql_statements):
    client_id = await new_client(org)
    for i in range(12):
        p = await project(org, client_id, name=f"P{i}", budget="100", hourlyRate="10")
        await log_time(org, p["id"], "1.5")
        await log_time(org, p["id"], "2", role=Role.MEMBER)
    counts = {}
    for n in (2, 12):
        sql_statements.clear()
        edges = (await org.data(PROJECTS_WITH_HOURS, {"id": client_id, "n": n}))["client"][
            "projects"
        ]["edges"]
        assert len(edges) == n
        assert {e["node"]["hoursLogged"] for e in edges} == {"3.50"}
        assert {e["node"]["budgetRemaining"]["amount"] for e in edges} == {"65.00"}
        counts[n] = len(sql_statements)
    assert counts[2] == counts[12]


LAST_ACTIVITY = """
query($n: Int) { clients(first: $n, orderBy: [{field: NAME, direction: ASC}]) {
  edges { node { name lastActivityAt } } } }"""


async def test_last_activity_at(org, make_org, app):
    first_id = await new_client(org, name="A")
    second_id = await new_client(org, name="B")
    created = await Activity.filter(client_id=pk_of(first_id)).order_by("-created_at").first()
    node = (await org.data(LAST_ACTIVITY_OF, {"id": first_id}))["client"]
    assert datetime.fromisoformat(node["lastActivityAt"]) == created.created_at
    # A change to one of its records moves it.
    await project(org, first_id)
    newest = await Activity.filter(client_id=pk_of(first_id)).order_by("-created_at").first()
    assert newest.target_type == "Project" and newest.created_at > created.created_at
    node = (await org.data(LAST_ACTIVITY_OF, {"id": first_id}))["client"]
    assert datetime.fromisoformat(node["lastActivityAt"]) == newest.created_at
    await Activity.filter(client_id=pk_of(second_id)).delete()
    assert (await org.data(LAST_ACTIVITY_OF, {"id": second_id}))["client"] == {
        "lastActivityAt": None
    }
    theirs = await make_org()
    assert (await theirs.data(LAST_ACTIVITY_OF, {"id": first_id}))["client"] is None

    # The planned path writes it, in the list's one statement.
    planner = next(
        route.endpoint.planner for route in app.routes if isinstance(route.endpoint, GraphQLApp)
    )
    before = planner.counts["planned"]
    listed = (await org.data(LAST_ACTIVITY, {"n": 5}))["clients"]["edges"]
    assert planner.counts["planned"] == before + 1
    assert [e["node"]["name"] for e in listed] == ["A", "B"]
    assert datetime.fromisoformat(listed[0]["node"]["lastActivityAt"]) == newest.created_at
    assert listed[1]["node"]["lastActivityAt"] is None


LAST_ACTIVITY_OF = "query($id: ID!) { client(id: $id) { lastActivityAt } }"


LIST_WITH_DETAILS = """
query($n: Int) { clients(first: $n, orderBy: [{field: NAME, direction: ASC}]) {
  edges { node { name lastActivityAt summary {
    projects { hoursByUser { hours } }
    invoices(kind: SALE) { oldestOverdue { daysOverdue invoice { number } } }
    deals { weightedOpen { amount } } }
    tasks(orderBy: {field: PRIORITY}, first: 2) { edges { node { priority } } }
    activity(verb: [CREATED], first: 2) { totalCount }
  } } } }"""


async def test_details_statements_do_not_grow_with_the_page(org, sql_statements):
    for i in range(30):
        client_id = await new_client(org, name=f"C{i:02}")
        if i % 3 == 0:
            p = await project(org, client_id)
            await task(org, p["id"], priority="HIGH")
            await invoice(org, client_id, authorize=True, dueDate=day(-2))
            await deal(org, client_id, probability=50)
    counts = {}
    for n in (3, 30):
        sql_statements.clear()
        edges = (await org.data(LIST_WITH_DETAILS, {"n": n}))["clients"]["edges"]
        assert len(edges) == n and all(e["node"]["lastActivityAt"] for e in edges)
        first = edges[0]["node"]
        assert first["summary"]["invoices"]["oldestOverdue"]["daysOverdue"] == 2
        assert first["summary"]["deals"]["weightedOpen"] == [{"amount": "500.00"}]
        assert first["tasks"]["edges"] == [{"node": {"priority": "HIGH"}}]
        counts[n] = len(sql_statements)
    assert counts[3] == counts[30]


ACTIVITY_FILTERED = """
query($id: ID!, $types: [ActivityTargetType!], $verbs: [ActivityVerb!], $actor: ID,
      $since: Date, $until: Date, $first: Int, $after: String) {
  client(id: $id) { activity(targetType: $types, verb: $verbs, actorId: $actor, since: $since,
                             until: $until, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { verb targetType actor { email } } } } } }"""


async def activity_of(org, client_id: str, **variables) -> dict:
    data = await org.data(ACTIVITY_FILTERED, {"id": client_id, **variables})
    found = data["client"]["activity"]
    return {
        "count": found["totalCount"],
        "entries": [
            (e["node"]["verb"], e["node"]["targetType"], (e["node"]["actor"] or {}).get("email"))
            for e in found["edges"]
        ],
    }


async def test_activity_filters(org, make_org):
    client_id = await new_client(org)
    member = await user_id(org, Role.MEMBER)
    p = await project(org, client_id)  # by the admin
    created_deal = await ok(
        org,
        CREATE_DEAL,
        {"input": {"clientId": client_id, "title": "D", "value": "1"}},
        "createDeal",
        "deal",
        role=Role.MEMBER,
    )
    await ok(
        org,
        UPDATE_DEAL,
        {"id": created_deal["id"], "input": {"probability": 10}},
        "updateDeal",
        "deal",
        role=Role.MEMBER,
    )
    await ok(
        org, UPDATE_PROJECT, {"id": p["id"], "input": {"name": "Otro"}}, "updateProject", "project"
    )
    # Back-date the client's creation entry by ten days, where the organization works.
    creation = await Activity.get(client_id=pk_of(client_id), target_type="Client")
    await Activity.filter(id=creation.id).update(
        created_at=creation.created_at - timedelta(days=10)
    )

    admin, mem = "admin@", "member@"
    result = await activity_of(org, client_id)
    assert result["count"] == 5
    result = await activity_of(org, client_id, types=["DEAL"])
    assert [(v, t) for v, t, _ in result["entries"]] == [("UPDATED", "DEAL"), ("CREATED", "DEAL")]
    assert result["count"] == 2
    result = await activity_of(org, client_id, verbs=["UPDATED"], types=["DEAL", "PROJECT"])
    assert [(v, t) for v, t, _ in result["entries"]] == [
        ("UPDATED", "PROJECT"),
        ("UPDATED", "DEAL"),
    ]
    result = await activity_of(org, client_id, actor=member)
    assert result["count"] == 2 and {e[2].split("@")[0] + "@" for e in result["entries"]} == {mem}
    result = await activity_of(org, client_id, actor=member, verbs=["CREATED"], first=1)
    assert result == {"count": 1, "entries": [("CREATED", "DEAL", result["entries"][0][2])]}

    # Days are the organization's: today's entries, then the back-dated creation alone.
    result = await activity_of(org, client_id, since=day(0), until=day(0))
    assert result["count"] == 4
    result = await activity_of(org, client_id, until=day(-1))
    assert result["entries"] == [("CREATED", "CLIENT", result["entries"][0][2])]
    assert result["entries"][0][2].startswith(admin)
    result = await activity_of(org, client_id, since=day(-10), until=day(-10))
    assert result["count"] == 1
    assert (await activity_of(org, client_id, since=day(-9), until=day(-1)))["count"] == 0
    assert (await activity_of(org, client_id, since=day(1)))["count"] == 0
    assert (await activity_of(org, client_id, since=day(0), until=day(-1)))["count"] == 0
    assert (await activity_of(org, client_id, since="0001-01-01", until="9999-12-31"))["count"] == 5

    # Pages walk the filtered entries only.
    first = await org.data(
        ACTIVITY_FILTERED, {"id": client_id, "types": ["DEAL", "PROJECT"], "first": 3}
    )
    page = first["client"]["activity"]
    assert page["totalCount"] == 4 and page["pageInfo"]["hasNextPage"]
    rest = await org.data(
        ACTIVITY_FILTERED,
        {
            "id": client_id,
            "types": ["DEAL", "PROJECT"],
            "first": 3,
            "after": page["pageInfo"]["endCursor"],
        },
    )
    assert [e["node"]["targetType"] for e in rest["client"]["activity"]["edges"]] == ["PROJECT"]

    # Another organization's user and an ID of another type match nothing.
    theirs = await make_org()
    for actor in (await user_id(theirs), client_id):
        assert await activity_of(org, client_id, actor=actor) == {"count": 0, "entries": []}
    body = await org.gql(ACTIVITY_FILTERED, {"id": client_id, "actor": "abc"})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    body = await org.gql(ACTIVITY_FILTERED, {"id": client_id, "verbs": ["EATEN"]})
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    body = await org.gql(ACTIVITY_FILTERED, {"id": client_id, "since": "2026-02-30"})
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert (await theirs.data(ACTIVITY_FILTERED, {"id": client_id}))["client"] is None
