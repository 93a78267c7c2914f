"""Import jobs: upload, validate every row through the clients service, write in batches.

A job writes in short transactions of BATCH_SIZE rows, so reads never wait long behind an
import. What makes it all-or-nothing is that everything it writes is marked with it: the
clients and companies it creates carry `import_job`, and the activity entry of each client
it updates holds the old values. A job that fails, is canceled, or dies with its process
is rolled back from those marks. The roll-back is itself idempotent, so a crash during it
is finished by the next attempt.

Jobs run where `gql_crm.services.queue` puts them. On PostgreSQL a queue worker runs it
(`queue_engine`), and when that worker dies the queue hands the job to another one, which
finds it RUNNING: it rolls back what the dead run wrote and imports the file again from the
start. A job run in-process (SQLite, the CLI) is recovered by any server sharing the
database, at start-up and every RECOVERY_INTERVAL_SECONDS: on the same host its process id
(`owner_pid`) is gone, anywhere its `heartbeat_at` (written by every batch) is older than
STALE_AFTER. Either way a runner only taken for dead (paused, cut off) may wake up: the
job's attempt fences it out (fencing.py).
"""

import asyncio
import hashlib
import logging
import os
import socket
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing, suppress
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiofiles
import aiofiles.os
from tortoise import connections
from tortoise.expressions import Q
from tortoise.timezone import now
from tortoise.transactions import in_transaction

from gql_crm.config import Settings
from gql_crm.models import (
    Activity,
    Client,
    Company,
    Gender,
    ImportJob,
    ImportJobStatus,
    ImportRowError,
    Role,
)
from gql_crm.services import background, queue, storage
from gql_crm.services.auth import Actor
from gql_crm.services.errors import ErrorCode, InputError, UserErrors
from gql_crm.services.imports import mapping as mappings
from gql_crm.services.imports import progress, readers
from gql_crm.services.imports.batches import (
    SEARCHED_COMPANY_FIELDS,
    Run,
    bulk_update,
    refresh_search_text,
)
from gql_crm.services.imports.fencing import Superseded, fence, take
from gql_crm.services.imports.options import (
    UPDATABLE,
    VERB_COMPANY_UPDATED,
    VERB_UPDATED,
    ImportMode,
    ImportOptions,
    MatchOn,
)
from gql_crm.services.keys import company_name_key, company_search_parts, set_client_keys
from gql_crm.services.messages import message
from gql_crm.services.storage import CHUNK_SIZE, storage_for
from gql_crm.services.validation import FieldInvalid, normalize_country

__all__ = [
    "ImportMode",
    "ImportOptions",
    "MatchOn",
    "cancel",
    "get_job",
    "recover_interrupted",
    "start_import",
]

logger = logging.getLogger("gql_crm.imports")

BATCH_SIZE = 1000
# A job that writes this many rows refreshes PostgreSQL's statistics (`maintain_tables`).
MAINTAIN_AFTER_ROWS = 10_000
# A title or notes above the header are common in exported spreadsheets.
HEADER_SEARCH_ROWS = 10
TERMINAL = (
    ImportJobStatus.SUCCEEDED,
    ImportJobStatus.FAILED,
    ImportJobStatus.CANCELED,
    ImportJobStatus.UNDONE,
)
# A job that has not written for this long is taken for dead (each batch writes).
STALE_AFTER = timedelta(minutes=10)
# How often a server looks for jobs whose process died.
RECOVERY_INTERVAL_SECONDS = 30.0
# Which process runs a job in-process (its owner_host and owner_pid columns): several
# servers may share a database, and each recovers only the jobs of processes that are gone.
THIS_PROCESS: dict[str, Any] = {"owner_host": socket.gethostname(), "owner_pid": os.getpid()}
# The engine that runs a queued job (its queue_engine column), and recovers it itself.
QUEUE_ENGINE = "pgqueuer"
KIND = "import"
# The undo of a SUCCEEDED job (services/imports/undo.py), on the same row.
UNDO_KIND = "undo_import"


