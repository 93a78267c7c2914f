import asyncio
from collections.abc import AsyncGenerator
from contextlib import suppress

import strawberry
from strawberry.types import Info

from gql_crm.api import docs
from gql_crm.api.core.relay import decode_id
from gql_crm.api.imports.types import ImportJob
from gql_crm.services.imports import jobs, progress

# Without PostgreSQL's NOTIFYs a job run by another process (a CLI import on the same
# SQLite file) is followed by re-reading it at this pace.
POLL_SECONDS = 1.0


@strawberry.type
class ImportSubscriptions:
    @strawberry.subscription(
        description="The job now and after every batch, until it ends (graphql-transport-ws; "
        'send {"Authorization": "Bearer <token>"} as the connection_init payload). '
        "Another organization's job, like a missing one, yields a single null."
    )
    async def import_job_updated(
        self, info: Info, id: docs.record_id("ImportJob")
    ) -> AsyncGenerator[ImportJob | None, None]:
        org_id = info.context.org_id
        job_id = decode_id(id, "ImportJob") or 0
        async with progress.listen(job_id) as changed:
            last = None
            while True:
                changed.clear()
                row = await jobs.get_job(org_id, job_id)
                if row is None:
                    yield None
                    return
                state = (row.status, row.processed_rows, row.updated_at)
                if state != last:
                    last = state
                    yield ImportJob.from_model(row)
                if row.status in jobs.TERMINAL and row.finished_at is not None:
                    return
                timeout = None if progress.across_processes() else POLL_SECONDS
                with suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), timeout)
