from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info
from strawberry.utils.str_converters import to_camel_case

from gql_crm import models
from gql_crm.api import docs
from gql_crm.api.core.loaders import load_client, load_node
from gql_crm.api.core.relay import ModelNode, counted_connection, paged_connection
from gql_crm.api.core.urls import absolute_url
from gql_crm.api.docs import After, Before, First, Last
from gql_crm.api.errors import UserError, UserErrorCode
from gql_crm.api.exports.types import column_descriptions
from gql_crm.api.projects.types import ClientRef
from gql_crm.services import messages
from gql_crm.services.imports import failed_rows, jobs, mapping, undo
from gql_crm.services.pagination import SortKey

ImportJobStatus = docs.described(
    strawberry.enum(
        models.ImportJobStatus,
        description="QUEUED -> RUNNING -> SUCCEEDED, FAILED or CANCELED; a SUCCEEDED job "
        "-> UNDOING -> UNDONE with undoImportJob.",
    ),
    {
        "QUEUED": "Waiting for its turn.",
        "RUNNING": "Importing rows; processedRows grows after every batch.",
        "SUCCEEDED": "Done: see created, updated, skipped and failed.",
        "FAILED": "Stopped by an error (failureReason); what it wrote was rolled back.",
        "CANCELED": "Stopped by cancelImportJob; what it wrote was rolled back.",
        "UNDOING": "Being undone (undoImportJob); `undo` shows the progress. cancelImportJob "
        "stops the undo and puts the job back to SUCCEEDED, partly undone.",
        "UNDONE": "Undone: see `undo` for what was removed, restored and kept. Final.",
    },
)
ImportMode = docs.described(
    strawberry.enum(
        jobs.ImportMode,
        description="What a row matching an existing client does: CREATE_ONLY reports it as a "
        "DUPLICATE error, SKIP_EXISTING skips it, UPDATE_EXISTING updates the client with the "
        "row's non-blank cells.",
    ),
    {
        "CREATE_ONLY": "A row matching an existing client is a DUPLICATE error.",
        "SKIP_EXISTING": "A row matching an existing client is skipped.",
        "UPDATE_EXISTING": "A row matching an existing client updates it with its non-blank cells.",
    },
)
ImportMatchField = docs.described(
    strawberry.enum(
        jobs.MatchOn,
        name="ImportMatchField",
        description="How a row finds its existing client: the normalized email, or the compact "
        "tax ID of the client's company.",
    ),
    {
        "EMAIL": "The client's email, normalized.",
        "TAX_ID": "The compact tax ID of the client's company.",
    },
)
ImportField = docs.described(
    strawberry.enum(
        docs.names_enum("ImportField", mapping.FIELDS),
        name="ImportField",
        description="The client fields a column can fill (the export's columns).",
    ),
    {key: text for key, text in column_descriptions().items() if key.lower() in mapping.FIELDS},
)


@strawberry.input(description="A column of the file and the field it fills.")
class ImportColumnInput:
    column: str = strawberry.field(description="The header, as in the file (any case/accents).")
    field: ImportField | None = strawberry.field(description="null ignores the column.")


@strawberry.input(description="How importClients reads the file and what its rows do.")
class ImportOptionsInput:
    dry_run: bool = strawberry.field(
        default=False, description="Report the mapping, errors and counts; write nothing."
    )
    mode: ImportMode = strawberry.field(
        default=jobs.ImportMode.SKIP_EXISTING, description="What rows matching a client do."
    )
    match_on: list[ImportMatchField] = strawberry.field(
        default_factory=lambda: [jobs.MatchOn.EMAIL],
        description="Tried in order: EMAIL, then TAX_ID.",
    )
    mapping: list[ImportColumnInput] | None = strawberry.field(
        default=None, description="Overrides the automatic mapping for these columns."
    )
    default_country: str | None = strawberry.field(
        default=None,
        description="For phones and tax IDs of rows without a country; defaults to the "
        "organization's.",
    )
    sheet: str | None = strawberry.field(
        default=None, description="XLSX: the sheet to read (default: the first)."
    )
    skip_invalid_rows: bool = strawberry.field(
        default=True,
        description="true: valid rows go in, invalid ones are reported. false: nothing goes "
        "in when any row is invalid.",
    )

    def to_service(self, language: str) -> jobs.ImportOptions:
        overrides: dict[str, str | None] | None = None
        if self.mapping is not None:
            overrides = {
                item.column: item.field.value.lower() if item.field else None
                for item in self.mapping
            }
        return jobs.ImportOptions(
            dry_run=self.dry_run,
            mode=jobs.ImportMode(self.mode),
            match_on=tuple(dict.fromkeys(jobs.MatchOn(m) for m in self.match_on))
            or (jobs.MatchOn.EMAIL,),
            mapping=overrides,
            default_country=self.default_country,
            sheet=self.sheet,
            skip_invalid_rows=self.skip_invalid_rows,
            language=language,
        )


