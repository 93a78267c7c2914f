"""Background jobs: enqueued by kind and row id, run in this process or by queue workers.

A job kind is a coroutine taking the id of the row that describes the job (an ImportJob,
...), registered with `@job_kind("name")`. Where the job runs depends on the database:

- SQLite (and the test app): `InProcessQueue` runs it as a task of the process that
  enqueued it; a job whose process died is found by that domain's own check.
- PostgreSQL: `PgQueue` puts it in pgqueuer's queue table and any worker process
  (`gql-crm worker`, or the one embedded in `gql-crm serve`) takes it with
  `FOR UPDATE SKIP LOCKED`. While it runs, its worker writes a heartbeat; once the heartbeat
  is older than `job_heartbeat_timeout` (the worker was killed, its host is gone) the next
  worker that asks takes the job again, exactly one of them. A kind's coroutine therefore
  finds its row as a dead run left it and has to finish or undo that run itself.

A worker that is told to stop lets each job end its current batch, then hands the job back
to the queue (`Released`), where another worker takes it at once.
"""

import asyncio
import logging
from collections.abc import Callable, Coroutine
from contextlib import asynccontextmanager, suppress
from contextvars import ContextVar
from datetime import timedelta
from typing import Any, Protocol

import asyncpg
from tortoise.backends.base.config_generator import expand_db_url

logger = logging.getLogger("gql_crm.queue")

JobHandler = Callable[[int], Coroutine[Any, Any, None]]

_kinds: dict[str, JobHandler] = {}


def job_kind(name: str) -> Callable[[JobHandler], JobHandler]:
    """Registers a coroutine `handler(row_id)` as the job kind `name`."""

    def register(handler: JobHandler) -> JobHandler:
        _kinds[name] = handler
        return handler

    return register


class Released(Exception):
    """Raised by a job between two batches when its worker is stopping: the job goes back
    to the queue for another worker."""


class JobQueue(Protocol):
    async def enqueue(self, kind: str, row_id: int) -> None: ...

    def runs_here(self) -> bool:
        """True when enqueued jobs run in this process, as tasks (`task_of`)."""


class InProcessQueue:
    """Jobs as tasks of this process."""

    def __init__(self) -> None:
        self._tasks: dict[tuple[str, int], asyncio.Task] = {}

    async def enqueue(self, kind: str, row_id: int) -> None:
        self.launch(kind, row_id)

    def launch(self, kind: str, row_id: int) -> asyncio.Task:
        key = (kind, row_id)
        task = asyncio.create_task(_kinds[kind](row_id), name=f"{kind}-{row_id}")
        self._tasks[key] = task
        task.add_done_callback(lambda _: self._tasks.pop(key, None))
        return task

    def task_of(self, kind: str, row_id: int) -> asyncio.Task | None:
        return self._tasks.get((kind, row_id))

    def runs_here(self) -> bool:
        return True


class PgQueue:
    """Jobs in pgqueuer's queue table, run by whichever worker takes them."""

    def __init__(self, pool: asyncpg.Pool):
        from pgqueuer import Queries

        self.queries = Queries.from_asyncpg_pool(pool)

    async def enqueue(self, kind: str, row_id: int) -> None:
        # One queue entry per row, however often a caller asks.
        await self.queries.enqueue(
            kind, str(row_id).encode(), dedupe_key=f"{kind}:{row_id}", on_conflict="skip"
        )

    def runs_here(self) -> bool:
        return False


in_process = InProcessQueue()
_current: JobQueue = in_process


def current() -> JobQueue:
    return _current


async def enqueue(kind: str, row_id: int) -> None:
    await _current.enqueue(kind, row_id)


def task_of(kind: str, row_id: int) -> asyncio.Task | None:
    """The task running the job in this process, if the in-process queue runs it."""
    return in_process.task_of(kind, row_id)


def is_postgres(db_url: str) -> bool:
    return expand_db_url(db_url)["engine"] == "tortoise.backends.asyncpg"


def connect_kwargs(db_url: str) -> dict[str, Any]:
    """asyncpg's arguments for the database of a Tortoise URL."""
    credentials = expand_db_url(db_url)["credentials"]
    return {
        "host": credentials.get("host"),
        "port": credentials.get("port"),
        "user": credentials.get("user"),
        "password": credentials.get("password"),
        "database": credentials.get("database"),
    }


async def install_schema(db_url: str) -> None:
    """Creates pgqueuer's tables on first use, brings them to this pgqueuer's version after
    an upgrade (`gql-crm migrate`, and every start of `serve` and `worker`)."""
    from pgqueuer import Queries

    connection = await asyncpg.connect(**connect_kwargs(db_url))
    try:
        queries = Queries.from_asyncpg_connection(connection)
        async with queries.schema_lock():
            if await queries.schema_is_installed():
                await queries.apply_upgrade()
            else:
                await queries.install()
    finally:
        await connection.close()


