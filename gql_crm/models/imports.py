from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.indexes import Index

from gql_crm.models.base import OrgScoped

if TYPE_CHECKING:
    from gql_crm.models.accounts import User


if TYPE_CHECKING:
    from gql_crm.models.accounts import User


class ImportJobStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    # A SUCCEEDED job being undone (undoImportJob), then undone.
    UNDOING = "UNDOING"
    UNDONE = "UNDONE"


class ImportJob(OrgScoped):
    created_by: fields.ForeignKeyNullableRelation["User"] = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    file_name = fields.CharField(max_length=255)
    file_path = fields.CharField(max_length=500, null=True)
    file_sha256 = fields.CharField(max_length=64, null=True)
    status = fields.CharEnumField(ImportJobStatus, max_length=16, default=ImportJobStatus.QUEUED)
    # What the user asked for (services.imports.options.ImportOptions.to_json), nothing else.
    options: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    # What the file turned out to be when it was uploaded (services.imports.readers.FileKind)
    # and where its data starts, so the run reads it the same way. The database defaults
    # fill the rows that existed before these columns (migration 0011 then moves their
    # values in).
    file_format = fields.CharField(max_length=4, db_default="CSV")
    file_encoding = fields.CharField(max_length=40, null=True)
    file_delimiter = fields.CharField(max_length=1, null=True)
    header_row = fields.IntField(db_default=1)
    mapping: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    unknown_columns: fields.JSONField[list[str]] = fields.JSONField(default=list)
    dry_run = fields.BooleanField(default=False)
    total_rows = fields.IntField(default=0)
    processed_rows = fields.IntField(default=0)
    created_count = fields.IntField(default=0)
    updated_count = fields.IntField(default=0)
    skipped_count = fields.IntField(default=0)
    failed_count = fields.IntField(default=0)
    # Declared: Tortoise types a column as never null, whatever `null` says.
    failure_reason: str | None = fields.TextField(null=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)
    # Who runs the job: a process of its own (SQLite, the CLI), or the queue engine, which
    # gives a dead worker's job to another. How another server tells a dead in-process job
    # from a running one: its process is gone, or its heartbeat (written at the start and
    # after every batch) is old.
    owner_host = fields.CharField(max_length=255, null=True)
    owner_pid = fields.IntField(null=True)
    queue_engine = fields.CharField(max_length=32, null=True)
    heartbeat_at = fields.DatetimeField(null=True)
    # The fencing token of the job's runner: raised by one whenever a runner takes the job
    # (starts it, takes it over, rolls it back or finishes it for a runner thought dead).
    # Every batch writes the job only where the attempt is still its own, in the batch's
    # transaction, so a runner that was taken for dead and wakes up writes nothing more.
    attempt = fields.IntField(default=0, db_default=0)


class ImportRowError(OrgScoped):
    job: fields.ForeignKeyRelation["ImportJob"] = fields.ForeignKeyField(
        "models.ImportJob", related_name=False, on_delete=fields.CASCADE
    )
    job_id: int
    row = fields.IntField()
    column = fields.CharField(max_length=200, null=True)
    field = fields.CharField(max_length=100, null=True)
    code = fields.CharField(max_length=50)
    message = fields.TextField()
    value = fields.TextField(null=True)
    # The original cells, so failed rows can be downloaded, fixed and uploaded again.
    cells: fields.JSONField[list[str] | None] = fields.JSONField(null=True)

    class Meta:
        # The errors connection and the failed-rows download read a job's errors in order.
        indexes = (Index(fields=("job_id", "row", "id")),)


class ImportUndo(OrgScoped):
    """The undo of a SUCCEEDED import: its progress and what it did."""

    # One per job: an undo stopped halfway (canceled, or its process died) resumes from
    # its cursor.
    job: fields.OneToOneRelation["ImportJob"] = fields.OneToOneField(
        "models.ImportJob", related_name=False, on_delete=fields.CASCADE
    )
    job_id: int
    created_by: fields.ForeignKeyNullableRelation["User"] = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    total_items = fields.IntField(default=0)
    processed_items = fields.IntField(default=0)
    removed_clients = fields.IntField(default=0)
    removed_companies = fields.IntField(default=0)
    restored_clients = fields.IntField(default=0)
    restored_companies = fields.IntField(default=0)
    kept_clients = fields.IntField(default=0)
    kept_companies = fields.IntField(default=0)
    conflicts = fields.IntField(default=0)
    # Where each step stands: the last activity entry or row id it has done.
    cursor: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    finished_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)


class ImportUndoIssue(OrgScoped):
    """What an undo left as it was, and why: a created client kept, a field not restored."""

    job: fields.ForeignKeyRelation["ImportJob"] = fields.ForeignKeyField(
        "models.ImportJob", related_name=False, on_delete=fields.CASCADE
    )
    job_id: int
    reason = fields.CharField(max_length=32)
    target_type = fields.CharField(max_length=50)
    target_id = fields.IntField()
    client_id = fields.IntField(null=True)
    # The client or company field left as it is; null when the whole row was kept.
    field = fields.CharField(max_length=100, null=True)

    class Meta:
        indexes = (Index(fields=("job_id", "id")),)
