"""Queue workers inside a process: the one embedded in `serve` is restarted after a crash,
and a worker that stops hands back its own jobs only, never those of another worker of the
same process or those that run in-process."""

import asyncio
import logging
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from tortoise import connections
from tortoise.timezone import now

from gql_crm.models import ImportJob, ImportJobStatus
from gql_crm.services import queue
from gql_crm.services.imports import jobs
from tests.cli import gql_crm
from tests.conftest import TEST_DATABASE_URL
from tests.helpers import pk_of
from tests.imports import csv_bytes, start, task_ended

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
    migrated = await gql_crm("migrate", db=empty_database_url, cwd=tmp_path)
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


class FirstBatchGate:
    """The first job to end a batch waits there until `release`."""

    def __init__(self, monkeypatch) -> None:
        self.reached = asyncio.Event()
        self.release = asyncio.Event()
        original = jobs.after_batch

        async def after_batch(job_id: int) -> None:
            first = not self.reached.is_set()
            self.reached.set()
            if first:
                await self.release.wait()
            await original(job_id)

        monkeypatch.setattr(jobs, "BATCH_SIZE", 2)
        monkeypatch.setattr(jobs, "after_batch", after_batch)


def rows(prefix: str, count: int = 6) -> bytes:
    return csv_bytes(
        [["Name", "Email"]] + [[f"Client {n}", f"{prefix}{n}@example.com"] for n in range(count)]
    )


async def stopped_worker(database_url: str) -> None:
    """A worker of this process started, then told to stop, and stopped."""
    shutdown, ready = asyncio.Event(), asyncio.Event()
    worker = asyncio.create_task(
        queue.run_worker(
            database_url, heartbeat_timeout=5.0, concurrency=1, shutdown=shutdown, ready=ready
        )
    )
    await asyncio.wait_for(ready.wait(), 30)
    shutdown.set()
    await asyncio.wait_for(worker, 60)


async def test_a_stopping_worker_leaves_the_in_process_jobs_alone(
    org, database_url, monkeypatch, caplog
):
    await queue.install_schema(database_url)
    gate = FirstBatchGate(monkeypatch)
    payload = await start(org, rows("inproc"))
    await asyncio.wait_for(gate.reached.wait(), 30)
    # A worker of the same process starts and stops (as tests and the restarts of the
    # embedded worker do) while an in-process import runs.
    await stopped_worker(database_url)
    gate.release.set()
    await task_ended(payload["importJob"]["id"])
    job = await ImportJob.get(id=pk_of(payload["importJob"]["id"]))
    assert (job.status, job.created_count) == (ImportJobStatus.SUCCEEDED, 6)
    assert "handed back" not in caplog.text


async def test_a_stopping_worker_hands_back_its_own_jobs_only(
    org, database_url, monkeypatch, caplog
):
    await queue.install_schema(database_url)
    caplog.set_level(logging.INFO, logger="gql_crm.imports")
    gate = FirstBatchGate(monkeypatch)
    shutdown = asyncio.Event()
    async with queue.using_pg_queue(database_url):
        running = asyncio.create_task(
            queue.run_worker(database_url, heartbeat_timeout=5.0, concurrency=1, shutdown=shutdown)
        )
        try:
            payload = await start(org, rows("queued"))
            job_id = pk_of(payload["importJob"]["id"])
            await asyncio.wait_for(gate.reached.wait(), 60)
            # Another worker of this process comes and goes while the first runs the job.
            await stopped_worker(database_url)
            gate.release.set()

            async def finished() -> bool:
                return await ImportJob.filter(id=job_id, finished_at__isnull=False).exists()

            await _until(finished, "the job ends")
        finally:
            gate.release.set()
            shutdown.set()
            await asyncio.wait_for(running, 60)
    job = await ImportJob.get(id=job_id)
    assert (job.status, job.created_count, job.queue_engine) == (
        ImportJobStatus.SUCCEEDED,
        6,
        jobs.QUEUE_ENGINE,
    )
    # Run once, by the worker that took it: never handed back, never taken over.
    assert job.attempt == 1
    assert "handed back" not in caplog.text