# ---- starting a job ---------------------------------------------------------------------


def runner() -> dict[str, Any]:
    """The columns naming who runs a job (or its undo) started now: this process, or the
    queue engine."""
    if queue.current().runs_here():
        return {**THIS_PROCESS, "queue_engine": None}
    return {"owner_host": None, "owner_pid": None, "queue_engine": QUEUE_ENGINE}


def _scratch_file() -> Path:
    """A new local file for this process's own use (the readers need a seekable file)."""
    descriptor, name = tempfile.mkstemp(prefix="gql-crm-import-", suffix=".upload")
    os.close(descriptor)
    return Path(name)


async def _spool(settings: Settings, upload) -> tuple[Path, str]:
    """The upload streamed to a scratch file (never whole in memory), refused past the size
    limit."""
    path = _scratch_file()
    digest = hashlib.sha256()
    size = 0
    try:
        async with aiofiles.open(path, "wb") as out:
            while chunk := await upload.read(CHUNK_SIZE):
                size += len(chunk)
                if size > settings.max_upload_bytes:
                    raise UserErrors.single(
                        ErrorCode.FILE_TOO_LARGE, "file", max_bytes=settings.max_upload_bytes
                    )
                digest.update(chunk)
                await out.write(chunk)
    except BaseException:
        await _remove(path)
        raise
    return path, digest.hexdigest()


async def _remove(path: Path | str | None) -> None:
    if path:
        with suppress(FileNotFoundError):
            await aiofiles.os.remove(path)


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    async with aiofiles.open(path, "rb") as source:
        while chunk := await source.read(CHUNK_SIZE):
            yield chunk


@asynccontextmanager
async def _fetched(key: str) -> AsyncIterator[Path]:
    """The job's upload, copied from the storage to a scratch file for the time of the run:
    the worker running a job need not be the process (or host) that received its file."""
    path = _scratch_file()
    try:
        async with aiofiles.open(path, "wb") as out:
            async for chunk in storage.for_jobs().open(key):
                await out.write(chunk)
        yield path
    finally:
        await _remove(path)


async def _discard_upload(file_path: str | None) -> None:
    if file_path and file_path.startswith("uploads/"):
        try:
            await storage.for_jobs().delete(file_path)
        except Exception:
            # The job has ended all the same: what is left is an orphan object, not a fault
            # of the import (a lifecycle rule on uploads/ can sweep such leftovers).
            logger.exception("could not delete %s from the storage", file_path)
    else:
        # A job started before uploads went to the storage: its file is on this disk.
        await _remove(file_path)


@dataclass(frozen=True)
class Layout:
    """Where the data is in a file: its kind, header row, mapping and number of rows."""

    kind: readers.FileKind
    header_row: int
    mapping: mappings.Mapping
    total_rows: int


def read_layout(path: Path, options: ImportOptions, settings: Settings) -> Layout:
    """Blocking (reads the whole file once to count its rows): run it in a thread."""
    kind = readers.detect(path, settings.max_import_uncompressed_bytes)
    sheet = options.sheet if kind.format == "XLSX" else None
    header_row, header = _find_header(path, kind, sheet)
    headers = [cell.strip() for cell in header]
    while headers and not headers[-1]:
        headers.pop()
    mapping = mappings.build(headers, options.mapping)
    total = 0
    with closing(readers.records(path, kind, sheet)) as records:
        for number, record in enumerate(records, start=1):
            if number > header_row and any(cell.strip() for cell in record):
                total += 1
                if total > settings.max_import_rows:
                    raise UserErrors.single(
                        ErrorCode.TOO_MANY_ROWS, "file", max_rows=settings.max_import_rows
                    )
    return Layout(kind, header_row, mapping, total)


