"""Large UPDATE_EXISTING batches and their roll-back stay under the databases' argument
limit; interrupted jobs are rolled back without stopping or restarting the server."""

import asyncio
import os
import socket
from datetime import timedelta

import pytest
from tortoise.timezone import now

from gql_crm.models import Activity, Client, ImportJob, ImportJobStatus
from gql_crm.services.imports import jobs
from gql_crm.services.imports.options import UPDATABLE
from tests.cli import python_script
from tests.helpers import pk_of
from tests.imports import (
    CRASHED_IMPORT_SCRIPT,
    IMPORT_JOB,
    csv_bytes,
    run_import,
    start,
    task_ended,
)

HEADER = ["Name", "Email", "Mobile", "Country", "Gender", "Language", "Category", "Company"]
ROWS = 1000
DEAD = {"owner_host": socket.gethostname(), "owner_pid": 2**22 + 7}


def clients(version: str) -> bytes:
    """ROWS clients matched by email; every other column differs between versions."""
    if version == "old":
        return csv_bytes(
            [HEADER]
            + [
                [
                    f"Old {i}",
                    f"c{i}@example.com",
                    f"+34 600 {i:06d}",
                    "ES",
                    "FEMALE",
                    "es",
                    "Gold",
                    f"Old Co {i % 50}",
                ]
                for i in range(ROWS)
            ]
        )
    return csv_bytes(
        [HEADER]
        + [
            [
                f"New {i}",
                f"c{i}@example.com",
                f"+34 611 {i:06d}",
                "PT",
                "MALE",
                "pt",
                "Silver",
                f"New Co {i % 50}",
            ]
            for i in range(ROWS)
        ]
    )


async def snapshot(org) -> list[tuple]:
    return [
        tuple(row)
        for row in await Client.filter(organization_id=org.id)
        .order_by("id")
        .values_list(*UPDATABLE, "search_text")
    ]


async def test_an_update_of_a_thousand_rows_of_every_column_and_its_roll_back(org, monkeypatch):
    created = await run_import(org, clients("old"))
    assert (created["status"], created["created"]) == ("SUCCEEDED", ROWS)
    before = await snapshot(org)

    # One batch writes all 1,000 rows: 13 columns of them were 39,000 arguments.
    updated = await run_import(org, clients("new"), {"mode": "UPDATE_EXISTING"})
    assert (updated["status"], updated["updated"], updated["failed"]) == ("SUCCEEDED", ROWS, 0)
    after = await snapshot(org)
    assert {row[0][:4] for row in after} == {"New "}
    assert {row[3:6] for row in after} == {("PT", "MALE", "pt")}

    # The next one dies after writing its batch; the roll-back restores 1,000 rows at once.
    original = jobs.after_batch

    async def dies(job_id):
        await original(job_id)
        raise asyncio.CancelledError

    monkeypatch.setattr(jobs, "after_batch", dies)
    payload = await start(org, clients("old"), {"mode": "UPDATE_EXISTING"})
    job_pk = pk_of(payload["importJob"]["id"])
    await task_ended(payload["importJob"]["id"])
    assert await snapshot(org) == before
    assert await jobs.recover_interrupted() == [job_pk]
    job = (await org.data(IMPORT_JOB, {"id": payload["importJob"]["id"]}))["importJob"]
    assert job["status"] == "FAILED"
    assert await snapshot(org) == after
    assert not await Activity.filter(import_job_id=job_pk).exists()


async def stuck_job(org, owner: dict, *, heartbeat=None) -> tuple[ImportJob, int]:
    """What a process killed mid-import leaves: a RUNNING job and a client it created."""
    job = await ImportJob.create(
        organization_id=org.id,
        file_name="c.csv",
        status=ImportJobStatus.RUNNING,
        heartbeat_at=heartbeat or now(),
        **owner,
    )
    client = await Client.create(
        organization_id=org.id, name="Half", name_key="half", import_job_id=job.id
    )
    return job, client.id


async def test_a_failing_roll_back_is_logged_marked_and_tried_again(org, monkeypatch, caplog):
    job, client_id = await stuck_job(org, DEAD)

    async def broken(job_id, attempt):
        raise RuntimeError("bind message has 39000 parameter formats")

    monkeypatch.setattr(jobs, "roll_back", broken)
    assert job.id not in await jobs.recover_interrupted()
    assert "rolling back its interrupted run failed" in caplog.text
    await job.refresh_from_db()
    assert (job.status, job.finished_at) == (ImportJobStatus.FAILED, None)
    assert "undoing it failed" in job.failure_reason
    assert await Client.exists(id=client_id)

    monkeypatch.undo()
    assert job.id in await jobs.recover_interrupted()
    await job.refresh_from_db()
    assert job.status == ImportJobStatus.FAILED and job.finished_at is not None
    assert "server stopped" in job.failure_reason
    assert not await Client.exists(id=client_id)


async def test_dead_jobs_are_found_while_the_server_runs(org, monkeypatch):
    """A CLI import killed with -9 (its pid gone), and a job whose heartbeat stopped long
    ago (its pid alive but someone else's): rolled back by the periodic check, no restart.
    A live process's recent job is left alone."""
    passes: asyncio.Queue[list[int]] = asyncio.Queue()
    check = jobs.recover_interrupted

    async def recorded_check() -> list[int]:
        recovered = await check()
        passes.put_nowait(recovered)
        return recovered

    monkeypatch.setattr(jobs, "recover_interrupted", recorded_check)
    async with jobs.recovery(interval=0.05):
        killed, killed_client = await stuck_job(org, DEAD)
        silent, silent_client = await stuck_job(
            org, {**DEAD, "owner_pid": os.getppid()}, heartbeat=now() - timedelta(minutes=11)
        )
        alive, alive_client = await stuck_job(org, {**DEAD, "owner_pid": os.getppid()})
        recovered: set[int] = set()
        while not {killed.id, silent.id} <= recovered:
            recovered.update(await asyncio.wait_for(passes.get(), 30))
    for job in (killed, silent):
        await job.refresh_from_db()
        assert job.status == ImportJobStatus.FAILED
    assert not await Client.filter(id__in=[killed_client, silent_client]).exists()
    await alive.refresh_from_db()
    assert alive.status == ImportJobStatus.RUNNING and await Client.exists(id=alive_client)
    await ImportJob.filter(id=alive.id).update(status=ImportJobStatus.SUCCEEDED, finished_at=now())


STARTUP_SCRIPT = (
    CRASHED_IMPORT_SCRIPT
    + """
from gql_crm.services.imports import jobs

async def broken(job_id, attempt):
    raise RuntimeError("the roll-back breaks")

async def start():
    jobs.roll_back = broken
    app = create_app(Settings(database_url=url))
    async with app.router.lifespan_context(app):
        job = await ImportJob.get(file_name="c.csv")
        print("served", job.status.value, await Client.all().count())

asyncio.run(crash())
asyncio.run(start())
"""
)


@pytest.mark.slow
async def test_a_failing_recovery_does_not_stop_the_server_starting(empty_database_url, tmp_path):
    result = await python_script(STARTUP_SCRIPT, empty_database_url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "served FAILED 1"
    assert "the roll-back breaks" in result.stderr
