"""Fencing: a runner taken for dead that wakes up (a worker paused past its heartbeat, a
process silent for ten minutes) writes nothing once another runner has taken its job, and
every row is written exactly once, for imports, their recovery and undos.

The runners are started by the tests themselves, as queue workers of other processes would
be: the jobs are enqueued on a queue that only keeps them (`HeldQueue`), and each runner
stops after a batch of its choosing until the test lets it go on.
"""

import asyncio
import logging
from datetime import timedelta

import pytest
from tortoise.timezone import now

from gql_crm.models import Activity, Client, ImportJob, ImportJobStatus, ImportRowError, ImportUndo
from gql_crm.services import queue
from gql_crm.services.imports import jobs, undo
from tests.helpers import pk_of
from tests.imports import csv_bytes, start

BATCH = 5
ROWS = 4 * BATCH


class HeldQueue:
    """Keeps what is enqueued: nothing runs until a test starts a runner."""

    def __init__(self) -> None:
        self.enqueued: list[tuple[str, int]] = []

    async def enqueue(self, kind: str, row_id: int) -> None:
        self.enqueued.append((kind, row_id))

    def runs_here(self) -> bool:
        return True


class Gates:
    """Each runner (a task) stops after the batch the test names, until released."""

    def __init__(self) -> None:
        self.stops: dict[asyncio.Task, tuple[int, asyncio.Event, asyncio.Event]] = {}
        self.batches: dict[asyncio.Task, int] = {}

    def start(
        self, runner, *, stop_after: int
    ) -> tuple[asyncio.Task, asyncio.Event, asyncio.Event]:
        task = asyncio.create_task(runner)
        reached, release = asyncio.Event(), asyncio.Event()
        self.stops[task] = (stop_after, reached, release)
        return task, reached, release

    def wrap(self, original):
        async def after_batch(job_id):
            result = await original(job_id)
            task = asyncio.current_task()
            self.batches[task] = self.batches.get(task, 0) + 1
            stop = self.stops.get(task)
            if stop is not None and stop[0] == self.batches[task]:
                stop[1].set()
                await stop[2].wait()
            return result

        return after_batch


@pytest.fixture
def held(monkeypatch) -> HeldQueue:
    held = HeldQueue()
    monkeypatch.setattr(queue, "_current", held)
    monkeypatch.setattr(jobs, "BATCH_SIZE", BATCH)
    return held


@pytest.fixture
def gates(monkeypatch) -> Gates:
    gates = Gates()
    monkeypatch.setattr(jobs, "after_batch", gates.wrap(jobs.after_batch))
    monkeypatch.setattr(undo, "after_batch", gates.wrap(undo.after_batch))
    return gates


def clients(prefix: str) -> bytes:
    return csv_bytes(
        [["Name", "Email"]] + [[f"Client {n}", f"{prefix}{n}@example.com"] for n in range(ROWS)]
    )


async def reached(event: asyncio.Event) -> None:
    await asyncio.wait_for(event.wait(), 60)


async def ended(task: asyncio.Task) -> None:
    # A stale runner stops quietly: its task ends without an exception.
    assert await asyncio.wait_for(task, 60) is None


async def written(job_id: int) -> tuple[int, int, int, int]:
    """The job's clients, their distinct emails, its activity entries and its row errors."""
    emails = await Client.filter(import_job_id=job_id).values_list("email", flat=True)
    return (
        len(emails),
        len(set(emails)),
        await Activity.filter(import_job_id=job_id).count(),
        await ImportRowError.filter(job_id=job_id).count(),
    )


async def job_row(job_id: int) -> dict:
    return (await ImportJob.filter(id=job_id).values())[0]


async def undo_row(job_id: int) -> dict:
    return (await ImportUndo.filter(job_id=job_id).values())[0]


async def test_a_runner_taken_over_mid_job_writes_nothing_more(org, held, gates, caplog):
    payload = await start(org, clients("taken"))
    job_id = pk_of(payload["importJob"]["id"])
    first, first_paused, first_go = gates.start(jobs.run_job(job_id), stop_after=1)
    await reached(first_paused)
    assert await written(job_id) == (BATCH, BATCH, BATCH, 0)

    # The first runner is taken for dead: another one takes the job over, undoes the first
    # one's batch, and writes its own first batch.
    second, second_paused, second_go = gates.start(jobs.run_job(job_id), stop_after=1)
    await reached(second_paused)
    assert (await job_row(job_id))["attempt"] == 2
    before = await job_row(job_id)

    # The first one wakes up: its next batch is rolled back whole, and it stops.
    first_go.set()
    await ended(first)
    assert await written(job_id) == (BATCH, BATCH, BATCH, 0)
    assert await job_row(job_id) == before
    assert "was taken over by another runner" in caplog.text

    second_go.set()
    await ended(second)
    job = await job_row(job_id)
    assert job["status"] == ImportJobStatus.SUCCEEDED
    assert (job["processed_rows"], job["created_count"], job["skipped_count"]) == (ROWS, ROWS, 0)
    assert await written(job_id) == (ROWS, ROWS, ROWS, 0)


async def test_a_job_recovered_while_its_runner_was_paused_stays_rolled_back(org, held, gates):
    """An in-process job (a CLI import) whose process was silent for ten minutes is rolled
    back by the recovery of a server; when that process wakes up it writes nothing."""
    payload = await start(org, clients("paused"))
    job_id = pk_of(payload["importJob"]["id"])
    runner, paused, go = gates.start(jobs.run_job(job_id), stop_after=1)
    await reached(paused)
    await ImportJob.filter(id=job_id).update(heartbeat_at=now() - timedelta(minutes=11))

    assert job_id in await jobs.recover_interrupted()
    recovered = await job_row(job_id)
    assert recovered["status"] == ImportJobStatus.FAILED
    assert recovered["finished_at"] is not None
    assert await written(job_id) == (0, 0, 0, 0)

    go.set()
    await ended(runner)
    assert await job_row(job_id) == recovered
    assert await written(job_id) == (0, 0, 0, 0)


UNDO = """mutation($id: ID!) { undoImportJob(id: $id) { importJob { status } errors { code } } }"""


async def test_an_undo_runner_taken_over_writes_nothing_more(org, held, gates):
    payload = await start(org, clients("undone"))
    job_id = pk_of(payload["importJob"]["id"])
    await ended(asyncio.create_task(jobs.run_job(job_id)))
    assert await written(job_id) == (ROWS, ROWS, ROWS, 0)
    data = await org.data(UNDO, {"id": payload["importJob"]["id"]})
    assert data["undoImportJob"] == {"importJob": {"status": "UNDOING"}, "errors": []}

    first, first_paused, first_go = gates.start(undo.run_undo(job_id), stop_after=1)
    await reached(first_paused)
    second, second_paused, second_go = gates.start(undo.run_undo(job_id), stop_after=1)
    await reached(second_paused)
    before = await undo_row(job_id)
    assert before["processed_items"] == 2 * BATCH

    # The first runner wakes up where the second one has gone on: it undoes nothing more.
    first_go.set()
    await ended(first)
    assert await undo_row(job_id) == before

    second_go.set()
    await ended(second)
    done = await ImportUndo.get(job_id=job_id)
    assert (done.removed_clients, done.processed_items) == (ROWS, done.total_items)
    assert (await job_row(job_id))["status"] == ImportJobStatus.UNDONE
    assert await Client.filter(import_job_id=job_id).count() == 0


@pytest.fixture(autouse=True)
def _logs(caplog):
    caplog.set_level(logging.INFO, logger="gql_crm.imports")