def _find_header(path: Path, kind: readers.FileKind, sheet: str | None) -> tuple[int, list[str]]:
    """The first row that names known columns, else the first non-blank row."""
    first = None
    with closing(readers.records(path, kind, sheet)) as records:
        for number, record in enumerate(records, start=1):
            if not any(cell.strip() for cell in record):
                continue
            if mappings.looks_like_header(record):
                return number, record
            first = first or (number, record)
            if number >= HEADER_SEARCH_ROWS:
                break
    if first is None:
        raise UserErrors.single(ErrorCode.REQUIRED, "file")
    return first


def validate_options(options: ImportOptions) -> ImportOptions:
    try:
        country = normalize_country(options.default_country)
    except FieldInvalid as exc:
        raise UserErrors(
            [InputError(exc.code, ("options", "default_country"), exc.params)]
        ) from None
    return ImportOptions(**{**options.__dict__, "default_country": country})


async def start_import(
    actor: Actor, settings: Settings, upload, options: ImportOptions
) -> ImportJob:
    """Checks the file and its header now; the rows are imported by a background task."""
    actor.require(Role.MANAGER)
    options = validate_options(options)
    path, sha256 = await _spool(settings, upload)
    try:
        layout = await asyncio.to_thread(read_layout, path, options, settings)
        # Any worker, on any host, reads the file from there.
        key = await storage_for(settings).save_upload(_file_chunks(path))
    finally:
        await _remove(path)
    job = await ImportJob.create(
        organization_id=actor.org_id,
        created_by_id=actor.user_id,
        file_name=(upload.filename or "upload")[:255],
        file_path=key,
        file_sha256=sha256,
        options=options.to_json(),
        file_format=layout.kind.format,
        file_encoding=layout.kind.encoding,
        file_delimiter=layout.kind.delimiter,
        header_row=layout.header_row,
        heartbeat_at=now(),
        **runner(),
        mapping=layout.mapping.to_json(),
        unknown_columns=layout.mapping.unknown,
        dry_run=options.dry_run,
        total_rows=layout.total_rows,
    )
    await queue.enqueue(KIND, job.id)
    return job


# ---- running a job ----------------------------------------------------------------------


def task_of(job_id: int) -> asyncio.Task | None:
    """The task running the job or its undo in this process (the in-process queue), if any."""
    return queue.task_of(KIND, job_id) or queue.task_of(UNDO_KIND, job_id)


class _Canceled(Exception):
    pass


async def after_batch(job_id: int) -> None:
    """Called after each committed batch: the point where a job may be canceled, or handed
    back to the queue by a worker that is stopping."""
    await progress.publish(job_id)
    # The request may come to any process serving the API: it is in the database.
    if await ImportJob.filter(id=job_id, status=ImportJobStatus.CANCELED).exists():
        raise _Canceled
    if queue.stopping():
        raise queue.Released
    # Lets requests in between batches: an import never starves the server.
    await asyncio.sleep(0)


@queue.job_kind(KIND)
async def run_job(job_id: int) -> None:
    try:
        await _run(job_id)
    except Superseded:
        # This runner was taken for dead (its heartbeat stopped: a paused process, a
        # network cut) and the job went to another, which redoes what this one wrote.
        logger.warning("import job %s was taken over by another runner; this one stops", job_id)


