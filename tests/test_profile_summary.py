"""The profile's summary through HTTP: every figure against hand-built fixtures, with the
date edges (yesterday, today, today + 7, today + 8 in the organization's time zone) and
several currencies, and the statement count of a list that shows it."""

import dataclasses
import random
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from gql_crm.models import Invoice, InvoiceKind, InvoiceStatus, Organization, Role
from tests.helpers import CREATE_CATEGORY, pk_of
from tests.profile_helpers import (
    FIGURE,
    SUMMARY,
    build_profile,
    by_status,
    day,
    deal,
    figure,
    invoice,
    money,
    new_client,
    org_today,
    project,
    purchase_order,
    quote,
    task,
)


async def test_every_summary_figure(org):
    client_id = await new_client(org, name="Perfil")
    other_id = await new_client(org, name="Otro")
    await build_profile(org, client_id)
    # Another client's records never leak into the first one's figures.
    other_project = await project(org, other_id)
    await task(org, other_project["id"], dueDate=day(-3))
    await invoice(org, other_id, authorize=True, dueDate=day(-3))

    # Reading the profile needs no more than VIEWER.
    summary = (await org.data(SUMMARY, {"id": client_id}, role=Role.VIEWER))["client"]["summary"]

    assert summary["projects"] == {
        "count": 3,
        "hoursLogged": "7.75",
        "byStatus": [
            {"status": "PLANNED", "count": 0},
            {"status": "ACTIVE", "count": 2},
            {"status": "ON_HOLD", "count": 0},
            {"status": "COMPLETED", "count": 1},
            {"status": "CANCELED", "count": 0},
        ],
    }
    # Overdue: due yesterday. Pending: today, +7, +8, undated. Upcoming: today and +7.
    assert summary["tasks"] == {"overdue": 1, "pending": 4, "upcoming": 2}

    orders = summary["purchaseOrders"]
    assert orders["count"] == 3 and orders["closedCount"] == 1
    assert orders["total"] == money(("350.50", "EUR"), ("40.00", "USD"))
    assert by_status(orders["byStatus"]) == {
        "OPEN": figure(2, ("100.00", "EUR"), ("40.00", "USD")),
        "CLOSED": figure(1, ("250.50", "EUR")),
        "CANCELED": figure(1, ("999.00", "EUR")),
    }

    sales = summary["sales"]
    assert sales["kind"] == "SALE"
    assert sales["authorized"] == figure(4, ("401.00", "EUR"), ("50.00", "USD"))
    # Due today is not overdue yet; undated never is.
    assert sales["pending"] == figure(2, ("121.00", "EUR"), ("50.00", "USD"))
    assert sales["overdue"] == figure(1, ("200.00", "EUR"))
    assert sales["paid"] == figure(1, ("80.00", "EUR"))
    assert sales["amountDue"] == money(("271.00", "EUR"), ("30.00", "USD"))
    assert by_status(sales["byStatus"]) == {
        "DRAFT": figure(1, ("100.00", "EUR")),
        "PENDING": figure(2, ("121.00", "EUR"), ("50.00", "USD")),
        "OVERDUE": figure(1, ("200.00", "EUR")),
        "PAID": figure(1, ("80.00", "EUR")),
        "CANCELED": figure(1, ("70.00", "EUR")),
    }
    assert summary["purchases"] == {
        "pending": figure(1, ("10.00", "GBP")),
        "overdue": figure(0),
        "amountDue": money(("10.00", "GBP")),
    }

    deals = summary["deals"]
    assert deals["open"] == figure(3, ("1250.25", "EUR"), ("500.00", "USD"))
    assert deals["won"] == figure(1, ("300.00", "EUR"))
    assert deals["lost"] == figure(1, ("200.00", "EUR"))
    assert by_status(deals["byStage"], "stage")["QUALIFIED"] == figure(0)

    assert by_status(summary["quotes"]["byStatus"]) == {
        "DRAFT": figure(2, ("110.00", "EUR")),
        "SENT": figure(1, ("100.00", "EUR")),
        "ACCEPTED": figure(1, ("100.00", "EUR")),
        "DECLINED": figure(1, ("100.00", "EUR")),
        "EXPIRED": figure(2, ("100.00", "EUR"), ("50.00", "USD")),
    }

    other = (await org.data(SUMMARY, {"id": other_id}))["client"]["summary"]
    assert other["tasks"] == {"overdue": 1, "pending": 0, "upcoming": 0}
    assert other["sales"]["overdue"] == figure(1, ("100.00", "EUR"))
    assert other["projects"]["hoursLogged"] == "0.00"


