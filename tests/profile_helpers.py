"""GraphQL documents and builders for the client profile's records, through HTTP."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from gql_crm.models import Quote
from tests.helpers import create_client, pk_of

ERRORS = "errors { code field message }"

CREATE_PROJECT = f"""
mutation($input: CreateProjectInput!) {{
  createProject(input: $input) {{
    project {{ id name status startDate deadline budget {{ amount currency }} }} {ERRORS}
  }}
}}"""

UPDATE_PROJECT = f"""
mutation($id: ID!, $input: UpdateProjectInput!) {{
  updateProject(id: $id, input: $input) {{ project {{ id name status deadline }} {ERRORS} }}
}}"""

LOG_TIME = f"""
mutation($input: LogTimeInput!) {{
  logTime(input: $input) {{ timeLog {{ id date hours note user {{ email }} }} {ERRORS} }}
}}"""

CREATE_TASK = f"""
mutation($input: CreateTaskInput!) {{
  createTask(input: $input) {{ task {{ id title status dueDate isOverdue }} {ERRORS} }}
}}"""

UPDATE_TASK = f"""
mutation($id: ID!, $input: UpdateTaskInput!) {{
  updateTask(id: $id, input: $input) {{ task {{ id title dueDate }} {ERRORS} }}
}}"""

SET_TASK_STATUS = f"""
mutation($id: ID!, $status: TaskStatus!) {{
  setTaskStatus(id: $id, status: $status) {{ task {{ id status }} {ERRORS} }}
}}"""

INVOICE_FIELDS = """id kind number status issueDate dueDate subtotal { amount }
  taxTotal { amount } total { amount currency } amountPaid { amount } amountDue { amount }
  lines { position description quantity unitPrice { amount } taxRate subtotal { amount }
          tax { amount } total { amount } }
  payments { amount { amount } date }"""

CREATE_INVOICE = f"""
mutation($input: CreateInvoiceInput!) {{
  createInvoice(input: $input) {{ invoice {{ {INVOICE_FIELDS} }} {ERRORS} }}
}}"""

AUTHORIZE_INVOICE = f"""
mutation($id: ID!) {{ authorizeInvoice(id: $id) {{ invoice {{ id status authorizedAt }} {ERRORS} }} }}"""

CANCEL_INVOICE = f"""
mutation($id: ID!) {{ cancelInvoice(id: $id) {{ invoice {{ id status }} {ERRORS} }} }}"""

RECORD_PAYMENT = f"""
mutation($id: ID!, $amount: Decimal!, $date: Date!) {{
  recordPayment(input: {{invoiceId: $id, amount: $amount, date: $date}}) {{
    invoice {{ id status amountPaid {{ amount }} amountDue {{ amount }}
               payments {{ amount {{ amount }} date }} }} {ERRORS}
  }}
}}"""

CREATE_PURCHASE_ORDER = f"""
mutation($input: CreatePurchaseOrderInput!) {{
  createPurchaseOrder(input: $input) {{
    purchaseOrder {{ id number status total {{ amount currency }} }} {ERRORS}
  }}
}}"""

CLOSE_PURCHASE_ORDER = f"""
mutation($id: ID!) {{ closePurchaseOrder(id: $id) {{ purchaseOrder {{ id status }} {ERRORS} }} }}"""

CANCEL_PURCHASE_ORDER = f"""
mutation($id: ID!) {{
  cancelPurchaseOrder(id: $id) {{ purchaseOrder {{ id status }} {ERRORS} }}
}}"""

CREATE_DEAL = f"""
mutation($input: CreateDealInput!) {{
  createDeal(input: $input) {{
    deal {{ id title stage value {{ amount currency }} closedAt }} {ERRORS}
  }}
}}"""

MOVE_DEAL = f"""
mutation($id: ID!, $stage: DealStage!) {{
  moveDeal(id: $id, stage: $stage) {{ deal {{ id stage closedAt }} {ERRORS} }}
}}"""

CREATE_QUOTE = f"""
mutation($input: CreateQuoteInput!) {{
  createQuote(input: $input) {{
    quote {{ id number status validUntil subtotal {{ amount }} taxTotal {{ amount }}
             total {{ amount currency }} deal {{ id }}
             lines {{ description total {{ amount }} }} }} {ERRORS}
  }}
}}"""

QUOTE_ACTION = """
mutation($id: ID!) {{ {name}(id: $id) {{ quote {{ id status }} {errors} }} }}"""


def quote_action(name: str) -> str:
    return QUOTE_ACTION.format(name=name, errors=ERRORS)


def org_today(zone: str = "Europe/Madrid") -> date:
    return datetime.now(ZoneInfo(zone)).date()


def day(offset: int, zone: str = "Europe/Madrid") -> str:
    """An ISO date `offset` days from the organization's today."""
    return (org_today(zone) + timedelta(days=offset)).isoformat()


