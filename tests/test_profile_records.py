"""The records behind the profile through HTTP: validation as typed errors, totals computed
in Decimal, state machines, roles, tenancy, and the activity each change writes."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from gql_crm.models import Activity, Invoice, InvoiceLine, InvoicePayment, Role, Task, TimeLog
from gql_crm.services.billing import clean_lines
from gql_crm.services.errors import ErrorCode
from gql_crm.services.records import money_amount
from gql_crm.services.validation import FieldInvalid, Validator
from tests.helpers import pk_of
from tests.profile_helpers import (
    AUTHORIZE_INVOICE,
    CANCEL_INVOICE,
    CANCEL_PURCHASE_ORDER,
    CLOSE_PURCHASE_ORDER,
    CREATE_DEAL,
    CREATE_INVOICE,
    CREATE_PROJECT,
    CREATE_QUOTE,
    CREATE_TASK,
    LOG_TIME,
    MOVE_DEAL,
    RECORD_PAYMENT,
    SET_TASK_STATUS,
    UPDATE_PROJECT,
    UPDATE_TASK,
    day,
    deal,
    errors_of,
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


def codes(errors: list[dict]) -> set[tuple[str, tuple]]:
    return {(e["code"], tuple(e["field"] or ())) for e in errors}


async def test_invoice_totals_are_computed_in_decimal(org):
    client_id = await new_client(org)
    created = await invoice(
        org,
        client_id,
        number="2026-001",
        lines=[
            {"description": "Horas", "quantity": "3", "unitPrice": "19.99", "taxRate": "21"},
            {"description": "Tornillos", "quantity": "0.5", "unitPrice": "0.0150", "taxRate": "10"},
            {"description": "Descuento", "quantity": "1", "unitPrice": "0.10", "taxRate": "0"},
        ],
    )
    # 3 x 19.99 = 59.97, tax 12.5937 -> 12.59; 0.5 x 0.015 = 0.0075 -> 0.01, tax 0.001 -> 0.00.
    assert [
        (line["subtotal"]["amount"], line["tax"]["amount"], line["total"]["amount"])
        for line in created["lines"]
    ] == [
        ("59.97", "12.59", "72.56"),
        ("0.01", "0.00", "0.01"),
        ("0.10", "0.00", "0.10"),
    ]
    assert (created["subtotal"]["amount"], created["taxTotal"]["amount"], created["total"]) == (
        "60.08",
        "12.59",
        {"amount": "72.67", "currency": "EUR"},
    )
    assert created["status"] == "DRAFT"
    assert created["amountDue"] == {"amount": "0.00"}
    stored = await Invoice.get(id=pk_of(created["id"]))
    assert stored.total == Decimal("72.67") and stored.organization_id == org.id
    lines = await InvoiceLine.filter(invoice_id=stored.id).order_by("position")
    assert [line.description for line in lines] == ["Horas", "Tornillos", "Descuento"]
    assert lines[1].quantity == Decimal("0.5") and lines[1].unit_price == Decimal("0.015")


@hypothesis_settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.decimals(min_value="0.0001", max_value="10000", places=4),
            st.decimals(min_value="0", max_value="100000", places=4),
            st.decimals(min_value="0", max_value="100", places=3),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_line_amounts_add_up(lines):
    checks = Validator()
    clean = clean_lines(
        checks,
        [{"description": "x", "quantity": q, "unit_price": p, "tax_rate": r} for q, p, r in lines],
    )
    assert checks.errors == []
    for line in clean:
        assert line.total == line.subtotal + line.tax
        assert abs(line.subtotal - line.quantity * line.unit_price) <= Decimal("0.005")
        assert line.subtotal.as_tuple().exponent == -2 and line.tax.as_tuple().exponent == -2


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.decimals(allow_nan=True, allow_infinity=True), st.text(max_size=30), st.integers())
)
def test_amounts_are_accepted_exactly_or_refused(value):
    try:
        amount = money_amount(value)
    except FieldInvalid as exc:
        assert exc.code in (ErrorCode.INVALID_AMOUNT, ErrorCode.REQUIRED)
        return
    assert amount >= 0 and amount == Decimal(str(value))
    assert amount.as_tuple().exponent == -2 and amount < Decimal(10) ** 16


async def test_invoice_validation_reports_every_problem(org):
    client_id = await new_client(org)
    await invoice(org, client_id, number="A-1")
    bad = {
        "clientId": client_id,
        "kind": "SALE",
        "number": "A-1",
        "issueDate": day(0),
        "dueDate": day(-1),
        "currency": "ZZZ",
        "lines": [
            {"description": "", "quantity": "0", "unitPrice": "1.00001", "taxRate": "101"},
            {"description": "ok", "quantity": "1.12345", "unitPrice": "-1"},
        ],
    }
    errors = await errors_of(org, CREATE_INVOICE, {"input": bad}, "createInvoice")
    assert codes(errors) == {
        ("DUPLICATE", ("number",)),
        ("INVALID_DATE", ("dueDate",)),
        ("INVALID_CURRENCY", ("currency",)),
        ("REQUIRED", ("lines", "0", "description")),
        ("INVALID_AMOUNT", ("lines", "0", "quantity")),
        ("INVALID_AMOUNT", ("lines", "0", "unitPrice")),
        ("INVALID_AMOUNT", ("lines", "0", "taxRate")),
        ("INVALID_AMOUNT", ("lines", "1", "quantity")),
        ("INVALID_AMOUNT", ("lines", "1", "unitPrice")),
    }
    no_lines = {**bad, "number": "A-2", "dueDate": None, "currency": "usd", "lines": []}
    errors = await errors_of(
        org, CREATE_INVOICE, {"input": no_lines}, "createInvoice", headers={"Accept-Language": "es"}
    )
    assert errors == [
        {"code": "REQUIRED", "field": ["lines"], "message": "Este campo es obligatorio."}
    ]
    assert await Invoice.filter(organization_id=org.id).count() == 1
    # Numbers are unique per organization and kind, not across kinds or organizations.
    await invoice(org, client_id, number="A-1", kind="PURCHASE")


async def test_invoice_numbers_are_per_organization(make_org):
    first, second = await make_org(), await make_org()
    for org in (first, second):
        await invoice(org, await new_client(org), number="F-2026-1")


async def test_invoice_lifecycle_and_partial_payments(org):
    client_id = await new_client(org)
    draft = await invoice(
        org,
        client_id,
        dueDate=day(10),
        lines=[{"description": "x", "quantity": "1", "unitPrice": "100", "taxRate": "21"}],
    )
    invoice_id = draft["id"]
    variables = {"id": invoice_id, "amount": "10", "date": day(0)}
    errors = await errors_of(org, RECORD_PAYMENT, variables, "recordPayment")
    assert errors[0]["code"] == "INVALID_STATE" and "DRAFT" in errors[0]["message"]
    assert errors[0]["field"] == ["invoiceId"]

    authorized = await ok(org, AUTHORIZE_INVOICE, {"id": invoice_id}, "authorizeInvoice", "invoice")
    assert authorized["status"] == "PENDING" and authorized["authorizedAt"]
    errors = await errors_of(org, AUTHORIZE_INVOICE, {"id": invoice_id}, "authorizeInvoice")
    assert errors[0]["code"] == "INVALID_STATE"

    partly = await pay(org, invoice_id, "21.00", day(-1))
    assert (partly["status"], partly["amountPaid"], partly["amountDue"]) == (
        "PENDING",
        {"amount": "21.00"},
        {"amount": "100.00"},
    )
    for amount, code in (
        ("100.01", "EXCEEDS_AMOUNT_DUE"),
        ("0", "INVALID_AMOUNT"),
        ("-5", "INVALID_AMOUNT"),
        ("1.001", "INVALID_AMOUNT"),
    ):
        errors = await errors_of(
            org, RECORD_PAYMENT, {**variables, "amount": amount}, "recordPayment"
        )
        assert codes(errors) == {(code, ("amount",))}, amount
    errors = await errors_of(
        org,
        RECORD_PAYMENT,
        {**variables, "amount": "500"},
        "recordPayment",
        headers={"Accept-Language": "es"},
    )
    assert errors == [
        {
            "code": "EXCEEDS_AMOUNT_DUE",
            "field": ["amount"],
            "message": "Supera los 100.00 pendientes de pago.",
        }
    ]
    paid = await pay(org, invoice_id, "100")
    assert (paid["status"], paid["amountDue"]) == ("PAID", {"amount": "0.00"})
    assert paid["payments"] == [
        {"amount": {"amount": "21.00"}, "date": day(-1)},
        {"amount": {"amount": "100.00"}, "date": day(0)},
    ]
    assert await InvoicePayment.filter(invoice_id=pk_of(invoice_id)).count() == 2
    errors = await errors_of(org, CANCEL_INVOICE, {"id": invoice_id}, "cancelInvoice")
    assert errors[0]["code"] == "INVALID_STATE"

    other = await invoice(org, client_id, authorize=True)
    canceled = await ok(org, CANCEL_INVOICE, {"id": other["id"]}, "cancelInvoice", "invoice")
    assert canceled["status"] == "CANCELED"


async def test_purchase_orders(org):
    client_id = await new_client(org)
    order = await purchase_order(
        org, client_id, number="PO-1", total="12.5", currency="usd", description="Paper"
    )
    assert order["total"] == {"amount": "12.50", "currency": "USD"}
    closed = await ok(
        org, CLOSE_PURCHASE_ORDER, {"id": order["id"]}, "closePurchaseOrder", "purchaseOrder"
    )
    assert closed["status"] == "CLOSED"
    errors = await errors_of(org, CANCEL_PURCHASE_ORDER, {"id": order["id"]}, "cancelPurchaseOrder")
    assert errors[0]["code"] == "INVALID_STATE"
    errors = await errors_of(
        org,
        """mutation($input: CreatePurchaseOrderInput!) { createPurchaseOrder(input: $input)
        { purchaseOrder { id } errors { code field } } }""",
        {"input": {"clientId": client_id, "number": "PO-1", "issueDate": day(0), "total": "-1"}},
        "createPurchaseOrder",
    )
    assert codes(errors) == {("DUPLICATE", ("number",)), ("INVALID_AMOUNT", ("total",))}


async def test_projects_tasks_and_hours(org, make_org):
    client_id = await new_client(org)
    errors = await errors_of(
        org,
        CREATE_PROJECT,
        {
            "input": {
                "clientId": client_id,
                "name": " ",
                "startDate": day(5),
                "deadline": day(1),
                "budget": "10.001",
                "currency": "EURO",
            }
        },
        "createProject",
    )
    assert codes(errors) == {
        ("REQUIRED", ("name",)),
        ("INVALID_DATE", ("deadline",)),
        ("INVALID_AMOUNT", ("budget",)),
        ("INVALID_CURRENCY", ("currency",)),
    }
    created = await project(org, client_id, name="Web", startDate=day(0), budget="5000")
    assert created["budget"] == {"amount": "5000.00", "currency": "EUR"}
    assert created["status"] == "PLANNED"
    updated = await ok(
        org,
        UPDATE_PROJECT,
        {"id": created["id"], "input": {"status": "ACTIVE", "deadline": day(30)}},
        "updateProject",
        "project",
    )
    assert (updated["name"], updated["status"], updated["deadline"]) == ("Web", "ACTIVE", day(30))
    errors = await errors_of(
        org, UPDATE_PROJECT, {"id": created["id"], "input": {"deadline": day(-1)}}, "updateProject"
    )
    assert codes(errors) == {("INVALID_DATE", ("deadline",))}

    overdue = await task(org, created["id"], title="Late", dueDate=day(-1))
    assert overdue["isOverdue"] is True and overdue["status"] == "TODO"
    renamed = await ok(
        org, UPDATE_TASK, {"id": overdue["id"], "input": {"title": "Later"}}, "updateTask", "task"
    )
    assert renamed == {"id": overdue["id"], "title": "Later", "dueDate": day(-1)}
    member = (await org.data("{ viewer { user { id } } }", role=Role.MEMBER))["viewer"]["user"]
    assigned = await org.data(
        """mutation($id: ID!, $input: UpdateTaskInput!) { updateTask(id: $id, input: $input) {
        task { assignee { email } } errors { code field } } }""",
        {"id": overdue["id"], "input": {"assigneeId": member["id"]}},
    )
    assert assigned["updateTask"]["task"]["assignee"]["email"].startswith("member@")
    stranger = (await (await make_org()).data("{ viewer { user { id } } }"))["viewer"]["user"]
    errors = await errors_of(
        org,
        UPDATE_TASK,
        {"id": overdue["id"], "input": {"assigneeId": stranger["id"]}},
        "updateTask",
    )
    assert codes(errors) == {("NOT_FOUND", ("assigneeId",))}
    done = await ok(
        org, SET_TASK_STATUS, {"id": overdue["id"], "status": "DONE"}, "setTaskStatus", "task"
    )
    assert done["status"] == "DONE"
    errors = await errors_of(
        org, SET_TASK_STATUS, {"id": overdue["id"], "status": "DONE"}, "setTaskStatus"
    )
    assert errors[0]["code"] == "INVALID_STATE"
    stored = await Task.get(id=pk_of(overdue["id"]))
    assert stored.client_id == pk_of(client_id) and stored.project_id == pk_of(created["id"])

    other_project = await project(org, client_id, name="Other")
    other_task = await task(org, other_project["id"])
    for hours, field in (("0", "hours"), ("24.01", "hours"), ("1.005", "hours")):
        errors = await errors_of(
            org,
            LOG_TIME,
            {"input": {"projectId": created["id"], "date": day(0), "hours": hours}},
            "logTime",
        )
        assert codes(errors) == {("INVALID_AMOUNT", (field,))}, hours
    errors = await errors_of(
        org,
        LOG_TIME,
        {
            "input": {
                "projectId": created["id"],
                "taskId": other_task["id"],
                "date": day(0),
                "hours": "1",
            }
        },
        "logTime",
    )
    assert codes(errors) == {("NOT_FOUND", ("taskId",))}
    logged = await ok(
        org,
        LOG_TIME,
        {
            "input": {
                "projectId": created["id"],
                "taskId": overdue["id"],
                "date": day(-2),
                "hours": "7.5",
                "note": "Maquetación",
            }
        },
        "logTime",
        "timeLog",
    )
    assert logged["hours"] == "7.50" and logged["user"]["email"].startswith("admin@")
    assert (await TimeLog.get(id=pk_of(logged["id"]))).client_id == pk_of(client_id)


async def test_deals_and_quotes(org):
    client_id = await new_client(org)
    other_client = await new_client(org, name="Otro")
    errors = await errors_of(
        org,
        CREATE_DEAL,
        {"input": {"clientId": client_id, "title": "", "value": "-1", "currency": "XYZ"}},
        "createDeal",
    )
    assert codes(errors) == {
        ("REQUIRED", ("title",)),
        ("INVALID_AMOUNT", ("value",)),
        ("INVALID_CURRENCY", ("currency",)),
    }
    created = await deal(
        org, client_id, title="Rediseño", value="9000.5", currency="USD", expectedCloseDate=day(20)
    )
    assert created["stage"] == "LEAD" and created["closedAt"] is None
    assert created["value"] == {"amount": "9000.50", "currency": "USD"}
    won = await ok(org, MOVE_DEAL, {"id": created["id"], "stage": "WON"}, "moveDeal", "deal")
    assert won["closedAt"] is not None
    reopened = await ok(
        org, MOVE_DEAL, {"id": created["id"], "stage": "NEGOTIATION"}, "moveDeal", "deal"
    )
    assert reopened["closedAt"] is None

    other_deal = await deal(org, other_client)
    errors = await errors_of(
        org,
        CREATE_QUOTE,
        {
            "input": {
                "clientId": client_id,
                "dealId": other_deal["id"],
                "number": "Q-1",
                "lines": [{"description": "x", "quantity": "1", "unitPrice": "1"}],
            }
        },
        "createQuote",
    )
    assert codes(errors) == {("NOT_FOUND", ("dealId",))}
    created_quote = await quote(
        org,
        client_id,
        dealId=created["id"],
        validUntil=day(0),
        lines=[{"description": "Diseño", "quantity": "2", "unitPrice": "50", "taxRate": "21"}],
    )
    assert (created_quote["status"], created_quote["total"]) == (
        "DRAFT",
        {"amount": "121.00", "currency": "EUR"},
    )
    assert created_quote["deal"]["id"] == created["id"]
    quote_id = created_quote["id"]
    errors = await errors_of(org, quote_action("acceptQuote"), {"id": quote_id}, "acceptQuote")
    assert errors[0]["code"] == "INVALID_STATE"
    sent = await ok(org, quote_action("sendQuote"), {"id": quote_id}, "sendQuote", "quote")
    assert sent["status"] == "SENT"
    accepted = await ok(org, quote_action("acceptQuote"), {"id": quote_id}, "acceptQuote", "quote")
    assert accepted["status"] == "ACCEPTED"
    errors = await errors_of(org, quote_action("declineQuote"), {"id": quote_id}, "declineQuote")
    assert errors[0]["code"] == "INVALID_STATE"

    expired = await expired_quote(org, client_id)
    errors = await errors_of(
        org,
        quote_action("sendQuote"),
        {"id": expired["id"]},
        "sendQuote",
        headers={"Accept-Language": "es"},
    )
    assert errors[0]["code"] == "INVALID_STATE" and "EXPIRED" in errors[0]["message"]


@pytest.mark.parametrize(
    "document,input_of",
    [
        (CREATE_PROJECT, lambda ids: {"clientId": ids["client"], "name": "P"}),
        (CREATE_TASK, lambda ids: {"projectId": ids["project"], "title": "T"}),
        (CREATE_DEAL, lambda ids: {"clientId": ids["client"], "title": "D", "value": "1"}),
        (
            CREATE_INVOICE,
            lambda ids: {
                "clientId": ids["client"],
                "kind": "SALE",
                "number": "V-1",
                "issueDate": "2026-01-01",
                "lines": [{"description": "x", "quantity": "1", "unitPrice": "1"}],
            },
        ),
    ],
)
async def test_viewers_cannot_write(org, document, input_of):
    client_id = await new_client(org)
    ids = {"client": client_id, "project": (await project(org, client_id))["id"]}
    body = await org.gql(document, {"input": input_of(ids)}, role=Role.VIEWER)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    member = await org.gql(document, {"input": input_of(ids)}, role=Role.MEMBER)
    assert "errors" not in member


async def test_other_organizations_records_are_not_found(make_org):
    mine, theirs = await make_org(), await make_org()
    their_client = await new_client(theirs)
    their_project = await project(theirs, their_client)
    their_invoice = await invoice(theirs, their_client, authorize=True)
    their_quote = await quote(theirs, their_client)
    their_deal = await deal(theirs, their_client)
    my_client = await new_client(mine)

    errors = await errors_of(
        mine, CREATE_PROJECT, {"input": {"clientId": their_client, "name": "P"}}, "createProject"
    )
    assert codes(errors) == {("NOT_FOUND", ("clientId",))}
    errors = await errors_of(
        mine, CREATE_TASK, {"input": {"projectId": their_project["id"], "title": "T"}}, "createTask"
    )
    assert codes(errors) == {("NOT_FOUND", ("projectId",))}
    errors = await errors_of(
        mine,
        RECORD_PAYMENT,
        {"id": their_invoice["id"], "amount": "1", "date": day(0)},
        "recordPayment",
    )
    assert codes(errors) == {("NOT_FOUND", ("invoiceId",))}
    errors = await errors_of(
        mine, quote_action("sendQuote"), {"id": their_quote["id"]}, "sendQuote"
    )
    assert codes(errors) == {("NOT_FOUND", ("id",))}
    errors = await errors_of(
        mine,
        CREATE_QUOTE,
        {
            "input": {
                "clientId": my_client,
                "dealId": their_deal["id"],
                "number": "Q",
                "lines": [{"description": "x", "quantity": "1", "unitPrice": "1"}],
            }
        },
        "createQuote",
    )
    assert codes(errors) == {("NOT_FOUND", ("dealId",))}
    # A global ID of another type reads as missing too.
    errors = await errors_of(mine, AUTHORIZE_INVOICE, {"id": their_quote["id"]}, "authorizeInvoice")
    assert codes(errors) == {("NOT_FOUND", ("id",))}
    for node_id in (their_project["id"], their_invoice["id"], their_quote["id"], their_deal["id"]):
        data = await mine.data("query($id: ID!) { node(id: $id) { id } }", {"id": node_id})
        assert data["node"] is None
    assert (await Invoice.get(id=pk_of(their_invoice["id"]))).amount_paid == 0


ACTIVITY = """
query($id: ID!, $first: Int, $after: String) { client(id: $id) {
  activity(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id verb targetType targetId createdAt actor { email }
                   changes { field old new }
                   target { id ... on Invoice { number } ... on Client { name } } } }
  }
} }"""


async def test_activity_lists_every_change_newest_first(org, make_org):
    client_id = await new_client(org, name="Historia")
    created = await invoice(org, client_id, number="H-1", dueDate=day(5), authorize=True)
    await pay(org, created["id"], "40", day(0))
    p = await project(org, client_id, name="Web")
    await ok(
        org,
        UPDATE_PROJECT,
        {"id": p["id"], "input": {"name": "Web 2"}},
        "updateProject",
        "project",
        role=Role.MEMBER,
    )

    data = await org.data(ACTIVITY, {"id": client_id, "first": 3})
    activity = data["client"]["activity"]
    assert activity["totalCount"] == 6
    nodes = [edge["node"] for edge in activity["edges"]]
    assert [(n["verb"], n["targetType"]) for n in nodes] == [
        ("UPDATED", "PROJECT"),
        ("CREATED", "PROJECT"),
        ("PAYMENT_RECORDED", "INVOICE"),
    ]
    assert nodes[0]["actor"]["email"].startswith("member@")
    assert nodes[0]["changes"] == [{"field": "name", "old": "Web", "new": "Web 2"}]
    payment = {c["field"]: c for c in nodes[2]["changes"]}
    assert payment["amountPaid"]["old"] == "0.00" and payment["amountPaid"]["new"] == "40.00"
    assert payment["payment"]["new"] == {"amount": "40.00", "date": day(0)}
    assert nodes[2]["target"] == {"id": created["id"], "number": "H-1"}

    rest = await org.data(
        ACTIVITY, {"id": client_id, "first": 3, "after": activity["pageInfo"]["endCursor"]}
    )
    older = [edge["node"] for edge in rest["client"]["activity"]["edges"]]
    assert [(n["verb"], n["targetType"]) for n in older] == [
        ("AUTHORIZED", "INVOICE"),
        ("CREATED", "INVOICE"),
        ("CREATED", "CLIENT"),
    ]
    changes = {c["field"]: c for c in older[0]["changes"]}
    assert changes["status"] == {"field": "status", "old": "DRAFT", "new": "AUTHORIZED"}
    assert changes["authorizedAt"]["old"] is None and changes["authorizedAt"]["new"]
    lines = {c["field"]: c for c in older[1]["changes"]}["lines"]["new"]
    assert lines == [
        {"description": "Work", "quantity": "1.0000", "unitPrice": "100.0000", "taxRate": "0.000"}
    ]
    assert older[2]["target"] == {"id": client_id, "name": "Historia"}
    assert rest["client"]["activity"]["pageInfo"]["hasNextPage"] is False
    assert await Activity.filter(client_id=pk_of(client_id)).count() == 6
    entry = await org.data(
        "query($id: ID!) { node(id: $id) { ... on Activity { verb } } }", {"id": nodes[0]["id"]}
    )
    assert entry == {"node": {"verb": "UPDATED"}}
    stranger = await make_org()
    assert (
        await stranger.data("query($id: ID!) { node(id: $id) { id } }", {"id": nodes[0]["id"]})
    ) == {"node": None}
