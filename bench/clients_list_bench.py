"""The clients list through HTTP next to the bare SQL it runs, as a ratio measured in one run.

    python bench/clients_list_bench.py [--clients 10000] [--requests 200] [--db URL]

Builds an organization with N clients (half with a company, all with a category;
deterministic), then times `clients(first: 50)` with company and category through the ASGI
app, and the same statements (token lookup, page, count, companies, categories) sent
directly to the database. The ratio is the cost of HTTP, GraphQL and the ORM on top of SQL.
"""

import argparse
import asyncio
import random
import tempfile
from functools import partial
from pathlib import Path

import httpx
from timing import compare, comparison_arguments
from tortoise import Tortoise, connections

from gql_crm.app import create_app
from gql_crm.config import Settings
from gql_crm.db import migrate, tortoise_config
from gql_crm.models import ApiToken, Client, ClientCategory, Company, Role
from gql_crm.services import auth
from gql_crm.services.clients import (
    ClientFilter,
    ClientOrderField,
    client_sort_keys,
    clients_queryset,
)
from gql_crm.services.keys import client_keys

QUERY = """query($search: String) { clients(first: 50, search: $search,
    orderBy: [{field: NAME, direction: ASC}]) { totalCount edges { cursor node {
    id name email mobile country createdAt category { name }
    company { name taxId address { city } } } } } }"""

WORDS = ["García", "López", "Núñez", "Pérez", "Martín", "Gómez", "Ruiz", "Díaz", "Ibáñez"]


async def build(n: int) -> tuple[int, str]:
    org = await auth.create_organization("Bench")
    admin = await auth.get_or_create_user(org, "bench@example.com", Role.ADMIN)
    token = await auth.issue_token(admin)
    categories = [
        await ClientCategory.create(organization=org, name=f"Cat {i}", name_key=f"cat {i}")
        for i in range(8)
    ]
    rng = random.Random(7)
    companies = [
        Company(
            organization=org,
            name=f"Empresa {i}",
            name_key=f"empresa {i}",
            tax_id=f"B{i:08d}",
            city="Madrid",
        )
        for i in range(n // 2)
    ]
    await Company.bulk_create(companies, batch_size=1000)
    company_ids = [c.id for c in await Company.filter(organization=org).only("id")]
    rows = []
    for i in range(n):
        name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {i}"
        email = f"client{i}@example.com"
        rows.append(
            Client(
                organization=org,
                name=name,
                email=email,
                mobile=f"+3461{i:07d}",
                country="ES",
                category_id=rng.choice(categories).id,
                company_id=company_ids[i // 2] if i % 2 == 0 else None,
                **client_keys(name, email, f"+3461{i:07d}", active=True).columns(),
            )
        )
    await Client.bulk_create(rows, batch_size=1000)
    return org.id, token


def bare_statements(org_id: int, token: str, search: str | None) -> list[str]:
    filters = ClientFilter()
    queryset = clients_queryset(org_id, search, filters)
    order = [
        ("-" if k.descending else "") + k.field
        for k in client_sort_keys([(ClientOrderField.NAME, False)])
    ]
    return [
        ApiToken.filter(token_hash=auth.hash_token(token))
        .select_related("user", "organization")
        .limit(1)
        .sql(params_inline=True),
        queryset.order_by(*order).limit(51).sql(params_inline=True),
        queryset.count().sql(params_inline=True),
        Company.filter(organization_id=org_id, id__in=list(range(1, 26))).sql(params_inline=True),
        ClientCategory.filter(organization_id=org_id, id__in=list(range(1, 9))).sql(
            params_inline=True
        ),
    ]


async def main(args: argparse.Namespace) -> None:
    db_url = args.db or f"sqlite://{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    await migrate(db_url)
    await Tortoise.init(config=tortoise_config(db_url))
    try:
        org_id, token = await build(args.clients)
        app = create_app(Settings(database_url=db_url), init_orm=False)
        transport = httpx.ASGITransport(app=app)
        connection = connections.get("default")
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            headers = {"Authorization": f"Bearer {token}"}

            async def api_call(search: str | None) -> None:
                response = await client.post(
                    "/graphql",
                    headers=headers,
                    json={"query": QUERY, "variables": {"search": search}},
                )
                assert "errors" not in response.json()

            async def sql_call(statements: list[str]) -> None:
                for statement in statements:
                    await connection.execute_query(statement)

            for search in (None, "garcia"):
                statements = bare_statements(org_id, token, search)
                await compare(
                    f"search={search!r}",
                    args.requests,
                    partial(api_call, search),
                    partial(sql_call, statements),
                )
    finally:
        await Tortoise.close_connections()


if __name__ == "__main__":
    asyncio.run(main(comparison_arguments(__doc__)))
