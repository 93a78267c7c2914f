"""A client's profile through HTTP, on the planned path and on the executor, next to the
bare SQL it runs: ratios measured in one run.

    python bench/profile_bench.py [--clients 10000] [--requests 200] [--db URL]

Builds an organization with N clients, each with projects, tasks, time logs, invoices of both
kinds (every state, two currencies), purchase orders, deals and quotes (deterministic seed),
and one busy client with more than a page of each (lines, payments, files, activity too),
then times through the ASGI app:

- the profile: the busy client's summary (every card) and the first 20 of each of its 8
  tabs, in one request (issue 9's "profile query");
- the summary alone (the SPA's first query);
- the clients list: `clients(first: 50)` with company, category and the summary.

Each request runs on an app with the planned path and on one without it
(GQL_CRM_FAST_PATH=false); the planned request's SQL statements are recorded once and
replayed directly on the database connection: that is the floor.
"""

import argparse
import asyncio
import base64
import logging
import random
import tempfile
import time
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path

import httpx
from timing import comparison_arguments, timed
from tortoise import Tortoise, connections

from gql_crm.app import create_app
from gql_crm.config import Settings
from gql_crm.db import migrate, tortoise_config
from gql_crm.models import (
    Activity,
    Client,
    Company,
    Deal,
    DealStage,
    File,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoicePayment,
    InvoiceStatus,
    Project,
    ProjectStatus,
    PurchaseOrder,
    PurchaseOrderStatus,
    Quote,
    QuoteStatus,
    Role,
    Task,
    TaskStatus,
    TimeLog,
)
from gql_crm.services import auth
from gql_crm.services.activity import TargetType, Verb
from gql_crm.services.keys import client_keys, company_name_key

FIGURE = "count amounts { amount currency }"
SUMMARY = f"""summary {{
  projects {{ count byStatus {{ status count }} hoursLogged }}
  tasks {{ overdue pending upcoming }}
  purchaseOrders {{ count total {{ amount currency }} closedCount }}
  sales: invoices(kind: SALE) {{ authorized {{ {FIGURE} }} pending {{ {FIGURE} }}
    overdue {{ {FIGURE} }} paid {{ {FIGURE} }} amountDue {{ amount currency }}
    byStatus {{ status {FIGURE} }} }}
  purchases: invoices(kind: PURCHASE) {{ pending {{ {FIGURE} }} overdue {{ {FIGURE} }}
    amountDue {{ amount currency }} }}
  deals {{ open {{ {FIGURE} }} won {{ {FIGURE} }} lost {{ {FIGURE} }} }}
  quotes {{ byStatus {{ status {FIGURE} }} }}
}}"""
SUMMARY_ONLY = f"query($id: ID!) {{ client(id: $id) {{ id name {SUMMARY} }} }}"
TABS = """
  projects(first: 20) { totalCount edges { node { id name status deadline
    budget { amount currency } } } pageInfo { hasNextPage endCursor } }
  tasks(first: 20) { totalCount edges { node { id title status dueDate isOverdue
    project { name } } } pageInfo { hasNextPage endCursor } }
  invoices(first: 20) { totalCount edges { node { id number status issueDate dueDate
    total { amount currency } amountDue { amount currency } lines { description quantity
    unitPrice { amount } taxRate total { amount } } payments { amount { amount } date } } }
    pageInfo { hasNextPage endCursor } }
  purchaseOrders(first: 20) { totalCount edges { node { id number status
    total { amount currency } issueDate } } pageInfo { hasNextPage endCursor } }
  deals(first: 20) { totalCount edges { node { id title stage value { amount currency }
    expectedCloseDate quotes { totalCount } } } pageInfo { hasNextPage endCursor } }
  quotes(first: 20) { totalCount edges { node { id number status validUntil
    total { amount currency } deal { title } } } pageInfo { hasNextPage endCursor } }
  files(first: 20) { totalCount edges { node { id name size contentType } }
    pageInfo { hasNextPage endCursor } }
  activity(first: 20) { totalCount edges { node { verb targetType createdAt
    actor { email } } } pageInfo { hasNextPage endCursor } }
"""
PROFILE = f"""query($id: ID!) {{ client(id: $id) {{ id name email company {{ name }}
  {SUMMARY} {TABS} }} }}"""