async def test_empty_summary(org):
    client_id = await new_client(org)
    summary = (await org.data(SUMMARY, {"id": client_id}))["client"]["summary"]
    assert summary["tasks"] == {"overdue": 0, "pending": 0, "upcoming": 0}
    assert summary["sales"]["authorized"] == figure(0)
    assert summary["sales"]["amountDue"] == []
    assert summary["purchaseOrders"]["total"] == []
    assert all(entry["count"] == 0 for entry in summary["quotes"]["byStatus"])


async def test_today_is_the_organizations(make_org):
    """Kiritimati (UTC+14) and Pago Pago (UTC-11) never share a date: a task due on Pago
    Pago's today is already overdue in Kiritimati, and not in Pago Pago."""
    for zone, expected in (("Pacific/Kiritimati", 1), ("Pacific/Pago_Pago", 0)):
        org = await make_org()
        await Organization.filter(id=org.id).update(timezone=zone)
        client_id = await new_client(org)
        p = await project(org, client_id)
        await task(org, p["id"], dueDate=day(0, "Pacific/Pago_Pago"))
        await invoice(org, client_id, authorize=True, dueDate=day(0, "Pacific/Pago_Pago"))
        summary = (await org.data(SUMMARY, {"id": client_id}))["client"]["summary"]
        assert summary["tasks"]["overdue"] == expected, zone
        assert summary["sales"]["overdue"]["count"] == expected, zone
        assert summary["sales"]["pending"]["count"] == 1 - expected, zone
    kiritimati = datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    assert kiritimati - datetime.now(ZoneInfo("Pacific/Pago_Pago")).date() >= timedelta(days=1)


LIST_WITH_SUMMARY = f"""
query($n: Int) {{ clients(first: $n) {{ edges {{ node {{
  name category {{ name }} company {{ name }}
  summary {{
    projects {{ count hoursLogged }} tasks {{ overdue pending upcoming }}
    purchaseOrders {{ count total {{ amount currency }} }}
    sales: invoices(kind: SALE) {{ overdue {{ {FIGURE} }} byStatus {{ status count }} }}
    purchases: invoices(kind: PURCHASE) {{ amountDue {{ amount currency }} }}
    deals {{ open {{ {FIGURE} }} }} quotes {{ byStatus {{ status count }} }}
  }}
}} }} }} }}"""

LIST_WITH_TABS = """
query($n: Int) { clients(first: $n) { edges { node {
  invoices(first: 3) { totalCount edges { node { number lines { total { amount } } } } }
  tasks(first: 3, due: OVERDUE) { totalCount edges { node { title } } }
  activity(first: 2) { totalCount edges { node { verb actor { email } } } }
} } } }"""


