"""The clients list's search at scale: p50 through HTTP next to the bare statements.

    python bench/search_bench.py [--clients 1000000] [--requests 100]
        [--db postgres://postgres@127.0.0.1:5432/postgres | --sqlite] [--explain]

Creates a database of its own (`bench_search_<pid>` beside the one named; with --sqlite a
temporary file), migrates it, loads N clients (a company for every other one) with COPY
(PostgreSQL) or executemany (SQLite) so the indexes are filled as the app's writers fill
them, then times `clients(search: S, first: 50)` through the ASGI app, with and without
totalCount, and the page and count statements sent bare, for several kinds of words: common,
rare, unique, several at once, 1-2 letters, none matching; on PostgreSQL the bare statements
again once the trigram index is dropped, as they ran before it. The database is dropped after.
"""

import argparse
import asyncio
import os
import random
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
from timing import timed
from tortoise import Tortoise, connections

from gql_crm.app import create_app
from gql_crm.config import Settings
from gql_crm.db import migrate, tortoise_config
from gql_crm.models import Role
from gql_crm.services import auth, trigrams
from gql_crm.services.clients import ClientFilter, client_sort_keys, clients_queryset
from gql_crm.services.imports.writer import CLIENT_INSERT
from gql_crm.services.keys import client_keys, company_name_key, join_search_parts
from gql_crm.services.pagination import page_query
from gql_crm.services.text import fold

PAGE = """query($search: String) { clients(first: 50, search: $search) {
    edges { cursor node { id name email company { name } } } } }"""
PAGE_AND_COUNT = """query($search: String) { clients(first: 50, search: $search) { totalCount
    edges { cursor node { id name email company { name } } } } }"""

FIRST = [
    "José",
    "María",
    "Ana",
    "Luis",
    "Carmen",
    "Jorge",
    "Lucía",
    "Pablo",
    "Elena",
    "Raúl",
    "Sofía",
    "Andrés",
    "Marta",
    "Iñaki",
    "Núria",
    "Óscar",
    "Begoña",
    "Jesús",
    "Inés",
    "Hugo",
]
LAST = [
    "García",
    "López",
    "Núñez",
    "Pérez",
    "Martín",
    "Gómez",
    "Ruiz",
    "Díaz",
    "Ibáñez",
    "Fernández",
    "Sánchez",
    "Romero",
    "Navarro",
    "Torres",
    "Domínguez",
    "Vázquez",
    "Muñoz",
    "Álvarez",
    "Gil",
    "Serrano",
    "Molina",
    "Castro",
    "Ortega",
    "Rubio",
    "Marín",
    "Sanz",
    "Iglesias",
    "Medina",
    "Garrido",
    "Cortés",
    "Castillo",
    "Santos",
    "Lozano",
    "Guerrero",
]
SECTORS = ["Talleres", "Panadería", "Construcciones", "Transportes", "Consultoría", "Ferretería"]


def searches(n: int) -> list[tuple[str, str]]:
    unique = n // 2 + 1
    return [
        ("a common surname", "garcia"),
        ("first and last name", "lucia nunez"),
        ("a company", "ferreteria lopez"),
        ("a unique email", f"client{unique}@"),
        ("a phone fragment", f"{612000000 + unique}"[:7]),
        ("2 letters", "ez"),
        ("a long word and 1 letter", "ortega j"),
        ("nothing matches", "zzqx"),
    ]