async def ok(org, document: str, variables: dict, field: str, node: str, **kwargs) -> dict:
    """Runs a mutation that must succeed; returns its node."""
    data = await org.data(document, variables, **kwargs)
    payload = data[field]
    assert payload["errors"] == [], payload["errors"]
    return payload[node]


async def log_time(org, project_id: str, hours: str, **kwargs) -> dict:
    """Hours logged yesterday on a project; returns the time log."""
    variables = {"input": {"projectId": project_id, "date": day(-1), "hours": hours}}
    return await ok(org, LOG_TIME, variables, "logTime", "timeLog", **kwargs)


async def errors_of(org, document: str, variables: dict, field: str, **kwargs) -> list[dict]:
    data = await org.data(document, variables, **kwargs)
    assert data[field]["errors"], data[field]
    return data[field]["errors"]


async def project(org, client_id: str, **input) -> dict:
    input = {"clientId": client_id, "name": "Web", **input}
    return await ok(org, CREATE_PROJECT, {"input": input}, "createProject", "project")


async def task(org, project_id: str, **input) -> dict:
    input = {"projectId": project_id, "title": "Do it", **input}
    return await ok(org, CREATE_TASK, {"input": input}, "createTask", "task")


async def invoice(org, client_id: str, *, lines=None, authorize=False, **input) -> dict:
    input = {
        "clientId": client_id,
        "kind": "SALE",
        "number": input.pop("number", None) or f"F-{next_number()}",
        "issueDate": day(-30),
        "lines": lines or [{"description": "Work", "quantity": "1", "unitPrice": "100"}],
        **input,
    }
    created = await ok(org, CREATE_INVOICE, {"input": input}, "createInvoice", "invoice")
    if authorize:
        await ok(org, AUTHORIZE_INVOICE, {"id": created["id"]}, "authorizeInvoice", "invoice")
    return created


async def pay(org, invoice_id: str, amount: str, on: str | None = None) -> dict:
    return await ok(
        org,
        RECORD_PAYMENT,
        {"id": invoice_id, "amount": amount, "date": on or day(0)},
        "recordPayment",
        "invoice",
    )


async def purchase_order(org, client_id: str, **input) -> dict:
    input = {
        "clientId": client_id,
        "number": f"PO-{next_number()}",
        "issueDate": day(-3),
        "total": "100",
        **input,
    }
    return await ok(
        org, CREATE_PURCHASE_ORDER, {"input": input}, "createPurchaseOrder", "purchaseOrder"
    )


async def deal(org, client_id: str, **input) -> dict:
    input = {"clientId": client_id, "title": "Deal", "value": "1000", **input}
    return await ok(org, CREATE_DEAL, {"input": input}, "createDeal", "deal")


async def quote(org, client_id: str, **input) -> dict:
    input = {
        "clientId": client_id,
        "number": f"Q-{next_number()}",
        "lines": [{"description": "Work", "quantity": "1", "unitPrice": "100"}],
        **input,
    }
    return await ok(org, CREATE_QUOTE, {"input": input}, "createQuote", "quote")


async def expired_quote(org, client_id: str, *, days_ago: int = 1, **input) -> dict:
    """A quote made while valid, whose validity then ended `days_ago` days ago (a quote
    cannot be created expired)."""
    made = await quote(org, client_id, validUntil=day(0), **input)
    await Quote.filter(id=pk_of(made["id"])).update(valid_until=day_of(-days_ago))
    return {**made, "validUntil": day(-days_ago), "status": "EXPIRED"}


def day_of(offset: int, zone: str = "Europe/Madrid") -> date:
    return org_today(zone) + timedelta(days=offset)


_numbers = iter(range(1, 10**9))


def next_number() -> int:
    return next(_numbers)


async def new_client(org, name: str = "Cliente", **input) -> str:
    """A new client's global ID."""
    return (await create_client(org, name=name, **input))["id"]


FIGURE = "count amounts { amount currency }"
SUMMARY = f"""
query($id: ID!) {{ client(id: $id) {{ summary {{
  projects {{ count byStatus {{ status count }} hoursLogged }}
  tasks {{ overdue pending upcoming }}
  purchaseOrders {{ count total {{ amount currency }} closedCount
                    byStatus {{ status {FIGURE} }} }}
  sales: invoices(kind: SALE) {{
    kind authorized {{ {FIGURE} }} pending {{ {FIGURE} }} overdue {{ {FIGURE} }}
    paid {{ {FIGURE} }} amountDue {{ amount currency }} byStatus {{ status {FIGURE} }}
  }}
  purchases: invoices(kind: PURCHASE) {{
    pending {{ {FIGURE} }} overdue {{ {FIGURE} }} amountDue {{ amount currency }}
  }}
  deals {{ open {{ {FIGURE} }} won {{ {FIGURE} }} lost {{ {FIGURE} }}
           byStage {{ stage {FIGURE} }} }}
  quotes {{ byStatus {{ status {FIGURE} }} }}
}} }} }}"""


