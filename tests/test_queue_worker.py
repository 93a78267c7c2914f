"""The worker embedded in `serve`: a crash is logged at once and the worker starts again."""

import asyncio
import logging
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from gql_crm.services import queue
from tests.cli import gql_crm
from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(
    TEST_DATABASE_URL.startswith("sqlite"),
    reason="queue workers run on PostgreSQL (SQLite runs jobs inside `serve`)",
)


async def _worker_backends(admin: asyncpg.Connection, database: str) -> set[int]:
    rows = await admin.fetch(
        "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        database,
    )
    return {row["pid"] for row in rows}


async def _until(condition, what: str):
    # A generous cap so a hung worker fails the test instead of hanging it.
    for _ in range(600):
        if result := await condition():
            return result
        await asyncio.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


async def test_an_embedded_worker_that_crashes_is_logged_and_restarted(
    empty_database_url,
    tmp_path,
    caplog,
):
    migrated = await asyncio.to_thread(gql_crm, "migrate", db=empty_database_url, cwd=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    database = urlsplit(empty_database_url).path.lstrip("/")
    admin = await asyncpg.connect(
        urlunsplit(urlsplit(empty_database_url)._replace(scheme="postgresql"))
    )
    stop = asyncio.Event()
    caplog.set_level(logging.ERROR, logger="gql_crm.queue")
    worker = asyncio.create_task(
        queue.run_worker_restarting(
            empty_database_url,
            heartbeat_timeout=1.0,
            concurrency=1,
            shutdown=stop,
            restart_delay=0.1,
        )
    )
    try:
        first = await _until(lambda: _worker_backends(admin, database), "the worker connects")
        # The worker's connection cut from the server side, as a database restart or a
        # network failure would.
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", list(first)
        )

        async def crash_logged():
            return [r for r in caplog.records if "embedded queue worker crashed" in r.getMessage()]

        crashes = await _until(crash_logged, "the crash is logged")
        assert crashes[0].exc_info is not None
        assert not worker.done()

        async def reconnected():
            return await _worker_backends(admin, database) - first

        await _until(reconnected, "the worker starts again")
    finally:
        stop.set()
        await asyncio.wait_for(worker, 60)
        await admin.close()
        # A worker that stops marks this process as stopping (`queue.stopping`), which
        # would release the in-process jobs of the tests that follow.
        queue.stopping.clear()