@strawberry.type(description="A column of the file and the field it fills.")
class ImportColumnMapping:
    index: int = strawberry.field(description="0-based position of the column in the file.")
    column: str = strawberry.field(description="The header, as in the file.")
    field: ImportField = strawberry.field(description="The client field it fills.")


@strawberry.type(description="A problem with one row (row numbers are the spreadsheet's).")
class ImportRowError:
    row: int = strawberry.field(description="The row's number in the file (the header is 1).")
    column: str | None = strawberry.field(description="The file's header of the cell at fault.")
    field: ImportField | None = strawberry.field(
        description="The field at fault; null for the row as a whole."
    )
    code: UserErrorCode = strawberry.field(description="What is wrong.")
    message: str = strawberry.field(description="In the language of the importing request.")
    value: str | None = strawberry.field(description="The cell as it was in the file.")

    @classmethod
    def from_model(cls, row: models.ImportRowError) -> "ImportRowError":
        return cls(
            row=row.row,
            column=row.column,
            field=ImportField[row.field.upper()] if row.field in mapping.FIELDS else None,
            code=UserErrorCode(row.code),
            message=row.message,
            value=row.value,
        )


ImportRowErrorConnection = counted_connection(ImportRowError, "Row errors in file order.")

if TYPE_CHECKING:
    from gql_crm.api.clients.types import Company

CompanyRef = Annotated["Company", strawberry.lazy("gql_crm.api.clients.types")]

ImportUndoReason = docs.described(
    strawberry.enum(
        undo.Reason,
        name="ImportUndoReason",
        description="Why undoing an import left a client, company or field as it is.",
    ),
    {
        "RECORDS_ADDED": "A created client has records added since (an invoice, project, deal, "
        "file, activity...): it is kept.",
        "CHANGED_SINCE": "A later change touched the field (or the created client): it keeps "
        "its current value.",
        "EMAIL_TAKEN": "The old email belongs to another active client now: the current one stays.",
        "LINK_GONE": "The old company or category was deleted since: the current one stays.",
        "COMPANY_IN_USE": "A created company still has a client that stays: it is kept.",
    },
)


@strawberry.type(description="Something undoing an import left as it is, and why.")
class ImportUndoIssue:
    reason: ImportUndoReason = strawberry.field(description="Why it was left.")
    target_type: str = strawberry.field(description="Client or Company.")
    field: str | None = strawberry.field(
        description="The field left as it is (API name, e.g. email, legalName); null when the "
        "whole client or company was kept."
    )
    message: str = strawberry.field(description="The reason, in the request's language.")
    client_id: strawberry.Private[int | None]
    target_id: strawberry.Private[int]

    @classmethod
    def build(cls, issue, language: str) -> "ImportUndoIssue":
        """From a stored issue or one of a dry run (same attributes)."""
        reason = undo.Reason(issue.reason)
        return cls(
            reason=reason,
            target_type=issue.target_type,
            field=to_camel_case(issue.field) if issue.field else None,
            message=messages.message(f"UNDO_{reason.value}", language),
            client_id=issue.client_id,
            target_id=issue.target_id,
        )

    @strawberry.field(
        description="The client concerned (for a company, one of its clients that stays); "
        "null if it no longer exists."
    )
    async def client(self, info: Info) -> ClientRef | None:
        return await load_client(info, self.client_id) if self.client_id else None

    @strawberry.field(
        description="For a company's issue (targetType Company), the company; null otherwise "
        "or if it no longer exists."
    )
    async def company(self, info: Info) -> CompanyRef | None:
        # Imported here: the clients' types import these, through the activity tab.
        from gql_crm.api.clients.types import Company

        if self.target_type != "Company":
            return None
        return await load_node(info, Company, self.target_id)


