"""Fencing: a job advanced by one runner at a time, even when one thought dead wakes up.

A runner is whoever writes for a job: the worker or process that runs it, or the one that
rolls back or finishes it for a runner taken for dead (a queue worker whose heartbeat
stopped, an in-process job silent for STALE_AFTER). Taking the job raises its `attempt`
by one with a conditional UPDATE (`take`), and that number is the runner's fencing token.
Every batch writes the job's row (progress, heartbeat, the final status) with
`WHERE id = ? AND attempt = ?` inside the batch's transaction (`fence`): when another
runner has taken the job since, that UPDATE finds no row, `Superseded` rolls the batch's
transaction back, and the stale runner stops having written nothing more. Whatever it
committed before the new runner took the job, the new one undoes (it rolls back or, for an
undo, goes on from the committed cursor).
"""

from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F
from tortoise.timezone import now

from gql_crm.models import ImportJob, ImportJobStatus


class Superseded(Exception):
    """Another runner took the job: its attempt is no longer this runner's. Raised inside a
    batch's transaction, which rolls back, so the batch leaves nothing; the runner stops."""


async def take(job: ImportJob, when: ImportJobStatus | None = None, **changes: Any) -> bool:
    """Makes the caller the job's runner (the job started, taken over, or finished for a
    runner thought dead): its attempt goes up by one, provided nobody took the job since it
    was read (the attempt is still `job.attempt`) and its status is `when` (if given). On
    success `job.attempt` is the caller's fencing token."""
    conditions: dict[str, Any] = {"id": job.id, "attempt": job.attempt}
    if when is not None:
        conditions["status"] = when
    stamp = now()
    taken = await ImportJob.filter(**conditions).update(
        attempt=F("attempt") + 1, updated_at=stamp, heartbeat_at=stamp, **changes
    )
    if taken:
        job.attempt += 1
    return bool(taken)


async def fence(connection: BaseDBAsyncClient, job_id: int, attempt: int, **changes: Any) -> None:
    """A batch's write to its job (progress, heartbeat), in the batch's transaction, made
    only while `attempt` is still the job's: otherwise Superseded rolls the batch back.
    On PostgreSQL the UPDATE waits for a `take` in progress and then reads its result."""
    stamp = now()
    if not await (
        ImportJob.filter(id=job_id, attempt=attempt)
        .using_db(connection)
        .update(updated_at=stamp, heartbeat_at=stamp, **changes)
    ):
        raise Superseded
