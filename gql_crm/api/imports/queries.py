import strawberry
from strawberry.types import Info

from gql_crm import models
from gql_crm.api import docs
from gql_crm.api.core.loaders import load_node
from gql_crm.api.core.relay import decode_id, paged_connection
from gql_crm.api.docs import After, Before, First, Last
from gql_crm.api.imports.types import ImportJob, ImportJobConnection, ImportJobStatus
from gql_crm.services.pagination import SortKey, datetime_key

JOB_KEYS = [datetime_key("created_at", True), SortKey("id", True, int)]


@strawberry.type
class ImportQueries:
    @strawberry.field(description="An import job of your organization.")
    async def import_job(self, info: Info, id: docs.record_id("ImportJob")) -> ImportJob | None:
        return await load_node(info, ImportJob, decode_id(id, "ImportJob"))

    @strawberry.field(description="Your organization's import jobs, newest first.")
    async def import_jobs(
        self,
        info: Info,
        status: docs.argument(ImportJobStatus | None, "Only jobs in this status.") = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> ImportJobConnection:
        queryset = models.ImportJob.filter(organization_id=info.context.org_id)
        if status is not None:
            queryset = queryset.filter(status=models.ImportJobStatus(status))
        return await paged_connection(
            info,
            ImportJobConnection,
            queryset,
            JOB_KEYS,
            ImportJob.from_model,
            first,
            after,
            last,
            before,
        )
