"""In-process notifications of a job's progress, for the importJobUpdated subscription.

A listener also re-reads the job on a timer, so it follows jobs run by another process.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

_listeners: dict[int, set[asyncio.Event]] = {}


def notify(job_id: int) -> None:
    for event in _listeners.get(job_id, ()):
        event.set()


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
