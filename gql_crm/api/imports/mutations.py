import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from gql_crm.api import docs
from gql_crm.api.errors import mutate
from gql_crm.api.imports.types import ImportJob, ImportJobPayload, ImportOptionsInput
from gql_crm.api.relay import decode_id
from gql_crm.services.imports import jobs


@strawberry.type
class ImportMutations:
    @strawberry.mutation(
        description="Imports clients from a CSV (any common encoding and delimiter) or XLSX "
        "upload. The file and its header are checked now; the rows are imported by a job: "
        "follow it with `importJob` or the `importJobUpdated` subscription. Needs MANAGER. "
        "Send it as a GraphQL multipart request with the header 'GraphQL-Require-Preflight: 1'."
    )
    async def import_clients(
        self,
        info: Info,
        file: docs.argument(Upload, "A CSV or XLSX file, as a part of a multipart request."),
        options: docs.argument(ImportOptionsInput | None, "Defaults as described there.") = None,
    ) -> ImportJobPayload:
        context = info.context
        service_options = (options or ImportOptionsInput()).to_service(context.language)
        return await mutate(
            info,
            ImportJobPayload,
            "import_job",
            ImportJob.from_model,
            lambda: jobs.start_import(context.actor, context.settings, file, service_options),
        )

    @strawberry.mutation(
        description="Stops a queued or running import and rolls back what it wrote. Needs MANAGER."
    )
    async def cancel_import_job(
        self,
        info: Info,
        id: docs.record_id("ImportJob"),
    ) -> ImportJobPayload:
        context = info.context
        return await mutate(
            info,
            ImportJobPayload,
            "import_job",
            ImportJob.from_model,
            lambda: jobs.cancel(context.actor, decode_id(id, "ImportJob") or 0),
        )