async def _run(job_id: int) -> None:
    job = await ImportJob.get(id=job_id)
    if job.finished_at is not None:
        return
    if job.status == ImportJobStatus.CANCELED:
        # Canceled while queued (nothing written), or while a run that died was writing.
        if await take(job):
            await _finish(job, ImportJobStatus.CANCELED, rolled_back=job.started_at is not None)
        return
    if job.status == ImportJobStatus.RUNNING:
        # A queue worker took over the job of one that died or stopped: start again.
        if not await take(job, ImportJobStatus.RUNNING):
            return
        await _undo_interrupted_run(job)
    elif not await take(
        job, ImportJobStatus.QUEUED, status=ImportJobStatus.RUNNING, started_at=now()
    ):
        return
    attempt = job.attempt
    await job.refresh_from_db()
    # This runner's token, whatever another runner has made of the row since.
    job.attempt = attempt
    await progress.publish(job_id)
    options = ImportOptions.from_json(job.options)
    run = None
    try:
        assert job.file_path is not None, "an unfinished job keeps its file"
        async with _fetched(job.file_path) as path:
            run = await Run.begin(job, options, path, BATCH_SIZE, after_batch)
            try:
                await run.execute()
            finally:
                run.seen.close()
        if run.failed and not options.skip_invalid_rows and not options.dry_run:
            await _finish(
                job,
                ImportJobStatus.FAILED,
                rolled_back=True,
                reason=message("IMPORT_INVALID_ROWS", options.language, count=run.failed),
            )
        else:
            await _finish(job, ImportJobStatus.SUCCEEDED)
    except (Superseded, queue.Released) as exc:
        if isinstance(exc, queue.Released):
            # Its rows stay until the worker that takes the job next undoes them.
            logger.info("import job %s handed back to the queue after a batch", job_id)
        raise
    except _Canceled:
        await _finish(job, ImportJobStatus.CANCELED, rolled_back=True)
    except UserErrors as exc:
        first = exc.errors[0]
        await _finish(
            job,
            ImportJobStatus.FAILED,
            rolled_back=True,
            reason=message(first.code, options.language, **first.params),
        )
    except Exception:
        logger.exception("import job %s failed", job_id)
        await _finish(
            job,
            ImportJobStatus.FAILED,
            rolled_back=True,
            reason=message("IMPORT_UNEXPECTED", options.language),
        )
    # Rows written and kept, or written and rolled back: either way the tables changed.
    if run is not None and not options.dry_run and run.created + run.updated >= MAINTAIN_AFTER_ROWS:
        await maintain_tables()


async def _undo_interrupted_run(job: ImportJob) -> None:
    """What an interrupted run wrote and counted, undone, so that the file is imported
    again from its first row with nothing twice."""
    if not job.dry_run:
        await roll_back(job.id, job.attempt)
    async with in_transaction() as connection:
        await ImportRowError.filter(job_id=job.id).using_db(connection).delete()
        await fence(
            connection,
            job.id,
            job.attempt,
            processed_rows=0,
            created_count=0,
            updated_count=0,
            skipped_count=0,
            failed_count=0,
        )


async def maintain_tables() -> None:
    """VACUUM ANALYZE of the tables an import writes, on PostgreSQL.

    Right after a large import the planner still has the empty table's statistics (it
    estimated 1 row after 100,000 and chose a plan 200 times slower), and without the
    visibility map a count scans the heap; autovacuum may be off or come late. VACUUM
    cannot run in a transaction: each statement runs alone, in autocommit, after the job
    has finished (its status is already final). FREEZE: a plain VACUUM passes over a page
    it cannot lock for clean-up at once, and does not mark it all-visible; right after the
    import's last commit it so left 5-45% of the client pages to be read by every count
    (20,000 rows, five runs); a freezing VACUUM waits for the lock, and the rows, frozen
    now, need no later anti-wraparound pass. SQLite is left alone: with no sqlite_stat1
    its planner uses fixed estimates that an import cannot make stale, and ANALYZE would
    hold the only write lock while it reads whole tables.
    """
    connection = connections.get("default")
    if connection.capabilities.dialect != "postgres":
        return
    for model in (Client, Company, Activity):
        try:
            await connection.execute_script(f'VACUUM (FREEZE, ANALYZE) "{model._meta.db_table}"')
        except Exception:
            logger.exception("VACUUM ANALYZE of %s failed", model._meta.db_table)