async def test_statements_do_not_grow_with_the_page(org, executor_http, sql_statements):
    created = await org.data(CREATE_CATEGORY, {"name": "VIP"})
    category_id = created["createClientCategory"]["clientCategory"]["id"]
    for i in range(50):
        await new_client(
            org,
            name=f"Cliente {i:02}",
            categoryId=category_id,
            company={"name": f"Empresa {i % 7}"} if i % 2 else None,
        )
    listed = await org.data("{ clients(first: 50) { edges { node { id } } } }")
    for edge in listed["clients"]["edges"][:8]:
        p = await project(org, edge["node"]["id"])
        await task(org, p["id"], dueDate=day(-1))
        await invoice(org, edge["node"]["id"], authorize=True, dueDate=day(-2))
        await purchase_order(org, edge["node"]["id"])
        await deal(org, edge["node"]["id"])
        await quote(org, edge["node"]["id"])

    counts = {}
    executor = dataclasses.replace(org, http=executor_http)
    for path, caller in (("planned", org), ("executor", executor)):
        for document in (LIST_WITH_SUMMARY, LIST_WITH_TABS):
            for n in (5, 50):
                sql_statements.clear()
                data = await caller.data(document, {"n": n})
                assert len(data["clients"]["edges"]) == n
                counts[path, document, n] = len(sql_statements)
    # The planned path writes the page and its summaries in one statement; the executor
    # runs the page, companies, categories and one aggregate per card (the token is cached).
    assert counts["planned", LIST_WITH_SUMMARY, 5] == counts["planned", LIST_WITH_SUMMARY, 50] == 1
    assert counts["executor", LIST_WITH_SUMMARY, 5] == 11
    assert counts["executor", LIST_WITH_SUMMARY, 50] == 11
    for path in ("planned", "executor"):
        assert counts[path, LIST_WITH_TABS, 5] == counts[path, LIST_WITH_TABS, 50]
    print(
        "statements:",
        {
            (path, (doc == LIST_WITH_TABS and "tabs") or "summary", n): count
            for (path, doc, n), count in counts.items()
        },
    )


async def test_invoice_figures_match_a_python_model(org):
    """Random invoices (kinds, stored states, due dates around today, currencies, partial
    payments) written straight to the table; the summary must agree with plain Python."""
    rng = random.Random(5)
    today = org_today()
    client_ids = [await new_client(org, name=f"R{i}") for i in range(3)]
    rows = []
    for n in range(120):
        status = rng.choice(list(InvoiceStatus))
        total = Decimal(rng.randrange(1, 100_000)) / 100
        paid = (
            total
            if status == InvoiceStatus.PAID
            else (
                (total / 3).quantize(Decimal("0.01"))
                if status == InvoiceStatus.AUTHORIZED and rng.random() < 0.5
                else Decimal("0")
            )
        )
        rows.append(
            Invoice(
                organization_id=org.id,
                client_id=pk_of(rng.choice(client_ids)),
                kind=rng.choice(list(InvoiceKind)),
                number=f"R-{n}",
                status=status,
                issue_date=today - timedelta(days=40),
                due_date=rng.choice([None, today + timedelta(days=rng.randrange(-3, 4))]),
                currency=rng.choice(["EUR", "USD", "MXN"]),
                total=total,
                amount_paid=paid,
            )
        )
    await Invoice.bulk_create(rows)

    def state(row: Invoice) -> str:
        if row.status == InvoiceStatus.AUTHORIZED:
            late = row.due_date is not None and row.due_date < today
            return "OVERDUE" if late else "PENDING"
        return row.status.value

    for client_id in client_ids:
        summary = (await org.data(SUMMARY, {"id": client_id}))["client"]["summary"]
        mine = [r for r in rows if r.client_id == pk_of(client_id) and r.kind == "SALE"]
        expected = {}
        for row in mine:
            count, amounts = expected.setdefault(state(row), (0, {}))
            amounts[row.currency] = amounts.get(row.currency, Decimal("0")) + row.total
            expected[state(row)] = (count + 1, amounts)
        for entry in summary["sales"]["byStatus"]:
            count, amounts = expected.get(entry["status"], (0, {}))
            assert entry["count"] == count, entry
            assert entry["amounts"] == money(*[(f"{amounts[c]:.2f}", c) for c in sorted(amounts)])
        due = {}
        for row in mine:
            if row.status == InvoiceStatus.AUTHORIZED and row.total != row.amount_paid:
                left = row.total - row.amount_paid
                due[row.currency] = due.get(row.currency, Decimal("0")) + left
        assert summary["sales"]["amountDue"] == money(*[(f"{due[c]:.2f}", c) for c in sorted(due)])