class EveryFirstBatchGate:
    """Each job waits after its first batch until `release`; `reached` counts them."""

    def __init__(self, monkeypatch) -> None:
        self.reached: set[int] = set()
        self.release = asyncio.Event()
        original = jobs.after_batch

        async def after_batch(job_id: int) -> None:
            if job_id not in self.reached:
                self.reached.add(job_id)
                await self.release.wait()
            await original(job_id)

        monkeypatch.setattr(jobs, "BATCH_SIZE", 2)
        monkeypatch.setattr(jobs, "after_batch", after_batch)


async def test_a_busy_worker_leaves_the_next_job_to_an_idle_one(org, database_url, monkeypatch):
    """Two jobs and two workers of concurrency 1: a worker running an import does not
    dequeue the next one, so the second worker, started later, takes it."""
    await queue.install_schema(database_url)
    gate = EveryFirstBatchGate(monkeypatch)
    shutdowns = [asyncio.Event(), asyncio.Event()]

    def worker(shutdown: asyncio.Event) -> asyncio.Task:
        return asyncio.create_task(
            queue.run_worker(database_url, heartbeat_timeout=5.0, concurrency=1, shutdown=shutdown)
        )

    async def started(job_id: int) -> bool:
        return job_id in gate.reached

    async with queue.using_pg_queue(database_url):
        workers = [worker(shutdowns[0])]
        try:
            first = pk_of((await start(org, rows("first")))["importJob"]["id"])
            await _until(lambda: started(first), "the first worker takes the first job")
            second = pk_of((await start(org, rows("second")))["importJob"]["id"])
            workers.append(worker(shutdowns[1]))
            await _until(lambda: started(second), "the second worker takes the second job")
            # Each job is held by a worker of its own (pgqueuer's queue_manager_id).
            managers = await connections.get("default").execute_query_dict(
                "SELECT DISTINCT queue_manager_id FROM pgqueuer WHERE status = 'picked'"
            )
            assert len(managers) == 2
            gate.release.set()

            async def finished() -> bool:
                return not await ImportJob.filter(
                    id__in=[first, second], finished_at__isnull=True
                ).exists()

            await _until(finished, "both jobs end")
        finally:
            gate.release.set()
            for shutdown in shutdowns:
                shutdown.set()
            await asyncio.wait_for(asyncio.gather(*workers), 60)
    for job in await ImportJob.filter(id__in=[first, second]):
        assert (job.status, job.created_count, job.attempt) == (ImportJobStatus.SUCCEEDED, 6, 1)


async def test_a_silent_job_that_lost_its_queue_entry_is_enqueued_again(org, database_url):
    """A job whose queue entry was deleted under it (the end of a worker that was taken for
    dead: pgqueuer's records are not fenced) is enqueued again once it has been silent for
    ten minutes; a job whose entry is still there keeps that one."""
    await queue.install_schema(database_url)
    connection = connections.get("default")

    async def entries(job: ImportJob) -> int:
        rows = await connection.execute_query_dict(
            "SELECT count(*) AS n FROM pgqueuer WHERE dedupe_key = $1", [f"{jobs.KIND}:{job.id}"]
        )
        return rows[0]["n"]

    def running(heartbeat) -> dict:
        return {
            "organization_id": org.id,
            "file_name": "lost.csv",
            "status": ImportJobStatus.RUNNING,
            "queue_engine": jobs.QUEUE_ENGINE,
            "started_at": now(),
            "heartbeat_at": heartbeat,
        }

    lost = await ImportJob.create(**running(now() - timedelta(minutes=11)))
    alive = await ImportJob.create(**running(now()))
    try:
        async with queue.using_pg_queue(database_url):
            requeued = await jobs.requeue_silent()
            assert lost.id in requeued and alive.id not in requeued
            assert (await entries(lost), await entries(alive)) == (1, 0)
            await jobs.requeue_silent()
            assert await entries(lost) == 1
    finally:
        await connection.execute_query(
            "DELETE FROM pgqueuer WHERE dedupe_key = $1", [f"{jobs.KIND}:{lost.id}"]
        )
        await ImportJob.filter(id__in=[lost.id, alive.id]).update(
            status=ImportJobStatus.FAILED, finished_at=now()
        )