def money(*pairs) -> list[dict]:
    return [{"amount": amount, "currency": currency} for amount, currency in pairs]


def figure(count: int, *pairs) -> dict:
    return {"count": count, "amounts": money(*pairs)}


def by_status(entries: list[dict], key: str = "status") -> dict:
    return {entry[key]: {k: v for k, v in entry.items() if k != key} for entry in entries}


async def build_profile(org, client_id: str) -> None:
    """The fixture every figure below is computed from by hand."""
    p1 = await project(org, client_id, name="P1", status="ACTIVE")
    await project(org, client_id, name="P2", status="ACTIVE")
    p3 = await project(org, client_id, name="P3", status="COMPLETED")
    for project_id, hours in ((p1["id"], "1.5"), (p1["id"], "2.25"), (p3["id"], "4")):
        await log_time(org, project_id, hours)

    for due in (-1, 0, 7, 8, None):
        await task(org, p1["id"], dueDate=None if due is None else day(due))
    for due in (-5, 1):
        done = await task(org, p1["id"], dueDate=day(due))
        await ok(
            org, SET_TASK_STATUS, {"id": done["id"], "status": "DONE"}, "setTaskStatus", "task"
        )

    await purchase_order(org, client_id, total="100")
    closed = await purchase_order(org, client_id, total="250.50")
    await ok(org, CLOSE_PURCHASE_ORDER, {"id": closed["id"]}, "closePurchaseOrder", "purchaseOrder")
    await purchase_order(org, client_id, total="40", currency="USD")
    canceled = await purchase_order(org, client_id, total="999")
    await ok(
        org, CANCEL_PURCHASE_ORDER, {"id": canceled["id"]}, "cancelPurchaseOrder", "purchaseOrder"
    )

    await invoice(org, client_id)  # DRAFT, 100 EUR
    await invoice(
        org,
        client_id,
        authorize=True,
        dueDate=day(0),
        lines=[{"description": "Due today", "quantity": "1", "unitPrice": "100", "taxRate": "21"}],
    )
    late = await invoice(
        org,
        client_id,
        authorize=True,
        dueDate=day(-1),
        lines=[{"description": "Due yesterday", "quantity": "2", "unitPrice": "100"}],
    )
    await pay(org, late["id"], "50")
    undated = await invoice(
        org,
        client_id,
        authorize=True,
        currency="USD",
        lines=[{"description": "No due date", "quantity": "1", "unitPrice": "50"}],
    )
    await pay(org, undated["id"], "20")
    paid = await invoice(
        org,
        client_id,
        authorize=True,
        dueDate=day(-10),
        lines=[{"description": "Paid", "quantity": "1", "unitPrice": "80"}],
    )
    await pay(org, paid["id"], "30")
    await pay(org, paid["id"], "50")
    canceled = await invoice(
        org, client_id, lines=[{"description": "Canceled", "quantity": "1", "unitPrice": "70"}]
    )
    await ok(org, CANCEL_INVOICE, {"id": canceled["id"]}, "cancelInvoice", "invoice")
    await invoice(
        org,
        client_id,
        kind="PURCHASE",
        authorize=True,
        dueDate=day(3),
        currency="GBP",
        lines=[{"description": "Supplies", "quantity": "1", "unitPrice": "10"}],
    )

    await deal(org, client_id, value="1000")
    await deal(org, client_id, value="500", currency="USD", stage="NEGOTIATION")
    await deal(org, client_id, value="250.25", stage="PROPOSAL")
    won = await deal(org, client_id, value="300")
    await ok(org, MOVE_DEAL, {"id": won["id"], "stage": "WON"}, "moveDeal", "deal")
    await deal(org, client_id, value="200", stage="LOST")

    await quote(org, client_id, validUntil=day(1))  # DRAFT
    await quote(
        org, client_id, lines=[{"description": "x", "quantity": "1", "unitPrice": "10"}]
    )  # DRAFT, never expires
    sent_today = await quote(org, client_id, validUntil=day(0))
    await ok(org, quote_action("sendQuote"), {"id": sent_today["id"]}, "sendQuote", "quote")
    expired_sent = await quote(org, client_id, validUntil=day(5))
    await ok(org, quote_action("sendQuote"), {"id": expired_sent["id"]}, "sendQuote", "quote")
    # Time passes: its validity ended yesterday.
    await Quote.filter(id=pk_of(expired_sent["id"])).update(valid_until=date.fromisoformat(day(-1)))
    await expired_quote(
        org,
        client_id,
        days_ago=3,
        currency="USD",
        lines=[{"description": "x", "quantity": "1", "unitPrice": "50"}],
    )  # DRAFT, expired
    for action in ("acceptQuote", "declineQuote"):
        answered = await quote(org, client_id, validUntil=day(2))
        await ok(org, quote_action("sendQuote"), {"id": answered["id"]}, "sendQuote", "quote")
        await ok(org, quote_action(action), {"id": answered["id"]}, action, "quote")