def companies(n: int):
    rng = random.Random(11)
    for i in range(n // 2):
        name = f"{rng.choice(SECTORS)} {rng.choice(LAST)} {i}"
        yield (i + 1, name, company_name_key(name), f"{name} S.L.", f"B{i:08d}")


def clients(n: int, org_id: int, start: datetime):
    rng = random.Random(7)
    company_names = {row[0]: row for row in companies(n)}
    for i in range(n):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(LAST)}"
        email = f"client{i}@example.com"
        mobile = f"+34{612000000 + i}"
        company = company_names.get(i // 2 + 1) if i % 2 == 0 else None
        keys = client_keys(name, email, mobile, active=True)
        company_parts = tuple(fold(part) for part in company[1:2] + company[3:]) if company else ()
        moment = start + timedelta(seconds=i)
        yield (
            org_id,
            moment,
            name,
            keys.name_key,
            email,
            keys.active_email_key,
            mobile,
            "ES",
            None,
            None,
            None,
            company[0] if company else None,
            "ACTIVE",
            join_search_parts(keys.search_parts, company_parts),
            None,
            moment,
        )


# The order of the tuples `clients` yields.
CLIENT_COLUMNS = list(CLIENT_INSERT)
COMPANY_COLUMNS = ["id", "name", "name_key", "legal_name", "tax_id"]
CHUNK = 50_000


def chunks(rows):
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def load_postgres(url: str, n: int, org_id: int) -> None:
    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        start = datetime(2025, 1, 1, tzinfo=UTC)
        now = datetime.now(UTC)
        company_rows = [(*row, org_id, now, now) for row in companies(n)]
        await connection.copy_records_to_table(
            "company",
            records=company_rows,
            columns=[*COMPANY_COLUMNS, "organization_id", "created_at", "updated_at"],
        )
        await connection.execute(
            "SELECT setval(pg_get_serial_sequence('company', 'id'), max(id)) FROM company"
        )
        for done, chunk in enumerate(chunks(clients(n, org_id, start)), 1):
            await connection.copy_records_to_table("client", records=chunk, columns=CLIENT_COLUMNS)
            print(f"\rloaded {min(done * CHUNK, n):,} clients", end="", flush=True)
        print()
        await connection.execute("VACUUM ANALYZE client")
        await connection.execute("VACUUM ANALYZE company")
    finally:
        await connection.close()


def load_sqlite(path: str, n: int, org_id: int) -> None:
    connection = sqlite3.connect(path)
    try:
        start = datetime(2025, 1, 1, tzinfo=UTC)
        now = datetime.now(UTC).isoformat()
        columns = [*COMPANY_COLUMNS, "organization_id", "created_at", "updated_at"]
        connection.executemany(
            f"INSERT INTO company ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            [(*row, org_id, now, now) for row in companies(n)],
        )
        insert = (
            f"INSERT INTO client ({', '.join(CLIENT_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(CLIENT_COLUMNS))})"
        )
        for done, chunk in enumerate(chunks(clients(n, org_id, start)), 1):
            # The triggers of migration 0005 fill the FTS5 table as they do for the app.
            connection.executemany(
                insert,
                [(row[0], row[1].isoformat(), *row[2:-1], row[-1].isoformat()) for row in chunk],
            )
            connection.commit()
            print(f"\rloaded {min(done * CHUNK, n):,} clients", end="", flush=True)
        print()
        connection.execute("ANALYZE")
        connection.commit()
    finally:
        connection.close()


async def create_database(admin_url: str) -> str:
    name = f"bench_search_{os.getpid()}"
    parts = urlsplit(admin_url)
    admin = await asyncpg.connect(urlunsplit(parts._replace(scheme="postgresql")))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return urlunsplit(parts._replace(path=f"/{name}"))


async def drop_database(admin_url: str, url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    admin = await asyncpg.connect(urlunsplit(urlsplit(admin_url)._replace(scheme="postgresql")))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def bare_statements(org_id: int, search: str) -> tuple[str, str]:
    """The page's statement as the planned path sends it (the sort keys of the first 50
    rows and one more, whose nodes it then joins) and the count's."""
    queryset = clients_queryset(org_id, search, ClientFilter())
    keys = client_sort_keys(None)
    page = page_query(queryset, keys, first=50).queryset
    return (
        page.values_list(*(key.field for key in keys)).sql(params_inline=True),
        queryset.count().sql(params_inline=True),
    )


async def without_trigram_index(connection, org_id: int, args: argparse.Namespace) -> None:
    """The same statements as they ran before migration 0005, for comparison."""
    await connection.execute_script('DROP INDEX "client_search_text_trgm"')
    print("-- without the trigram index (before migration 0005)")
    for label, search in searches(args.clients):
        for kind, statement in zip(("page", "count"), bare_statements(org_id, search), strict=True):
            await timed(
                f"bare SQL {kind}: {label}",
                max(args.requests // 5, 5),
                partial(connection.execute_query, statement),
            )


async def run(db_url: str, args: argparse.Namespace) -> None:
    await migrate(db_url)
    await Tortoise.init(config=tortoise_config(db_url))
    try:
        org = await auth.create_organization("Bench")
        token = await auth.issue_token(
            await auth.get_or_create_user(org, "bench@example.com", Role.ADMIN)
        )
        began = time.perf_counter()
        if db_url.startswith("sqlite"):
            await asyncio.to_thread(
                load_sqlite, db_url.removeprefix("sqlite://"), args.clients, org.id
            )
        else:
            await load_postgres(db_url, args.clients, org.id)
        print(f"load and analyze: {time.perf_counter() - began:.0f} s\n")
        # The trigram statistics ANALYZE gathered, for the bare statements too.
        await trigrams.refresh(force=True)

        app = create_app(Settings(database_url=db_url), init_orm=False)
        connection = connections.get("default")
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench"
        ) as client:

            async def request(query: str, search: str) -> None:
                response = await client.post(
                    "/graphql",
                    headers=headers,
                    json={"query": query, "variables": {"search": search}},
                )
                assert "errors" not in response.json(), response.text

            for label, search in searches(args.clients):
                page_sql, count_sql = bare_statements(org.id, search)
                if args.explain:
                    explain = "EXPLAIN QUERY PLAN " if db_url.startswith("sqlite") else "EXPLAIN "
                    for statement in (page_sql, count_sql):
                        _, plan = await connection.execute_query(explain + statement)
                        print("\n".join(str(dict(row)) for row in plan))
                total = (await connection.execute_query_dict(count_sql))[0]
                print(
                    f"-- {label}: {search!r}, {next(iter(total.values())):,} matches "
                    f"(load average {os.getloadavg()[0]:.1f})"
                )
                await timed("API page", args.requests, partial(request, PAGE, search))
                await timed(
                    "API page + totalCount", args.requests, partial(request, PAGE_AND_COUNT, search)
                )
                await timed(
                    "bare SQL page", args.requests, partial(connection.execute_query, page_sql)
                )
                await timed(
                    "bare SQL count", args.requests, partial(connection.execute_query, count_sql)
                )
                print()
            if not db_url.startswith("sqlite"):
                await without_trigram_index(connection, org.id, args)
    finally:
        await Tortoise.close_connections()


async def main(args: argparse.Namespace) -> None:
    if args.sqlite:
        await run(f"sqlite://{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}", args)
        return
    db_url = await create_database(args.db)
    try:
        await run(db_url, args)
    finally:
        await drop_database(args.db, db_url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument(
        "--db",
        default="postgres://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL URL: the bench database is created beside it",
    )
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file instead")
    parser.add_argument("--explain", action="store_true", help="print each statement's plan")
    asyncio.run(main(parser.parse_args()))