ImportUndoIssueConnection = counted_connection(ImportUndoIssue, "Undo issues in order found.")
ISSUE_KEYS = [SortKey("id")]


@strawberry.interface(description="What undoing an import did, or would do.")
class ImportUndoCounts:
    removed_clients: int = strawberry.field(description="Created clients deleted.")
    removed_companies: int = strawberry.field(description="Created companies deleted.")
    restored_clients: int = strawberry.field(
        description="Updated clients given back some or all of their old values."
    )
    restored_companies: int = strawberry.field(
        description="Updated companies given back some or all of their old values."
    )
    kept_clients: int = strawberry.field(
        description="Created clients kept: something was added to them since."
    )
    kept_companies: int = strawberry.field(
        description="Created companies kept: a client that stays uses them."
    )
    conflicts: int = strawberry.field(
        description="Fields left as they are: changed since, or their old value cannot come back."
    )


def _counts(source) -> dict[str, int]:
    return {
        name: source[name] if isinstance(source, dict) else getattr(source, name)
        for name in undo.COUNTS
    }


@strawberry.type(description="What undoing the job would do now (a dry run), changing nothing.")
class ImportUndoReport(ImportUndoCounts):
    issues: list[ImportUndoIssue] = strawberry.field(
        description="Everything the undo would leave as it is, with the reason."
    )

    @classmethod
    def from_outcome(cls, outcome: undo.Outcome, language: str) -> "ImportUndoReport":
        return cls(
            **_counts(outcome.counts),
            issues=[ImportUndoIssue.build(issue, language) for issue in outcome.issues],
        )