async def _finish(
    job: ImportJob, status: ImportJobStatus, *, rolled_back=False, reason: str | None = None
) -> None:
    """The job's end, by its runner (`job.attempt` is the runner's token, see `take`)."""
    if rolled_back and not job.dry_run:
        await roll_back(job.id, job.attempt)
    final: dict[str, Any] = {"status": status, "finished_at": now(), "failure_reason": reason}
    if rolled_back:
        final.update(created_count=0, updated_count=0)
    async with in_transaction() as connection:
        await fence(connection, job.id, job.attempt, **final)
    await _discard_upload(job.file_path)
    await progress.publish(job.id)


# ---- rolling back, canceling, recovering ------------------------------------------------


async def roll_back(job_id: int, attempt: int) -> None:
    """Undoes what a job wrote, batch by batch; running it twice is harmless. Each batch is
    fenced by `attempt`, the token of the runner rolling back (see `take`), and keeps the
    job's heartbeat fresh. The job's row is written last in each transaction, as an
    import's batch does: every transaction locks the job after the rows it writes, so a
    stale runner's batch and this roll-back cannot wait for each other in a cycle."""
    # Companies first: the entries of the clients the job created go with those clients.
    restored = await _restore_companies(job_id, attempt)
    while True:
        async with in_transaction() as connection:
            ids = (
                await Client.filter(import_job_id=job_id)
                .limit(BATCH_SIZE)
                .values_list("id", flat=True)
            )
            if not ids:
                break
            await Client.filter(id__in=list(ids)).delete()
            await fence(connection, job_id, attempt)
    while True:
        async with in_transaction() as connection:
            entries = (
                await Activity.filter(import_job_id=job_id, verb=VERB_UPDATED)
                .order_by("-id")
                .limit(BATCH_SIZE)
            )
            if not entries:
                break
            clients: dict[int | None, Client] = {
                c.id: c
                for c in await Client.filter(id__in=list({entry.client_id for entry in entries}))
            }
            for entry in entries:
                client = clients.get(entry.client_id)
                if client is None:
                    continue
                for name, change in entry.changes.items():
                    old = change["old"]
                    setattr(client, name, Gender(old) if name == "gender" and old else old)
            company_ids = {c.company_id for c in clients.values() if c.company_id}
            companies: dict[int | None, Company] = {
                c.id: c for c in await Company.filter(id__in=list(company_ids))
            }
            for client in clients.values():
                set_client_keys(client, company_search_parts(companies.get(client.company_id)))
            if clients:
                await bulk_update(
                    Client,
                    list(clients.values()),
                    [*UPDATABLE, "active_email_key", "name_key", "search_text"],
                )
            await Activity.filter(id__in=[entry.id for entry in entries]).delete()
            await fence(connection, job_id, attempt)
    created = await Company.filter(import_job_id=job_id).values_list("id", flat=True)
    for start in range(0, len(created), BATCH_SIZE):
        chunk = created[start : start + BATCH_SIZE]
        async with in_transaction() as connection:
            used = await Client.filter(company_id__in=chunk).values_list("company_id", flat=True)
            await Company.filter(id__in=list(set(chunk) - set(used))).delete()
            await fence(connection, job_id, attempt)
    restored_ids = sorted(restored)
    for start in range(0, len(restored_ids), BATCH_SIZE):
        async with in_transaction() as connection:
            restored_companies = await Company.filter(
                id__in=restored_ids[start : start + BATCH_SIZE]
            )
            await refresh_search_text(connection, {c.id: c for c in restored_companies}, set())
            await fence(connection, job_id, attempt)


