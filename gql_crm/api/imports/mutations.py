import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from gql_crm.api import docs
from gql_crm.api.core.relay import record_id
from gql_crm.api.errors import MutationPayload, user_errors
from gql_crm.api.imports.types import (
    ImportJob,
    ImportJobPayload,
    ImportOptionsInput,
    ImportUndoReport,
    UndoImportJobPayload,
)
from gql_crm.services.errors import UserErrors
from gql_crm.services.imports import jobs, undo

IMPORT_JOB_PAYLOAD = MutationPayload(ImportJobPayload, "import_job", ImportJob.from_model)


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
        return await IMPORT_JOB_PAYLOAD.run(
            info, lambda: jobs.start_import(context.actor, context.settings, file, service_options)
        )

    @strawberry.mutation(
        description="Stops a queued or running import and rolls back what it wrote; stops an "
        "UNDOING job's undo after its current batch (the job goes back to SUCCEEDED, partly "
        "undone: undoImportJob takes it up again). Needs MANAGER."
    )
    async def cancel_import_job(
        self,
        info: Info,
        id: docs.record_id("ImportJob"),
    ) -> ImportJobPayload:
        context = info.context
        return await IMPORT_JOB_PAYLOAD.run(
            info, lambda: jobs.cancel(context.actor, record_id(id, "ImportJob"))
        )

    @strawberry.mutation(
        description="Undoes a SUCCEEDED import (needs MANAGER): deletes the clients and "
        "companies it created, unless something was added to them since, and puts back the "
        "old values of the fields it updated, unless a later change touched them; what it "
        "leaves is reported with the reason. dryRun: true answers what it would do in "
        "`preview` and changes nothing. Otherwise the job becomes UNDOING and the undo runs "
        "like an import (follow it with importJobUpdated; cancelImportJob stops it), ending "
        "UNDONE. Undoing an UNDONE job again is INVALID_STATE."
    )
    async def undo_import_job(
        self,
        info: Info,
        id: docs.record_id("ImportJob"),
        dry_run: docs.argument(bool, "true: report what would happen, change nothing.") = False,
    ) -> UndoImportJobPayload:
        context = info.context
        try:
            job_id = record_id(id, "ImportJob")
            if dry_run:
                outcome = await undo.preview(context.actor, job_id)
                job = await jobs.get_job(context.org_id, job_id)
                assert job is not None, "preview() found it"
                return UndoImportJobPayload(
                    import_job=ImportJob.from_model(job),
                    preview=ImportUndoReport.from_outcome(outcome, context.language),
                    errors=[],
                )
            job = await undo.start_undo(context.actor, job_id)
        except UserErrors as exc:
            return UndoImportJobPayload(
                import_job=None, preview=None, errors=user_errors(exc, context.language)
            )
        return UndoImportJobPayload(import_job=ImportJob.from_model(job), preview=None, errors=[])
