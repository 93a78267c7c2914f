"""Notifications of a job's progress, for the importJobUpdated subscription.

Within a process an event wakes the subscribers. On PostgreSQL every change is also sent
with NOTIFY on CHANNEL, and each API process LISTENs (`listening`) and wakes its own
subscribers: a job run by a worker on another host reaches every process without polling.
Without that connection (SQLite, or while it is being re-established) a subscriber also
re-reads its job on a timer.
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import asyncpg
from tortoise import connections

from gql_crm.services import background
from gql_crm.services.queue import connect_kwargs

logger = logging.getLogger("gql_crm.imports")

CHANNEL = "gql_crm_job_events"
# Pause before connecting again after the listening connection was lost.
RECONNECT_SECONDS = 1.0

_listeners: dict[int, set[asyncio.Event]] = {}
_listening = asyncio.Event()


def notify(job_id: int) -> None:
    """Wakes this process's subscribers of the job."""
    for event in _listeners.get(job_id, ()):
        event.set()


async def publish(job_id: int) -> None:
    """Wakes the job's subscribers in every process. Never raises: a lost notification
    only delays a subscriber until the next one (or its timer)."""
    notify(job_id)
    connection = connections.get("default")
    if connection.capabilities.dialect != "postgres":
        return
    try:
        await connection.execute_query("SELECT pg_notify($1, $2)", [CHANNEL, str(job_id)])
    except Exception:
        logger.warning("could not send the progress of job %s", job_id, exc_info=True)


def across_processes() -> bool:
    """True while this process hears the NOTIFYs of every other one."""
    return _listening.is_set()


@asynccontextmanager
async def listen(job_id: int) -> AsyncIterator[asyncio.Event]:
    event = asyncio.Event()
    _listeners.setdefault(job_id, set()).add(event)
    try:
        yield event
    finally:
        listeners = _listeners.get(job_id, set())
        listeners.discard(event)
        if not listeners:
            _listeners.pop(job_id, None)


def _received(connection, pid, channel, payload: str) -> None:
    with suppress(ValueError):
        notify(int(payload))


async def _listen_forever(db_url: str) -> None:
    while True:
        try:
            connection = await asyncpg.connect(**connect_kwargs(db_url))
        except (OSError, asyncpg.PostgresError):
            logger.warning("could not connect to LISTEN for job events; retrying")
            await asyncio.sleep(RECONNECT_SECONDS)
            continue
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _, lost=lost: lost.set())
        try:
            await connection.add_listener(CHANNEL, _received)
            _listening.set()
            # Whatever happened while nobody listened: every subscriber looks again.
            for job_id in list(_listeners):
                notify(job_id)
            await lost.wait()
            logger.warning("the connection listening for job events was lost; reconnecting")
        finally:
            _listening.clear()
            await connection.close()
        await asyncio.sleep(RECONNECT_SECONDS)


@asynccontextmanager
async def listening(db_url: str):
    """For an API process's lifetime on PostgreSQL: job events of every process."""
    async with background.running(_listen_forever(db_url), "job-events"):
        yield