async def _restore_companies(job_id: int, attempt: int) -> set[int]:
    """The old values of the companies the job changed, newest change undone first; the
    ids of those whose searchable fields came back."""
    restored: set[int] = set()
    while True:
        async with in_transaction() as connection:
            entries = (
                await Activity.filter(import_job_id=job_id, verb=VERB_COMPANY_UPDATED)
                .order_by("-id")
                .limit(BATCH_SIZE)
            )
            if not entries:
                return restored
            companies = {
                c.id: c
                for c in await Company.filter(id__in=list({entry.target_id for entry in entries}))
            }
            fields: set[str] = set()
            for entry in entries:
                company = companies.get(entry.target_id)
                if company is None:
                    continue
                for name, change in entry.changes.items():
                    setattr(company, name, change["old"])
                fields.update(entry.changes)
                if entry.changes.keys() & SEARCHED_COMPANY_FIELDS:
                    restored.add(company.id)
            for company in companies.values():
                company.name_key = company_name_key(company.name)
            if companies and fields:
                await bulk_update(Company, list(companies.values()), [*sorted(fields), "name_key"])
            await Activity.filter(id__in=[entry.id for entry in entries]).delete()
            await fence(connection, job_id, attempt)


async def get_job(org_id: int, job_id: int) -> ImportJob | None:
    return await ImportJob.get_or_none(organization_id=org_id, id=job_id)


async def cancel(actor: Actor, job_id: int) -> ImportJob:
    """Marks the job CANCELED; the process running it rolls it back after its current
    batch (waited for here when that is this process) and sets finishedAt. An UNDOING job
    goes back to SUCCEEDED, partly undone."""
    actor.require(Role.MANAGER)
    job = await get_job(actor.org_id, job_id)
    if job is None:
        raise UserErrors.single(ErrorCode.NOT_FOUND, "id")
    requested = await ImportJob.filter(
        id=job.id, status__in=[ImportJobStatus.QUEUED, ImportJobStatus.RUNNING]
    ).update(status=ImportJobStatus.CANCELED, updated_at=now())
    if not requested and await ImportJob.filter(id=job.id, status=ImportJobStatus.UNDOING).update(
        status=ImportJobStatus.SUCCEEDED, updated_at=now()
    ):
        # An undo stops after its current batch; what it undid stays undone, and
        # undoImportJob takes it up from there.
        await progress.publish(job.id)
        task = task_of(job.id)
        if task is not None:
            await asyncio.shield(task)
        return await ImportJob.get(id=job.id)
    if not requested:
        await job.refresh_from_db()
        raise UserErrors.single(ErrorCode.INVALID_STATE, "id", state=job.status.value)
    await progress.publish(job.id)
    task = task_of(job.id)
    if task is not None:
        await asyncio.shield(task)
    elif _owner_is_gone(job) and await take(job, **THIS_PROCESS):
        # This process rolls it back in place of the dead one (another runner that takes
        # it meanwhile supersedes this one and finishes it).
        with suppress(Superseded):
            await _finish(job, ImportJobStatus.CANCELED, rolled_back=True)
    return await ImportJob.get(id=job.id)


