"""Migration 0011 moves what ImportJob.options used to mix (the file's kind, the owning
process) into their own columns, and back when it is unapplied."""

import json
import uuid
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from tortoise import connections
from tortoise.context import TortoiseContext
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget

from gql_crm.db import tortoise_config
from tests.conftest import TEST_DATABASE_URL

BEFORE = MigrationTarget("models", "0010_task_priority_project_rate")
AFTER = MigrationTarget("models", "0011_import_job_columns")

USER_OPTIONS = {
    "dry_run": False,
    "mode": "UPDATE_EXISTING",
    "match_on": ["EMAIL", "TAX_ID"],
    "mapping": None,
    "default_country": "ES",
    "sheet": None,
    "skip_invalid_rows": True,
    "language": "es",
}
CSV_JOB = {
    **USER_OPTIONS,
    "format": "CSV",
    "encoding": "cp1252",
    "delimiter": ";",
    "header_row": 3,
    "owner": {"host": "worker-1", "pid": 4242, "boot": "0f3a"},
}
QUEUED_JOB = {
    **USER_OPTIONS,
    "format": "CSV",
    "encoding": "utf-8",
    "delimiter": ",",
    "header_row": 1,
    "owner": {"queue": "pgqueuer"},
}
XLSX_JOB = {
    **USER_OPTIONS,
    "format": "XLSX",
    "encoding": None,
    "delimiter": None,
    "header_row": 1,
    "owner": {"host": "worker-2", "pid": 7, "boot": "9e1c"},
}


@pytest.fixture
async def database_url(tmp_path):
    if TEST_DATABASE_URL.startswith("sqlite"):
        yield f"sqlite://{tmp_path / 'migrations.sqlite3'}"
        return
    parts = urlsplit(TEST_DATABASE_URL)
    name = f"health_modules_migration_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(urlunsplit(parts._replace(scheme="postgresql", path="/postgres")))
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path="/" + name))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_the_file_kind_and_owner_move_to_their_columns_and_back(database_url):
    config = tortoise_config(database_url)
    async with TortoiseContext() as context:
        await context.init(config=config)
        connection = connections.get("default")
        executor = MigrationExecutor(connection, config["apps"])
        await executor.migrate([BEFORE])
        await connection.execute_script(
            'INSERT INTO "organization" (id, name, slug, timezone, default_currency, created_at)'
            " VALUES (1, 'Org', 'org', 'Europe/Madrid', 'EUR', '2026-01-01 00:00:00+00:00')"
        )
        for job_id, options in ((1, CSV_JOB), (2, XLSX_JOB), (3, QUEUED_JOB)):
            await connection.execute_script(
                'INSERT INTO "importjob" (id, organization_id, file_name, status, options, '
                "mapping, unknown_columns, dry_run, total_rows, processed_rows, created_count, "
                "updated_count, skipped_count, failed_count, created_at, updated_at) VALUES "
                f"({job_id}, 1, 'c.csv', 'RUNNING', '{json.dumps(options)}', '{{}}', '[]', "
                "false, 0, 0, 0, 0, 0, 0, '2026-01-01 00:00:00+00:00', "
                "'2026-01-02 00:00:00+00:00')"
            )

        await executor.migrate([AFTER])
        rows = await connection.execute_query_dict(
            "SELECT id, options, file_format, file_encoding, file_delimiter, header_row, "
            'owner_host, owner_pid, queue_engine, heartbeat_at, updated_at FROM "importjob" ORDER BY id'
        )
        for row in rows:
            assert json.loads(row.pop("options")) == USER_OPTIONS
            assert row.pop("heartbeat_at") == row.pop("updated_at")
        assert rows == [
            {
                "id": 1,
                "file_format": "CSV",
                "file_encoding": "cp1252",
                "file_delimiter": ";",
                "header_row": 3,
                "owner_host": "worker-1",
                "owner_pid": 4242,
                "queue_engine": None,
            },
            {
                "id": 2,
                "file_format": "XLSX",
                "file_encoding": None,
                "file_delimiter": None,
                "header_row": 1,
                "owner_host": "worker-2",
                "owner_pid": 7,
                "queue_engine": None,
            },
            {
                "id": 3,
                "file_format": "CSV",
                "file_encoding": "utf-8",
                "file_delimiter": ",",
                "header_row": 1,
                "owner_host": None,
                "owner_pid": None,
                "queue_engine": "pgqueuer",
            },
        ]

        await executor.migrate([BEFORE])
        rows = await connection.execute_query_dict('SELECT options FROM "importjob" ORDER BY id')
        # Back as it was, less the owner's boot id that nothing read.
        owner_left = [{"host": "worker-1", "pid": 4242}, {"host": "worker-2", "pid": 7}]
        assert [json.loads(row["options"]) for row in rows] == [
            *(
                {**job, "owner": owner}
                for job, owner in zip((CSV_JOB, XLSX_JOB), owner_left, strict=True)
            ),
            QUEUED_JOB,
        ]
