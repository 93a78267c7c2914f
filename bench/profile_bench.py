"""A client's profile through HTTP next to the bare SQL it runs, as a ratio measured in one run.

    python bench/profile_bench.py [--clients 10000] [--requests 200] [--db URL]

Builds an organization with N clients, each with projects, tasks, time logs, invoices of both
kinds (every state, two currencies), purchase orders, deals and quotes (deterministic seed),
then times two requests through the ASGI app:

- the profile: `client(id)` with every summary card (the SPA's first query);
- every tab's first page with its totalCount, in one request;
- the clients list: `clients(first: 50)` with company, category and the summary.

Each request's SQL statements are recorded once and replayed directly on the database
connection: that is the floor (the aggregates themselves). The ratio is the cost of HTTP,
GraphQL, DataLoaders and the ORM on top of it. Each request is also timed with the planned
path off (GQL_CRM_FAST_PATH=false), all through Strawberry's executor: the ratio of the two
is what the planned path gains where it covers the request.
"""

import argparse
import asyncio
import base64
import logging
import random
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path

import httpx
from timing import compare, timed
from tortoise import Tortoise, connections

from gql_crm.app import create_app
from gql_crm.config import Settings
from gql_crm.db import migrate, tortoise_config
from gql_crm.models import (
    Client,
    Company,
    Deal,
    DealStage,
    Invoice,
    InvoiceKind,
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
PROFILE = f"query($id: ID!) {{ client(id: $id) {{ id name {SUMMARY} }} }}"
TABS = """query($id: ID!) { client(id: $id) {
  projects(first: 20) { totalCount edges { cursor node { id name status deadline
    budget { amount currency } createdAt } } pageInfo { hasNextPage endCursor } }
  tasks(first: 20, due: PENDING) { totalCount edges { node { id title status dueDate
    isOverdue project { name } assignee { email } } } pageInfo { hasNextPage endCursor } }
  invoices(first: 20, kind: SALE, status: [PENDING, OVERDUE]) {
    totalCount edges { node { id number status issueDate dueDate total { amount currency }
    amountDue { amount currency } lines { description quantity unitPrice { amount } taxRate
    total { amount } } payments { amount { amount } date } } } }
  purchaseOrders(first: 20) { totalCount edges { node { id number status
    total { amount currency } issueDate } } }
  deals(first: 20) { totalCount edges { node { id title stage value { amount currency }
    expectedCloseDate quotes { totalCount } } } }
  quotes(first: 20) { totalCount edges { node { id number status validUntil
    total { amount currency } deal { title } } } }
  files(first: 20) { totalCount edges { node { id name size contentType } } }
  activity(first: 20) { totalCount edges { node { verb targetType createdAt
    actor { email } } } }
} }"""
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
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        # A live PostgreSQL has statistics (autovacuum); a freshly bulk-loaded one does not,
        # and would plan as if the organization had two clients.
        await connection.execute_script("ANALYZE")
    return token, client_ids[len(client_ids) // 2]


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
        planned = create_app(Settings(database_url=db_url), init_orm=False)
        executor = create_app(Settings(database_url=db_url, fast_path=False), init_orm=False)
        connection = connections.get("default")
        client_id = base64.b64encode(f"Client:{client_pk}".encode()).decode()
        async with (
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=planned), base_url="http://b"
            ) as http,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=executor), base_url="http://b"
            ) as executor_http,
        ):
            headers = {"Authorization": f"Bearer {token}"}

            async def api_call(query: str, variables: dict, through=http) -> None:
                response = await through.post(
                    "/graphql", headers=headers, json={"query": query, "variables": variables}
                )
                assert "errors" not in response.json(), response.text

            async def sql_call(statements: list) -> None:
                for statement, values in statements:
                    await connection.execute_query(statement, values)

            for label, query, variables in (
                ("profile", PROFILE, {"id": client_id}),
                ("every tab", TABS, {"id": client_id}),
                ("list of 50", LIST, {}),
            ):
                call = partial(api_call, query, variables)
                statements = await recorded(call)
                print(f"{label}: {len(statements)} SQL statements")
                api = await compare(label, args.requests, call, partial(sql_call, statements))
                executed = await timed(
                    f"executor {label}",
                    args.requests,
                    partial(api_call, query, variables, through=executor_http),
                )
                print(f"ratio executor / API ({label}): {executed / api:.2f}\n")
    finally:
        await Tortoise.close_connections()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    asyncio.run(main(parser.parse_args()))
