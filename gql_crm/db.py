"""Database configuration and migrations (Tortoise's built-in migration tool)."""

import os
from contextlib import asynccontextmanager

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate as run_migrations

from gql_crm.config import DEFAULT_DATABASE_URL
from gql_crm.services import queue

MODELS = ["gql_crm.models"]

# SQLite retries a locked write for this long before failing with "database is locked"
# (answered DATABASE_BUSY, HTTP 503).
SQLITE_BUSY_TIMEOUT_MS = 5000
# The key of the PostgreSQL advisory lock held while migrating (any constant the
# application uses for nothing else).
MIGRATION_LOCK = 0x67716C2D63726D  # "gql-crm"


async def _keep_session(connection) -> None:
    """The pool's reset of a released connection: nothing beyond asyncpg's own roll-back of
    an open transaction. Its default (`RESET ALL`, `UNLISTEN *`, `CLOSE ALL`, releasing
    advisory locks) costs a round trip after every statement, as many as the statements
    themselves, for state the application never leaves on a pooled connection: its settings
    are `SET LOCAL`, its locks `pg_advisory_xact_lock`, and what holds a session lock or
    LISTENs has a connection of its own (services.queue, services.imports.progress)."""


def tortoise_config(db_url: str) -> dict:
    connection = expand_db_url(db_url)
    if connection["engine"] == "tortoise.backends.sqlite":
        # WAL lets readers go on while an import writes.
        # The URL may set its own busy_timeout (?busy_timeout=milliseconds).
        connection["credentials"].setdefault("busy_timeout", SQLITE_BUSY_TIMEOUT_MS)
        connection["credentials"].update(journal_mode="WAL", foreign_keys="ON")
    elif connection["engine"] == "tortoise.backends.asyncpg":
        # asyncpg prepares every statement; after five runs PostgreSQL may switch to one
        # generic plan chosen while a table was small (a seq scan for `IN (...)` look-ups)
        # and keep it as the table grows: an import then slowed down sevenfold.
        connection["credentials"]["server_settings"] = {"plan_cache_mode": "force_custom_plan"}
        connection["credentials"]["reset"] = _keep_session
    return {
        "connections": {"default": connection},
        "apps": {
            "models": {
                "models": MODELS,
                "migrations": "gql_crm.migrations",
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def migrate(db_url: str) -> None:
    """Apply every pending migration, then release the connections migrate opened. On
    PostgreSQL the job queue's tables come from the queue engine's own schema applier, and
    the whole runs under an advisory lock: processes started together (`serve`, `worker`,
    `migrate` on several hosts) migrate one after the other, the later ones finding nothing
    left to apply, instead of racing to create the same tables."""
    if not queue.is_postgres(db_url):
        await _apply_migrations(db_url)
        return
    async with queue.advisory_lock(db_url, MIGRATION_LOCK):
        await _apply_migrations(db_url)
        await queue.install_schema(db_url)


async def _apply_migrations(db_url: str) -> None:
    try:
        await run_migrations(config=tortoise_config(db_url))
    finally:
        # Also on failure: aiosqlite's connection thread would keep the process from
        # exiting, and `serve` on a database it cannot migrate hung without a word.
        await Tortoise.close_connections()


@asynccontextmanager
async def orm(db_url: str):
    """The ORM for a command-line task: migrated, initialised, closed afterwards."""
    await migrate(db_url)
    await Tortoise.init(config=tortoise_config(db_url))
    try:
        yield
    finally:
        await Tortoise.close_connections()


async def pending_model_changes() -> list[str]:
    """Names of the migrations `tortoise makemigrations` would write now (none when in sync)."""
    from tortoise.context import TortoiseContext
    from tortoise.migrations.autodetector import MigrationAutodetector

    config = tortoise_config("sqlite://:memory:")
    async with TortoiseContext() as context:
        await context.init(config=config)
        assert context.apps is not None, "init() loads the apps"
        writers = await MigrationAutodetector(context.apps, config["apps"]).changes()
    return [writer.name for writer in writers]


# Read by `tortoise makemigrations` / `tortoise migrate` through [tool.tortoise] in pyproject.
TORTOISE_ORM = tortoise_config(os.environ.get("GQL_CRM_DATABASE_URL", DEFAULT_DATABASE_URL))