@strawberry.type(description="The undo of an import job: its progress and what it did.")
class ImportUndo(ImportUndoCounts):
    total_items: int = strawberry.field(
        description="Clients and companies the import created or updated, each counted once "
        "per change."
    )
    processed_items: int = strawberry.field(description="Items done so far.")
    started_at: datetime = strawberry.field(description="When the undo was asked for.")
    finished_at: datetime | None = strawberry.field(
        description="When it finished (the job is then UNDONE); null until then."
    )
    job_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: models.ImportUndo) -> "ImportUndo":
        return cls(
            **_counts(row),
            total_items=row.total_items,
            processed_items=row.processed_items,
            started_at=row.created_at,
            finished_at=row.finished_at,
            job_id=row.job_id,
        )

    @strawberry.field(description="What the undo left as it is, with the reason, in order found.")
    async def issues(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> ImportUndoIssueConnection:
        queryset = models.ImportUndoIssue.filter(
            organization_id=info.context.org_id, job_id=self.job_id
        )
        language = info.context.language
        return await paged_connection(
            info,
            ImportUndoIssueConnection,
            queryset,
            ISSUE_KEYS,
            lambda row: ImportUndoIssue.build(row, language),
            first,
            after,
            last,
            before,
        )


ERROR_KEYS = [SortKey("row"), SortKey("id")]


@strawberry.type(description="One upload of clients and what became of its rows.")
class ImportJob(ModelNode):
    _model = models.ImportJob

    id: relay.NodeID[int]
    status: ImportJobStatus = strawberry.field(description="Where the job stands.")
    file_name: str = strawberry.field(description="The uploaded file's name.")
    dry_run: bool = strawberry.field(description="true: it reports and writes nothing.")
    mode: ImportMode = strawberry.field(description="What rows matching a client do.")
    match_on: list[ImportMatchField] = strawberry.field(
        description="How rows find their existing client, in this order."
    )
    mapping: list[ImportColumnMapping] = strawberry.field(description="The mapping used.")
    unknown_columns: list[str] = strawberry.field(
        description="Columns no field matched: not imported (map them with options.mapping)."
    )
    ignored_columns: list[str] = strawberry.field(
        description="Known columns that are not imported (the export's status and date "
        "added, repeated or explicitly ignored columns)."
    )
    total_rows: int = strawberry.field(description="Non-blank rows below the header.")
    processed_rows: int = strawberry.field(description="Rows done so far.")
    created: int = strawberry.field(description="Clients created.")
    updated: int = strawberry.field(description="Existing clients updated.")
    skipped: int = strawberry.field(description="Existing clients skipped or left unchanged.")
    failed: int = strawberry.field(description="Rows with at least one error.")
    failure_reason: str | None = strawberry.field(
        description="Why the job FAILED; its writes were then rolled back."
    )
    created_at: datetime = strawberry.field(description="When the file was uploaded.")
    started_at: datetime | None = strawberry.field(
        description="When it started running; null while QUEUED."
    )
    finished_at: datetime | None = strawberry.field(
        description="When it ended; null while QUEUED or RUNNING."
    )
    row: strawberry.Private[models.ImportJob]

    @classmethod
    def from_model(cls, row: models.ImportJob) -> "ImportJob":
        options = row.options or {}
        columns = (row.mapping or {}).get("columns", [])
        return cls(
            id=row.id,
            status=row.status,
            file_name=row.file_name,
            dry_run=row.dry_run,
            mode=jobs.ImportMode(options.get("mode", jobs.ImportMode.SKIP_EXISTING)),
            match_on=[jobs.MatchOn(m) for m in options.get("match_on", [])],
            mapping=[
                ImportColumnMapping(index=index, column=column, field=ImportField[key.upper()])
                for index, column, key in columns
            ],
            unknown_columns=list(row.unknown_columns or []),
            ignored_columns=list((row.mapping or {}).get("ignored", [])),
            total_rows=row.total_rows,
            processed_rows=row.processed_rows,
            created=row.created_count,
            updated=row.updated_count,
            skipped=row.skipped_count,
            failed=row.failed_count,
            failure_reason=row.failure_reason,
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
            row=row,
        )

    @strawberry.field(description="The row errors, in file order.")
    async def errors(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> ImportRowErrorConnection:
        queryset = models.ImportRowError.filter(organization_id=info.context.org_id, job_id=self.id)
        return await paged_connection(
            info,
            ImportRowErrorConnection,
            queryset,
            ERROR_KEYS,
            ImportRowError.from_model,
            first,
            after,
            last,
            before,
        )

    @strawberry.field(
        description="The undo of this job (undoImportJob): progress, counts and issues; null "
        "if it was never undone."
    )
    async def undo(self, info: Info) -> ImportUndo | None:
        async def batch(job_ids: list[int]) -> list[models.ImportUndo | None]:
            rows = await models.ImportUndo.filter(
                organization_id=info.context.org_id, job_id__in=job_ids
            )
            found = {row.job_id: row for row in rows}
            return [found.get(job_id) for job_id in job_ids]

        # A subscription keeps its context across updates: each one reads the progress anew.
        row = await info.context.loaders.get("import_undo", batch, cache=False).load(self.id)
        return ImportUndo.from_model(row) if row else None

    @strawberry.field(
        description="GET downloads the failed rows as CSV (the original columns plus "
        "'Errors') to fix and upload again. Signed; null while running or with no failures."
    )
    def failed_rows_url(self, info: Info) -> str | None:
        if self.failed == 0 or self.status not in (
            models.ImportJobStatus.SUCCEEDED,
            models.ImportJobStatus.FAILED,
        ):
            return None
        signed = failed_rows.token(info.context.settings, self.row)
        return absolute_url(info, f"/imports/failed-rows/{signed}")


ImportJobConnection = counted_connection(ImportJob, "Import jobs, newest first.")


@strawberry.type(description="The answer of undoImportJob.")
class UndoImportJobPayload:
    import_job: ImportJob | None = strawberry.field(
        description="The job as it is now: UNDOING after a real undo (follow it with "
        "importJobUpdated), unchanged after a dry run; null on errors."
    )
    preview: ImportUndoReport | None = strawberry.field(
        description="dryRun: true: what the undo would do now; null otherwise."
    )
    errors: list[UserError] = strawberry.field(description=docs.ERRORS)


@strawberry.type(description="The answer of importClients and cancelImportJob.")
class ImportJobPayload:
    import_job: ImportJob | None = strawberry.field(
        description="The job as it is now; null on errors."
    )
    errors: list[UserError] = strawberry.field(description=docs.ERRORS)
