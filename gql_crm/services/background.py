"""Tasks that run beside a server for its lifetime (lifespan context managers)."""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager, suppress
from typing import Any

logger = logging.getLogger("gql_crm.background")


@asynccontextmanager
async def running(coroutine: Coroutine[Any, Any, None], name: str) -> AsyncIterator[None]:
    """`coroutine` as a task while the block runs, cancelled when it ends."""
    task = asyncio.create_task(coroutine, name=name)
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


async def every(interval: float, action: Callable[[], Awaitable[None]], what: str) -> None:
    """`action()` every `interval` seconds, forever. A failure (the database restarting, a
    lost connection) is logged and the next round comes as planned: one error must not end
    the checks for the rest of the server's life."""
    while True:
        await asyncio.sleep(interval)
        try:
            await action()
        except Exception:
            logger.exception("%s failed", what)
