"""The command line, run as a user runs it: migrations, organizations, tokens, serve --demo."""

import asyncio
import os
import socket
import sqlite3
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

from tests.cli import ROOT, gql_crm
from tests.conftest import TEST_DATABASE_URL

# Each test runs the gql-crm command in processes of its own.
pytestmark = pytest.mark.slow


def test_migrations_match_the_models():
    # In a process of its own: initialising another ORM context here would rebind the
    # models of the session's database.
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import asyncio; from gql_crm.db import pending_model_changes; "
            "print(asyncio.run(pending_model_changes()))",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


@pytest.mark.skipif(
    TEST_DATABASE_URL.startswith("sqlite"),
    reason="the migration lock is PostgreSQL's advisory lock; a SQLite file has one process",
)
async def test_concurrent_migrate_runs_apply_each_migration_once(empty_database_url, tmp_path):
    # Processes started together (serve and workers on several hosts) all migrate first.
    runs = await asyncio.gather(
        *(gql_crm("migrate", db=empty_database_url, cwd=tmp_path) for _ in range(3))
    )
    for run in runs:
        assert run.returncode == 0, run.stderr
        assert "migrations applied" in run.stdout
    connection = await asyncpg.connect(
        urlunsplit(urlsplit(empty_database_url)._replace(scheme="postgresql"))
    )
    try:
        applied = await connection.fetch(
            "SELECT name, count(*) AS times FROM tortoise_migrations GROUP BY name"
        )
        queue_tables = await connection.fetchval("SELECT to_regclass('pgqueuer') IS NOT NULL")
    finally:
        await connection.close()
    files = {path.stem for path in (ROOT / "gql_crm" / "migrations").glob("0*.py")}
    assert {row["name"] for row in applied} == files
    assert {row["times"] for row in applied} == {1}
    assert queue_tables


async def test_create_org_and_token(empty_database_url, tmp_path):
    def create_token(org: str, role: str, *more: str):
        return gql_crm(
            "create-token", "--org", org, "--role", role, *more, db=empty_database_url, cwd=tmp_path
        )

    created = await gql_crm(
        "create-org", "Panadería Núñez", "--country", "ES", db=empty_database_url, cwd=tmp_path
    )
    assert created.returncode == 0, created.stderr
    assert "slug: panaderia-nunez" in created.stdout
    admin_token = created.stdout.strip().splitlines()[-1]
    assert admin_token.startswith("gqlcrm_")

    issued = await create_token("panaderia-nunez", "VIEWER", "--email", "ana@example.com")
    assert issued.returncode == 0, issued.stderr
    assert issued.stdout.strip().splitlines()[-1].startswith("gqlcrm_")

    default_email = await create_token("panaderia-nunez", "VIEWER")
    assert default_email.returncode == 0, default_email.stderr
    assert "user: viewer@panaderia-nunez.example (VIEWER)" in default_email.stdout
    viewer_token = default_email.stdout.strip().splitlines()[-1]
    assert viewer_token.startswith("gqlcrm_")

    missing = await create_token("nope", "ADMIN")
    assert missing.returncode == 1
    assert "no organization" in missing.stderr


def test_export_schema_prints_the_committed_sdl():
    result = subprocess.run(
        [sys.executable, "-m", "gql_crm.cli", "export-schema"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.stdout == (ROOT / "schema.graphql").read_text()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_serve_on_a_database_it_cannot_migrate_exits_with_the_error(
    empty_database_url, tmp_path
):
    """A migration that fails (here: its tables are there, its record is not) ends `serve`
    with the database's error; it hung, the ORM's connections left open."""
    assert (await gql_crm("migrate", db=empty_database_url, cwd=tmp_path)).returncode == 0
    forget = 'DELETE FROM "tortoise_migrations"'
    if empty_database_url.startswith("sqlite"):
        with sqlite3.connect(empty_database_url.removeprefix("sqlite://")) as local:
            local.execute(forget)
    else:
        connection = await asyncpg.connect(empty_database_url)
        await connection.execute(forget)
        await connection.close()
    served = await gql_crm(
        "serve", "--port", str(_free_port()), db=empty_database_url, cwd=tmp_path
    )
    assert served.returncode != 0
    assert "already exists" in served.stdout + served.stderr


async def test_serve_demo_end_to_end(empty_database_url, tmp_path):
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gql_crm.cli",
            "serve",
            "--demo",
            "--port",
            str(port),
            "--db",
            empty_database_url,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        token = None
        deadline = time.monotonic() + 90
        while token is None and time.monotonic() < deadline:
            # Bounded: a server that hangs silently must fail the test, not stall the suite
            # (the `finally` below ends it, and with it the thread reading its output).
            line = await asyncio.wait_for(
                asyncio.to_thread(server.stdout.readline), deadline - time.monotonic()
            )
            if line.startswith("token: "):
                token = line.split(" ", 1)[1].strip()
        assert token, "serve --demo printed no token"
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(100):
                try:
                    health = await client.get("/healthz")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.2)
            assert health.json() == {"status": "ok"}
            response = await client.post(
                "/graphql",
                json={
                    "query": '{ viewer { role } clients(search: "garcia") { totalCount } '
                    "all: clients { totalCount } }"
                },
                headers={"Authorization": f"Bearer {token}"},
            )
            # Secrets in request targets, which the access log must not keep.
            await client.get(
                "/graphql",
                headers={"Authorization": f"Bearer {token}"},
                params={
                    "query": "query($s: String) { clients(search: $s) { totalCount } }",
                    "variables": '{"s": "secret-search"}',
                },
            )
            await client.get("/files/1", params={"token": "secret-signature"})
            await client.get("/exports/secret-export-token")
            await client.get("/imports/failed-rows/secret-rows-token")
        data = response.json()["data"]
        assert data["viewer"]["role"] == "ADMIN"
        assert data["all"]["totalCount"] >= 30
    finally:
        server.terminate()
        output, _ = await asyncio.to_thread(server.communicate, timeout=30)
    access = [line for line in output.splitlines() if '"GET /' in line]
    assert "secret" not in output, access
    assert any('"GET /files/1 HTTP/1.1"' in line for line in access), access
    assert any('"GET /exports/[redacted] HTTP/1.1"' in line for line in access), access
    assert any('"GET /imports/failed-rows/[redacted] HTTP/1.1"' in line for line in access), access
    assert any('"GET /graphql?query=query' in line for line in access), access