@asynccontextmanager
async def advisory_lock(db_url: str, key: int):
    """Holds PostgreSQL's session advisory lock `key` for the block, waiting for it. On a
    connection of its own, so the lock lasts however the block uses the database; closing
    that connection releases it even if the unlock could not run."""
    connection = await asyncpg.connect(**connect_kwargs(db_url))
    try:
        await connection.execute("SELECT pg_advisory_lock($1)", key)
        try:
            yield
        finally:
            await connection.execute("SELECT pg_advisory_unlock($1)", key)
    finally:
        await connection.close()


@asynccontextmanager
async def using_pg_queue(db_url: str):
    """For a process's lifetime: jobs it enqueues go to pgqueuer's queue."""
    global _current
    pool = await asyncpg.create_pool(**connect_kwargs(db_url), min_size=1, max_size=2)
    previous, _current = _current, PgQueue(pool)
    try:
        yield _current
    finally:
        _current = previous
        await pool.close()


# The stop signal of the worker running the current job, set for each job the worker runs
# (a job's task is its own context): None for jobs that run outside queue workers.
_worker_shutdown: ContextVar[asyncio.Event | None] = ContextVar("worker_shutdown", default=None)


def stopping() -> bool:
    """Whether the worker running the current job is stopping: the job then ends its
    batch and hands itself back (`Released`). Each worker run has its own signal, so a
    worker stopping (or restarted) never releases the jobs of another worker of the same
    process, nor the jobs that run in-process."""
    shutdown = _worker_shutdown.get()
    return shutdown is not None and shutdown.is_set()


async def run_worker(
    db_url: str,
    *,
    heartbeat_timeout: float,
    concurrency: int,
    shutdown: asyncio.Event,
    ready: asyncio.Event | None = None,
) -> None:
    """Takes jobs from pgqueuer's queue and runs them until `shutdown` is set; then each
    running job ends its batch and goes back to the queue. Needs Tortoise initialised."""
    from pgqueuer import Queries, QueueManager, RetryRequested
    from pgqueuer.models import Job

    class Manager(QueueManager):
        def entrypoints_below_capacity_limits(self) -> set:
            """pgqueuer's hook for the kinds this worker may dequeue now: none once it runs
            `concurrency` jobs. pgqueuer's own cap per worker (`max_concurrent_tasks`)
            cannot go below twice its dequeue batch, so a worker would take a second
            import while another worker is idle; with this one it takes what it can run."""
            if len(self.job_context) >= concurrency:
                return set()
            return super().entrypoints_below_capacity_limits()

    connection = await asyncpg.connect(**connect_kwargs(db_url))
    manager = Manager(Queries.from_asyncpg_connection(connection))

    def entrypoint(kind: str, handler: JobHandler) -> None:
        @manager.entrypoint(kind)
        async def run(job: Job) -> None:
            _worker_shutdown.set(shutdown)
            try:
                await handler(int(job.payload or b"0"))
            except Released as exc:
                raise RetryRequested(reason="worker stopping") from exc

    for kind, handler in _kinds.items():
        entrypoint(kind, handler)

    async def stop_when_told() -> None:
        await shutdown.wait()
        manager.shutdown.set()

    stopper = asyncio.create_task(stop_when_told())
    try:
        if ready is not None:
            ready.set()
        await manager.run(
            # A job is a whole import: take one at a time, up to `concurrency` at once (the
            # Manager's hook; pgqueuer's cap is at least twice its batch).
            batch_size=1,
            max_concurrent_tasks=max(2, concurrency),
            heartbeat_timeout=timedelta(seconds=heartbeat_timeout),
            dequeue_timeout=timedelta(seconds=heartbeat_timeout),
        )
    finally:
        stopper.cancel()
        with suppress(asyncio.CancelledError):
            await stopper
        await connection.close()


# How long an embedded worker that crashed waits before it starts again (a database that
# went away is not hammered with reconnects).
RESTART_DELAY_SECONDS = 5.0


async def run_worker_restarting(
    db_url: str,
    *,
    heartbeat_timeout: float,
    concurrency: int,
    shutdown: asyncio.Event,
    restart_delay: float = RESTART_DELAY_SECONDS,
) -> None:
    """`run_worker` for the worker embedded in `serve`: a crash is logged at once and the
    worker starts again after `restart_delay`, until `shutdown` is set. The API of that
    process keeps serving meanwhile; the jobs the crashed worker held go to another worker
    (or to this one once restarted) when their heartbeat is stale."""
    while not shutdown.is_set():
        try:
            await run_worker(
                db_url,
                heartbeat_timeout=heartbeat_timeout,
                concurrency=concurrency,
                shutdown=shutdown,
            )
        except Exception:
            logger.exception(
                "the embedded queue worker crashed; it restarts in %s s", restart_delay
            )
        with suppress(TimeoutError):
            await asyncio.wait_for(shutdown.wait(), restart_delay)