LIST = f"""{{ clients(first: 50) {{ edges {{ node {{ id name category {{ name }}
  company {{ name }} {SUMMARY} }} }} }} }}"""


def money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randrange(low * 100, high * 100)) / 100


async def build(n: int) -> tuple[str, int]:
    org = await auth.create_organization("Bench profile")
    admin = await auth.get_or_create_user(org, "bench@example.com", Role.ADMIN)
    token = await auth.issue_token(admin)
    rng = random.Random(11)
    today = date.today()
    companies = [
        Company(organization=org, name=f"Empresa {i}", name_key=company_name_key(f"Empresa {i}"))
        for i in range(n // 2)
    ]
    await Company.bulk_create(companies, batch_size=1000)
    company_ids = [c.id for c in await Company.filter(organization=org).only("id")]
    await Client.bulk_create(
        [
            Client(
                organization=org,
                name=f"Cliente {i}",
                company_id=company_ids[i // 2] if i % 2 == 0 else None,
                **client_keys(f"Cliente {i}", None, None, active=True).columns(),
            )
            for i in range(n)
        ],
        batch_size=1000,
    )
    client_ids = [c.id for c in await Client.filter(organization=org).order_by("id").only("id")]

    def day(offset: int) -> date:
        return today + timedelta(days=offset)

    projects = [
        Project(
            organization=org,
            client_id=cid,
            name=f"Proyecto {j}",
            status=rng.choice(list(ProjectStatus)),
        )
        for cid in client_ids
        for j in range(2)
    ]
    await Project.bulk_create(projects, batch_size=1000)
    project_rows = await Project.filter(organization=org).order_by("id").values("id", "client_id")
    tasks, logs = [], []
    for project in project_rows:
        for k in range(3):
            tasks.append(
                Task(
                    organization=org,
                    project_id=project["id"],
                    client_id=project["client_id"],
                    title=f"Tarea {k}",
                    status=rng.choice(list(TaskStatus)),
                    due_date=rng.choice([None, day(rng.randrange(-20, 20))]),
                )
            )
        for _ in range(3):
            logs.append(
                TimeLog(
                    organization=org,
                    project_id=project["id"],
                    client_id=project["client_id"],
                    date=day(-rng.randrange(60)),
                    hours=Decimal(rng.choice(["0.5", "1", "2.25", "4"])),
                )
            )
    await Task.bulk_create(tasks, batch_size=1000)
    await TimeLog.bulk_create(logs, batch_size=1000)

    invoices, orders, deals, quotes = [], [], [], []
    for i, cid in enumerate(client_ids):
        for j in range(6):
            kind = InvoiceKind.SALE if j < 4 else InvoiceKind.PURCHASE
            status = rng.choice(list(InvoiceStatus))
            total = money(rng, 50, 5000)
            paid = (
                total
                if status == InvoiceStatus.PAID
                else (
                    (total / 2).quantize(Decimal("0.01"))
                    if rng.random() < 0.3 and status == InvoiceStatus.AUTHORIZED
                    else Decimal("0")
                )
            )
            invoices.append(
                Invoice(
                    organization=org,
                    client_id=cid,
                    kind=kind,
                    number=f"{i}-{j}",
                    status=status,
                    issue_date=day(-60),
                    due_date=day(rng.randrange(-30, 30)),
                    currency=rng.choice(["EUR", "EUR", "USD"]),
                    subtotal=total,
                    total=total,
                    amount_paid=paid,
                )
            )
        for j in range(2):
            orders.append(
                PurchaseOrder(
                    organization=org,
                    client_id=cid,
                    number=f"{i}-{j}",
                    status=rng.choice(list(PurchaseOrderStatus)),
                    issue_date=day(-10),
                    total=money(rng, 10, 900),
                )
            )
        for j in range(3):
            deals.append(
                Deal(
                    organization=org,
                    client_id=cid,
                    title=f"Trato {j}",
                    value=money(rng, 100, 20000),
                    stage=rng.choice(list(DealStage)),
                    currency=rng.choice(["EUR", "USD"]),
                )
            )
            quotes.append(
                Quote(
                    organization=org,
                    client_id=cid,
                    number=f"{i}-{j}",
                    status=rng.choice(list(QuoteStatus)),
                    valid_until=day(rng.randrange(-15, 30)),
                    total=money(rng, 100, 9000),
                )
            )
    for model, rows in (
        (Invoice, invoices),
        (PurchaseOrder, orders),
        (Deal, deals),
        (Quote, quotes),
    ):
        await model.bulk_create(rows, batch_size=1000)
    busy = client_ids[len(client_ids) // 2]
    await make_busy(org.id, admin.id, busy, rng, today)
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        # A live PostgreSQL has statistics (autovacuum); a freshly bulk-loaded one does not,
        # and would plan as if the organization had two clients.
        await connection.execute_script("ANALYZE")
    return token, busy


BUSY = 25  # rows of each tab: more than its first page of 20


async def make_busy(org_id: int, user_id: int, cid: int, rng: random.Random, today: date) -> None:
    """More than a page of every tab for one client: invoices with lines and payments,
    deals with quotes, files and activity."""
    rows: dict = {"organization_id": org_id, "client_id": cid}
    await Project.bulk_create(
        [Project(**rows, name=f"Busy {i}", status=ProjectStatus.ACTIVE) for i in range(BUSY)]
    )
    project_id = (await Project.filter(client_id=cid).first().values("id"))["id"]
    await Task.bulk_create(
        [
            Task(
                **rows,
                project_id=project_id,
                title=f"Busy {i}",
                status=TaskStatus.TODO,
                due_date=today + timedelta(days=i - 10),
            )
            for i in range(BUSY)
        ]
    )
    await Invoice.bulk_create(
        [
            Invoice(
                **rows,
                kind=InvoiceKind.SALE,
                number=f"B-{i}",
                status=InvoiceStatus.AUTHORIZED,
                issue_date=today - timedelta(days=40),
                due_date=today + timedelta(days=i - 10),
                subtotal=Decimal("121.00"),
                total=Decimal("121.00"),
                amount_paid=Decimal("21.00"),
            )
            for i in range(BUSY)
        ]
    )
    invoice_ids = [i["id"] for i in await Invoice.filter(number__startswith="B-").values("id")]
    await InvoiceLine.bulk_create(
        [
            InvoiceLine(
                organization_id=org_id,
                invoice_id=invoice_id,
                position=n,
                description=f"Line {n}",
                quantity=Decimal("1"),
                unit_price=Decimal("50"),
                tax_rate=Decimal("21"),
                subtotal=Decimal("50.00"),
                tax=Decimal("10.50"),
                total=Decimal("60.50"),
            )
            for invoice_id in invoice_ids
            for n in range(2)
        ]
    )
    await InvoicePayment.bulk_create(
        [
            InvoicePayment(
                organization_id=org_id,
                invoice_id=invoice_id,
                amount=Decimal("21.00"),
                date=today - timedelta(days=5),
            )
            for invoice_id in invoice_ids
        ]
    )
    await PurchaseOrder.bulk_create(
        [
            PurchaseOrder(
                **rows,
                number=f"B-{i}",
                status=PurchaseOrderStatus.OPEN,
                issue_date=today - timedelta(days=i),
                total=money(rng, 10, 900),
            )
            for i in range(BUSY)
        ]
    )
    await Deal.bulk_create(
        [
            Deal(
                **rows,
                title=f"Busy {i}",
                value=money(rng, 100, 20000),
                stage=DealStage.PROPOSAL,
                currency="EUR",
            )
            for i in range(BUSY)
        ]
    )
    deal_id = (await Deal.filter(client_id=cid).first().values("id"))["id"]
    await Quote.bulk_create(
        [
            Quote(
                **rows,
                deal_id=deal_id,
                number=f"B-{i}",
                status=QuoteStatus.SENT,
                valid_until=today + timedelta(days=i - 5),
                total=money(rng, 100, 9000),
            )
            for i in range(BUSY)
        ]
    )
    await File.bulk_create(
        [
            File(
                **rows,
                name=f"busy-{i}.pdf",
                size=1000 + i,
                content_type="application/pdf",
                sha256="0" * 64,
                storage_key="0" * 64,
                uploaded_by_id=user_id,
            )
            for i in range(BUSY)
        ]
    )
    await Activity.bulk_create(
        [
            Activity(
                **rows,
                actor_id=user_id,
                verb=Verb.UPDATED,
                target_type=TargetType.CLIENT,
                target_id=cid,
                changes={"name": {"old": f"Busy {i}", "new": "Busy"}},
            )
            for i in range(BUSY)
        ]
    )


class Recorder(logging.Handler):
    """The statements (with their parameters) Tortoise sends, to replay them bare."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.statements: list[tuple[str, list]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.args, tuple) and len(record.args) == 2:
            query, values = record.args
            if str(query).lstrip().upper().startswith("SELECT"):
                self.statements.append((query, list(values or [])))


async def recorded(call) -> list[tuple[str, list]]:
    logger = logging.getLogger("tortoise.db_client")
    recorder = Recorder()
    logger.setLevel(logging.DEBUG)
    logger.addHandler(recorder)
    try:
        await call()
    finally:
        logger.removeHandler(recorder)
        logger.setLevel(logging.WARNING)
    return recorder.statements


async def main(args: argparse.Namespace) -> None:
    db_url = args.db or f"sqlite://{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    await migrate(db_url)
    await Tortoise.init(config=tortoise_config(db_url))
    try:
        start = time.perf_counter()
        token, client_pk = await build(args.clients)
        print(f"built {args.clients} clients in {time.perf_counter() - start:.1f} s")
        settings = Settings(database_url=db_url)
        apps = {
            "planned": create_app(settings, init_orm=False),
            "executor": create_app(replace(settings, fast_path=False), init_orm=False),
        }
        connection = connections.get("default")
        client_id = base64.b64encode(f"Client:{client_pk}".encode()).decode()
        headers = {"Authorization": f"Bearer {token}"}
        clients = {
            path: httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b")
            for path, app in apps.items()
        }

        async def api_call(http: httpx.AsyncClient, query: str, variables: dict) -> None:
            response = await http.post(
                "/graphql", headers=headers, json={"query": query, "variables": variables}
            )
            assert "errors" not in response.json(), response.text

        async def sql_call(statements: list) -> None:
            for statement, values in statements:
                await connection.execute_query(statement, values)

        try:
            for label, query, variables in (
                ("profile: summary + 8 tabs of 20", PROFILE, {"id": client_id}),
                ("summary", SUMMARY_ONLY, {"id": client_id}),
                ("list of 50 with summary", LIST, {}),
            ):
                calls = {
                    path: partial(api_call, http, query, variables)
                    for path, http in clients.items()
                }
                statements = await recorded(calls["planned"])
                print(f"{label}: {len(statements)} SQL statements on the planned path")
                medians = {
                    path: await timed(f"{path} {label}", args.requests, call)
                    for path, call in calls.items()
                }
                bare = await timed(
                    f"bare SQL {label}", args.requests, partial(sql_call, statements)
                )
                print(
                    f"ratio executor / planned ({label}): "
                    f"{medians['executor'] / medians['planned']:.2f}; "
                    f"planned / bare SQL: {medians['planned'] / bare:.2f}\n"
                )
        finally:
            for http in clients.values():
                await http.aclose()
    finally:
        await Tortoise.close_connections()


if __name__ == "__main__":
    asyncio.run(main(comparison_arguments(__doc__)))
