"""The duplicates list at scale: one page and the total of `clientDuplicates`, timed bare.

    python bench/duplicates_bench.py [--clients 20000] [--requests 10]
        [--db postgres://postgres@127.0.0.1:5432/postgres]

Creates a database of its own (a temporary SQLite file, or `bench_duplicates_<pid>` beside
the PostgreSQL one named), migrates it and loads N clients: every client has an email and a
mobile, one in ten a company (2,000 companies with tax IDs, a third of them written as EU VAT
numbers); about 1% share an email with an archived client, 1% a mobile, and names repeat
within companies. Then times the page statement (first 20, and a page deep in the list) and
the count statement, as the service sends them. The database is dropped after.
"""

import argparse
import asyncio
import os
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from timing import timed
from tortoise import connections
from tortoise.context import TortoiseContext
from tortoise.migrations.executor import MigrationExecutor

from gql_crm.db import tortoise_config
from gql_crm.models import Client, ClientStatus, Company, Organization
from gql_crm.services import duplicates
from gql_crm.services.keys import client_keys, company_name_key


def _nif(number: int) -> str:
    """A valid Spanish company NIF (letter, 7 digits, control digit)."""
    digits = f"{number % 10_000_000:07d}"
    odd = sum(int(d) for d in digits[1::2])
    even = sum(sum(divmod(2 * int(d), 10)) for d in digits[::2])
    return f"B{digits}{(10 - (odd + even) % 10) % 10}"


async def load(n: int) -> int:
    organization = await Organization.create(name="Bench", slug=f"bench-{uuid.uuid4().hex[:8]}")
    org_id = organization.id
    companies = [
        Company(
            organization_id=org_id,
            name=f"Company {i}",
            name_key=company_name_key(f"Company {i}"),
            tax_id=("ES" if i % 3 == 0 else "") + _nif(i),
        )
        for i in range(max(n // 10, 1))
    ]
    await Company.bulk_create(companies, batch_size=1000)
    company_ids = await Company.filter(organization_id=org_id).values_list("id", flat=True)
    clients = []
    for i in range(n):
        repeated = i % 100 == 0 and i > 0
        name = f"Client {i % (n // 2 or 1)}"
        email = f"c{i - 1 if repeated else i}@example.com"
        mobile = f"+3461{(i - 1 if i % 100 == 50 else i):07d}"
        clients.append(
            Client(
                organization_id=org_id,
                name=name,
                email=email,
                status=ClientStatus.ACTIVE if not repeated else ClientStatus.ARCHIVED,
                mobile=mobile,
                company_id=company_ids[i % len(company_ids)] if i % 10 == 0 else None,
                **client_keys(name, email, mobile, active=not repeated).columns(),
            )
        )
    await Client.bulk_create(clients, batch_size=1000)
    return org_id


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--db")
    args = parser.parse_args()
    if args.db:
        parts = urlsplit(args.db)
        url = urlunsplit(parts._replace(path=f"/bench_duplicates_{os.getpid()}"))
    else:
        url = f"sqlite://{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    config = tortoise_config(url)
    async with TortoiseContext() as context:
        await context.init(config=config, _create_db=True)
        connection = connections.get("default")
        try:
            await MigrationExecutor(connection, config["apps"]).migrate()
            org_id = await load(args.clients)
            if connection.capabilities.dialect == "postgres":
                await connection.execute_script("ANALYZE")
            first = await duplicates.duplicate_pairs(
                org_id, first=20, after=None, max_page_size=100
            )
            deep = await duplicates.duplicate_pairs(
                org_id, first=100, after=first.cursors[-1], max_page_size=100
            )
            total = await first.count()
            print(f"{args.clients} clients, {total} pairs ({connection.capabilities.dialect})")
            await timed(
                "first page (20)",
                args.requests,
                lambda: duplicates.duplicate_pairs(org_id, first=20, after=None, max_page_size=100),
            )
            await timed(
                "a page deeper (20)",
                args.requests,
                lambda: duplicates.duplicate_pairs(
                    org_id, first=20, after=deep.cursors[-1], max_page_size=100
                ),
            )
            await timed("totalCount", args.requests, first.count)
        finally:
            if connection.capabilities.dialect == "postgres":
                await connection.close()
                await connection.db_delete()


if __name__ == "__main__":
    asyncio.run(main())