def _owner_is_gone(job: ImportJob) -> bool:
    if task_of(job.id) is not None:
        return False
    if job.queue_engine:
        # The queue engine gives a dead worker's job to another worker.
        return False
    if job.heartbeat_at is None or job.heartbeat_at < now() - STALE_AFTER:
        # Every batch refreshes the heartbeat: silence this long means the owner died, even
        # where its pid now belongs to another process.
        return True
    if job.owner_host != THIS_PROCESS["owner_host"] or job.owner_pid is None:
        return False
    if job.owner_pid == THIS_PROCESS["owner_pid"]:
        # This process, yet no task runs it: the task died (or an earlier life of this pid
        # started it).
        return True
    try:
        os.kill(job.owner_pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


async def recover_interrupted() -> list[int]:
    """Jobs a dead process left unfinished: rolled back, and marked FAILED (or CANCELED
    when that had been asked). Never raises: a roll-back that fails is logged, its job
    marked FAILED and left unfinished, and tried again at the next check."""
    recovered: list[int] = []
    try:
        unfinished = await ImportJob.filter(
            finished_at__isnull=True,
            status__in=[
                ImportJobStatus.QUEUED,
                ImportJobStatus.RUNNING,
                ImportJobStatus.CANCELED,
                ImportJobStatus.FAILED,
            ],
        )
    except Exception:
        logger.exception("could not look for interrupted import jobs")
        return recovered
    for job in unfinished:
        if not _owner_is_gone(job):
            continue
        try:
            # The job is this process's from now on (its host and pid, so that the recovery
            # of other servers leaves it alone while this one lives), and its runner, if it
            # was only thought dead, is fenced out.
            if not await take(job, **THIS_PROCESS):
                continue
            if job.status == ImportJobStatus.CANCELED:
                # Canceled, but its process died before rolling it back.
                await _finish(job, ImportJobStatus.CANCELED, rolled_back=True)
            else:
                language = (job.options or {}).get("language", "en")
                await _finish(
                    job,
                    ImportJobStatus.FAILED,
                    rolled_back=True,
                    reason=message("IMPORT_INTERRUPTED", language),
                )
        except Superseded:
            # Another server took the job since: it finishes the roll-back.
            continue
        except Exception:
            logger.exception("import job %s: rolling back its interrupted run failed", job.id)
            await _mark_roll_back_pending(job)
            continue
        recovered.append(job.id)
    return recovered


async def requeue_silent() -> list[int]:
    """Jobs of the queue engine silent for STALE_AFTER, enqueued again; their ids. Never
    raises.

    pgqueuer's own records are not fenced: a worker taken for dead that comes back ends its
    run quietly (see run_job), and pgqueuer then deletes the queue entry that the worker
    which took the job over holds. Should that one die too, nothing would take the job up.
    Enqueueing is deduplicated per job (a queued or running entry stays as it is), so only
    a job that lost its entry gets a new one, and the next worker takes it over."""
    if queue.current().runs_here():
        return []
    requeued: list[int] = []
    try:
        silent = await ImportJob.filter(
            Q(finished_at__isnull=True) | Q(status=ImportJobStatus.UNDOING),
            queue_engine=QUEUE_ENGINE,
            status__in=[
                ImportJobStatus.QUEUED,
                ImportJobStatus.RUNNING,
                ImportJobStatus.CANCELED,
                ImportJobStatus.UNDOING,
            ],
            heartbeat_at__lt=now() - STALE_AFTER,
        )
        for job in silent:
            await queue.enqueue(
                UNDO_KIND if job.status == ImportJobStatus.UNDOING else KIND, job.id
            )
            requeued.append(job.id)
    except Exception:
        logger.exception("could not enqueue the silent queued jobs again")
    return requeued


async def _mark_roll_back_pending(job: ImportJob) -> None:
    """FAILED without finished_at: no longer shown as running, still rolled back later."""
    language = (job.options or {}).get("language", "en")
    try:
        async with in_transaction() as connection:
            await fence(
                connection,
                job.id,
                job.attempt,
                status=ImportJobStatus.FAILED,
                failure_reason=message("IMPORT_ROLL_BACK_PENDING", language),
            )
    except Superseded:
        return
    except Exception:
        logger.exception("import job %s: could not mark it FAILED", job.id)
    await progress.publish(job.id)


@asynccontextmanager
async def recovery(interval: float = RECOVERY_INTERVAL_SECONDS):
    """For a server's lifetime: interrupted jobs are rolled back at start-up, then checked
    for every `interval` seconds, so an import whose process was killed (a CLI import
    killed -9, a crashed worker) stops showing its rows without waiting for a restart.
    Interrupted undos are taken up where they stopped."""
    # The undo runs on this module's jobs: imported here, not at the top.
    from gql_crm.services.imports import undo

    async def check() -> None:
        await recover_interrupted()
        await undo.resume_interrupted()
        await requeue_silent()

    await check()
    async with background.running(
        background.every(interval, check, "looking for interrupted imports"), "import-recovery"
    ):
        yield
