"""Undoing a SUCCEEDED import, updates included, as a job with progress like an import.

What the import wrote is known from its marks: the clients and companies it created carry
`import_job`, and each client or company it updated has an activity entry of the job with
every changed field's old and new values. The undo, in four steps of BATCH_SIZE items:

1. every updated client gets its old values back, field by field, unless a later change
   touched the field (a later activity entry names it, or the value is no longer the one
   the import wrote) or the old value cannot come back (its email is another active
   client's now, its company or category was deleted): those fields stay, reported;
2. the same for the companies it updated, newest change first;
3. the clients it created are deleted, unless something was added to them since (a
   record, a file, any activity entry not of the import): those stay, reported;
4. the companies it created are deleted unless a client still uses them (reported).

Each batch locks its rows (`write_transaction` and FOR UPDATE on PostgreSQL), then checks
and writes: an edit or a new record of a concurrent request either lands before the check
(and is seen: the field or client is kept) or waits for the batch and lands after it (and
is kept). A batch commits with the undo's cursor, so an undo stopped halfway (canceled, or
its process died) resumes where it stopped. A dry run goes through the same steps without
writing.
"""

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, cast

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.timezone import now

from gql_crm import models
from gql_crm.models import (
    Activity,
    Client,
    ClientCategory,
    ClientStatus,
    Company,
    Gender,
    ImportJob,
    ImportJobStatus,
    ImportUndo,
    ImportUndoIssue,
    Role,
    User,
)
from gql_crm.services import activity, queue
from gql_crm.services.auth import Actor
from gql_crm.services.errors import ErrorCode, UserErrors
from gql_crm.services.imports import jobs, progress, writer
from gql_crm.services.imports.batches import refresh_search_text, write_companies
from gql_crm.services.imports.fencing import Superseded, fence, take
from gql_crm.services.imports.options import VERB_COMPANY_UPDATED, VERB_UPDATED
from gql_crm.services.keys import (
    SEARCHED_COMPANY_FIELDS,
    company_name_key,
    company_search_parts,
    email_key,
    set_client_keys,
)
from gql_crm.services.records import client_record_models, write_transaction

# A batch's transaction, or None in a dry run.
Connection = BaseDBAsyncClient | None

logger = logging.getLogger("gql_crm.imports")


class Reason(StrEnum):
    """Why the undo left something as it is."""

    RECORDS_ADDED = "RECORDS_ADDED"
    CHANGED_SINCE = "CHANGED_SINCE"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    LINK_GONE = "LINK_GONE"
    COMPANY_IN_USE = "COMPANY_IN_USE"


@dataclass(frozen=True)
class Issue:
    reason: Reason
    target_type: str
    target_id: int
    client_id: int | None
    field: str | None = None


COUNTS = (
    "removed_clients",
    "removed_companies",
    "restored_clients",
    "restored_companies",
    "kept_clients",
    "kept_companies",
    "conflicts",
)


@dataclass
class Outcome:
    """What an undo did (or, in a dry run, would do)."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    issues: list[Issue] = field(default_factory=list)
    processed: int = 0

    def add(self, name: str, amount: int = 1) -> None:
        self.counts[name] += amount


STEPS = ("client_updates", "company_updates", "created_clients", "created_companies")


def _stored(name: str, value: Any) -> Any:
    """A value of an activity entry as the model's attribute."""
    return Gender(value) if name == "gender" and value else value


class Undo:
    """The steps of one undo; `write=False` for a dry run."""

    def __init__(self, job: ImportJob, actor: Actor, write: bool, batch_size: int):
        self.job = job
        self.actor = actor
        self.write = write
        self.batch_size = batch_size
        self.outcome = Outcome()
        # A dry run changes nothing, so later steps are told what earlier ones would do.
        self.leaving: set[int] = set()
        self.company_of: dict[int, int | None] = {}

    def _locked(self, queryset, *, delete: bool = False):
        return queryset.select_for_update(no_key=not delete) if self.write else queryset

    async def total(self) -> int:
        job_id = self.job.id
        return (
            await Activity.filter(
                import_job_id=job_id, verb__in=[VERB_UPDATED, VERB_COMPANY_UPDATED]
            ).count()
            + await Client.filter(import_job_id=job_id).count()
            + await Company.filter(import_job_id=job_id).count()
        )

    async def next_batch(self, connection: Connection, cursor: dict[str, Any]) -> dict | None:
        """One batch from `cursor` ({"step", "after"}: where the last one stopped); the
        cursor after it, or None when every step is done."""
        index = STEPS.index(cursor["step"]) if cursor.get("step") else 0
        after = cursor.get("after") or 0
        while index < len(STEPS):
            done = await getattr(self, STEPS[index])(connection, after)
            if done is not None:
                return {"step": STEPS[index], "after": done}
            index, after = index + 1, 0
        return None

    async def preview(self, cursor: dict[str, Any]) -> Outcome:
        """A dry run of every step from `cursor`."""
        position: dict[str, Any] | None = cursor
        while position is not None:
            position = await self.next_batch(None, position)
        return self.outcome

    # ---- 1. updated clients -------------------------------------------------------------

    async def client_updates(self, connection: Connection, after: int) -> int | None:
        org_id, job_id = self.actor.org_id, self.job.id
        entries = (
            await Activity.filter(import_job_id=job_id, verb=VERB_UPDATED, id__gt=after)
            .order_by("id")
            .limit(self.batch_size)
        )
        if not entries:
            return None
        ids = list({entry.client_id for entry in entries})
        clients = {
            c.id: c for c in await self._locked(Client.filter(organization_id=org_id, id__in=ids))
        }
        touched = await self._touched(
            Activity.filter(client_id__in=ids, target_type="Client"),
            min(entry.id for entry in entries),
            key="client_id",
        )
        plans: list[tuple[Client, dict[str, Any]]] = []
        for entry in entries:
            client = clients.get(entry.client_id)
            if client is not None:
                plans.append((client, self._restorable(entry, client, touched)))
        await self._drop_impossible(plans)
        changed, notes = [], []
        for client, values in plans:
            if not values:
                continue
            before = {name: getattr(client, name) for name in values}
            for name, value in values.items():
                setattr(client, name, _stored(name, value))
            changed.append((client, [*values, "updated_at"]))
            notes.append((client.id, "Client", client.id, activity.diff(before, values)))
            if "company_id" in values:
                self.company_of[client.id] = client.company_id
        self.outcome.add("restored_clients", len(changed))
        self.outcome.processed += len(entries)
        if connection is not None and changed:
            companies: dict[int | None, Company] = {
                c.id: c
                for c in await Company.filter(
                    id__in=list({c.company_id for c, _ in changed if c.company_id})
                )
            }
            stamp = now()
            for client, columns in changed:
                client.updated_at = stamp
                company_parts = company_search_parts(companies.get(client.company_id))
                columns.extend(set_client_keys(client, company_parts))
            await writer.update(connection, Client, changed)
            await self._note(connection, notes)
        return entries[-1].id

    async def _touched(
        self, later, since: int, *, key: str, prefix: str = ""
    ) -> dict[int, list[tuple[int, set]]]:
        """For each row (by `key`), the ids of the entries after `since` that are not this
        job's, with the fields each named (those starting with `prefix`, without it)."""
        found: dict[int, list[tuple[int, set]]] = defaultdict(list)
        rows = await later.filter(id__gt=since).values("id", key, "changes", "import_job_id")
        for row in rows:
            if row["import_job_id"] == self.job.id:
                continue
            names = {
                name[len(prefix) :] for name in row["changes"] or {} if name.startswith(prefix)
            }
            found[row[key]].append((row["id"], names))
        return found

    def _restorable(
        self, entry: Activity, row: Model, touched: dict[int, list[tuple[int, set]]]
    ) -> dict[str, Any]:
        """The entry's old values that may come back: of the fields no later entry names and
        that still hold the value the import wrote."""
        later: set[str] = set()
        for entry_id, names in touched.get(row.pk, ()):
            if entry_id > entry.id:
                later |= names
        values = {}
        for name, change in entry.changes.items():
            if name in later or activity.json_safe(getattr(row, name)) != change["new"]:
                self._issue(Reason.CHANGED_SINCE, row, entry.client_id, name)
                continue
            values[name] = change["old"]
        return values

    async def _drop_impossible(self, plans: list[tuple[Client, dict[str, Any]]]) -> None:
        """Old values that cannot come back: an email another active client has now, a
        company or category deleted since."""
        org_id = self.actor.org_id
        emails = {
            email_key(values["email"]): client.id
            for client, values in plans
            if values.get("email") and client.status == ClientStatus.ACTIVE
        }
        taken = set()
        if emails:
            taken = {
                (row["active_email_key"], row["id"])
                for row in await Client.filter(
                    organization_id=org_id, active_email_key__in=list(emails)
                ).values("active_email_key", "id")
            }
        linked: dict[str, set[int]] = {}
        for name, model in (("company_id", Company), ("category_id", ClientCategory)):
            wanted = {values[name] for _, values in plans if values.get(name)}
            ids = model.filter(organization_id=org_id, id__in=list(wanted)).values_list(
                "id", flat=True
            )
            linked[name] = (
                # Flat: the values themselves (Tortoise types every values_list as tuples).
                set(cast(list[int], await ids)) if wanted else set()
            )
        for client, values in plans:
            if values.get("email") and client.status == ClientStatus.ACTIVE:
                key = email_key(values["email"])
                if any(k == key and other != client.id for k, other in taken):
                    del values["email"]
                    self._issue(Reason.EMAIL_TAKEN, client, client.id, "email")
            for name in ("company_id", "category_id"):
                if values.get(name) and values[name] not in linked[name]:
                    del values[name]
                    self._issue(Reason.LINK_GONE, client, client.id, name)

    # ---- 2. updated companies -----------------------------------------------------------

    async def company_updates(self, connection: Connection, after: int) -> int | None:
        """Newest change first: each entry's new value is then the one the next undid."""
        org_id, job_id = self.actor.org_id, self.job.id
        queryset = Activity.filter(import_job_id=job_id, verb=VERB_COMPANY_UPDATED)
        if after:
            queryset = queryset.filter(id__lt=after)
        entries = await queryset.order_by("-id").limit(self.batch_size)
        if not entries:
            return None
        ids = list({entry.target_id for entry in entries})
        companies = {
            c.id: c for c in await self._locked(Company.filter(organization_id=org_id, id__in=ids))
        }
        since = min(entry.id for entry in entries)
        touched = await self._touched(
            Activity.filter(target_type="Company", target_id__in=ids), since, key="target_id"
        )
        # A client's edit of its company names the fields "company.<field>".
        members = defaultdict(list)
        for client_id, company_id in await Client.filter(company_id__in=ids).values_list(
            "id", "company_id"
        ):
            members[client_id].append(company_id)
        by_client = await self._touched(
            Activity.filter(client_id__in=list(members), target_type="Client"),
            since,
            key="client_id",
            prefix="company.",
        )
        for client_id, found in by_client.items():
            for company_id in members[client_id]:
                touched[company_id].extend(found)
        changed: dict[int, set[str]] = defaultdict(set)
        notes = []
        for entry in entries:
            company = companies.get(entry.target_id)
            if company is None:
                continue
            values = self._restorable(entry, company, touched)
            if not values:
                continue
            before = {name: getattr(company, name) for name in values}
            for name, value in values.items():
                setattr(company, name, value)
            company.name_key = company_name_key(company.name)
            changed[company.id].update(values)
            notes.append((entry.client_id, "Company", company.id, activity.diff(before, values)))
        self.outcome.add("restored_companies", len(changed))
        self.outcome.processed += len(entries)
        if connection is not None and changed:
            await write_companies(connection, companies, changed, now())
            searched = {
                company_id: companies[company_id]
                for company_id, names in changed.items()
                if names & SEARCHED_COMPANY_FIELDS
            }
            if searched:
                await refresh_search_text(connection, searched, set())
            await self._note(connection, notes)
        return entries[-1].id

    # ---- 3. created clients -------------------------------------------------------------

    async def created_clients(self, connection: Connection, after: int) -> int | None:
        job_id = self.job.id
        ids = await self._created(Client, after)
        if not ids:
            return None
        since = (
            await Activity.filter(client_id__in=ids)
            .filter(Q(import_job_id__isnull=True) | Q(import_job_id__not=job_id))
            .values_list("client_id", "target_type")
        )
        edits = ("Client", "Company")
        edited = {client_id for client_id, target in since if target in edits}
        added = {client_id for client_id, target in since if target not in edits}
        for model in client_record_models():
            if model is Activity:
                continue  # read above: only another writer's entries count
            added.update(await model.filter(client_id__in=ids).values_list("client_id", flat=True))
        used = edited | added
        for client_id in sorted(used):
            reason = Reason.RECORDS_ADDED if client_id in added else Reason.CHANGED_SINCE
            self.outcome.issues.append(Issue(reason, "Client", client_id, client_id))
        removed = await self._remove(
            connection, Client, ids, used, "kept_clients", "removed_clients"
        )
        self.leaving.update(removed)
        return ids[-1]

    # ---- 4. created companies -----------------------------------------------------------

    async def created_companies(self, connection: Connection, after: int) -> int | None:
        ids = await self._created(Company, after)
        if not ids:
            return None
        users: dict[int, int] = {}
        for client_id, company_id in await Client.filter(company_id__in=ids).values_list(
            "id", "company_id"
        ):
            if client_id in self.leaving:
                continue
            if self.company_of.get(client_id, company_id) == company_id:
                users.setdefault(company_id, client_id)
        for company_id, client_id in sorted(users.items()):
            self.outcome.issues.append(
                Issue(Reason.COMPANY_IN_USE, "Company", company_id, client_id)
            )
        kept = set(users)
        await self._remove(connection, Company, ids, kept, "kept_companies", "removed_companies")
        return ids[-1]

    # ---- shared -------------------------------------------------------------------------

    async def _created(self, model: type[Client | Company], after: int) -> list[int]:
        """The ids of the next batch of `model`'s rows the job created, after `after`."""
        rows = await self._locked(
            model.filter(import_job_id=self.job.id, id__gt=after)
            .order_by("id")
            .limit(self.batch_size)
            .only("id"),
            delete=True,
        )
        return [row.id for row in rows]

    async def _remove(
        self,
        connection: Connection,
        model: type[Client | Company],
        ids: list[int],
        kept: set[int],
        kept_counter: str,
        removed_counter: str,
    ) -> list[int]:
        """Deletes (when writing) the batch's created rows not `kept`, counting both; the
        ids it removes."""
        removed = [pk for pk in ids if pk not in kept]
        self.outcome.add(kept_counter, len(kept))
        self.outcome.add(removed_counter, len(removed))
        self.outcome.processed += len(ids)
        if connection is not None and removed:
            await model.filter(id__in=removed).using_db(connection).delete()
        return removed

    def _issue(self, reason: Reason, row: Model, client_id: int | None, name: str) -> None:
        self.outcome.issues.append(Issue(reason, type(row).__name__, row.pk, client_id, name))
        self.outcome.add("conflicts")

    async def _note(self, connection: BaseDBAsyncClient, notes: list) -> None:
        """The undo's activity entries: the values it put back, by whom."""
        await Activity.bulk_create(
            [
                Activity(
                    organization_id=self.actor.org_id,
                    client_id=client_id,
                    actor_id=self.actor.user_id,
                    verb=activity.Verb.IMPORT_UNDONE,
                    target_type=target_type,
                    target_id=target_id,
                    changes=changes,
                    import_job_id=self.job.id,
                )
                for client_id, target_type, target_id, changes in notes
            ],
            using_db=connection,
        )

    async def run_batch(self, connection: BaseDBAsyncClient) -> bool:
        """One batch, from the cursor the last one committed (read under the undo's lock, so
        two runners of one undo cannot both do it), saved with its outcome; False once every
        step is done and the job is UNDONE (or was canceled at the end)."""
        undo = (
            await ImportUndo.filter(job_id=self.job.id)
            .select_for_update()
            .using_db(connection)
            .get()
        )
        cursor = await self.next_batch(connection, undo.cursor or {})
        outcome, self.outcome = self.outcome, Outcome()
        if outcome.issues:
            await ImportUndoIssue.bulk_create(
                [
                    ImportUndoIssue(
                        organization_id=self.actor.org_id,
                        job_id=self.job.id,
                        reason=issue.reason.value,
                        target_type=issue.target_type,
                        target_id=issue.target_id,
                        client_id=issue.client_id,
                        field=issue.field,
                    )
                    for issue in outcome.issues
                ],
                using_db=connection,
            )
        for name in COUNTS:
            setattr(undo, name, getattr(undo, name) + outcome.counts[name])
        undo.processed_items += outcome.processed
        # The job's heartbeat: its subscribers see the progress, other servers that its
        # process lives. A runner that lost the job since it started (see fencing.py) rolls
        # this whole batch back here.
        await fence(connection, self.job.id, self.job.attempt)
        stamp = now()
        if cursor is not None:
            undo.cursor = cursor
        elif await (
            ImportJob.filter(id=self.job.id, status=ImportJobStatus.UNDOING)
            .using_db(connection)
            .update(status=ImportJobStatus.UNDONE, updated_at=stamp)
        ):
            undo.finished_at = stamp
        await undo.save(
            using_db=connection,
            update_fields=[*COUNTS, "processed_items", "cursor", "finished_at", "updated_at"],
        )
        return cursor is not None


# ---- the service --------------------------------------------------------------------------


async def _undoable(actor: Actor, job_id: int) -> ImportJob:
    actor.require(Role.MANAGER)
    job = await jobs.get_job(actor.org_id, job_id)
    if job is None:
        raise UserErrors.single(ErrorCode.NOT_FOUND, "id")
    if job.dry_run:
        # A dry run wrote nothing: there is nothing to undo.
        raise UserErrors.single(ErrorCode.INVALID_STATE, "id", state="DRY_RUN")
    return job


async def preview(actor: Actor, job_id: int) -> Outcome:
    """What undoing the job would do now, changing nothing (dryRun: true)."""
    job = await _undoable(actor, job_id)
    if job.status != ImportJobStatus.SUCCEEDED:
        raise UserErrors.single(ErrorCode.INVALID_STATE, "id", state=job.status.value)
    # An undo canceled halfway is previewed from where it stopped.
    stopped = await ImportUndo.get_or_none(job_id=job.id)
    undo = Undo(job, actor, write=False, batch_size=jobs.BATCH_SIZE)
    return await undo.preview(stopped.cursor if stopped else {})


async def start_undo(actor: Actor, job_id: int) -> ImportJob:
    """Marks the job UNDOING and starts the undo; it ends UNDONE. Undoing an UNDONE job is
    INVALID_STATE. An UNDOING job whose undo stopped (canceled back to SUCCEEDED, or its
    process died) is taken up where it stopped."""
    job = await _undoable(actor, job_id)
    task = jobs.task_of(job.id)
    if task is not None:
        if job.status == ImportJobStatus.UNDOING:
            raise UserErrors.single(ErrorCode.INVALID_STATE, "id", state=job.status.value)
        # The import's last steps after its status became final, or a canceled undo's last
        # batch: both end soon, and a job has one task at a time.
        await asyncio.shield(task)
    claimed = await ImportJob.filter(id=job.id, status=ImportJobStatus.SUCCEEDED).update(
        status=ImportJobStatus.UNDOING, **_claim()
    )
    if not claimed and not await _take_over(job):
        await job.refresh_from_db()
        raise UserErrors.single(ErrorCode.INVALID_STATE, "id", state=job.status.value)
    undo, created = await ImportUndo.get_or_create(
        job_id=job.id,
        defaults={"organization_id": actor.org_id, "created_by_id": actor.user_id},
    )
    if created:
        undo.total_items = await Undo(job, actor, write=False, batch_size=0).total()
        await undo.save(update_fields=["total_items", "updated_at"])
    await queue.enqueue(jobs.UNDO_KIND, job.id)
    await progress.publish(job.id)
    return await ImportJob.get(id=job.id)


def _claim() -> dict[str, Any]:
    """Who runs the undo from now on, and its first heartbeat, as for an import."""
    return {"updated_at": now(), "heartbeat_at": now(), **jobs.runner()}


async def _take_over(job: ImportJob) -> bool:
    """Claims an UNDOING job whose runner is gone: none in this process, and no batch (each
    one refreshes the job's heartbeat) for STALE_AFTER."""
    if jobs.task_of(job.id) is not None:
        return False
    silent = Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now() - jobs.STALE_AFTER)
    return bool(
        await ImportJob.filter(silent, id=job.id, status=ImportJobStatus.UNDOING).update(**_claim())
    )


async def resume_interrupted() -> list[int]:
    """Undos whose process died, taken up where they stopped (called with the import jobs'
    recovery, at start-up and then periodically). Never raises."""
    resumed: list[int] = []
    if not queue.current().runs_here():
        # The queue engine gives a dead worker's undo to another worker itself.
        return resumed
    try:
        for job in await ImportJob.filter(status=ImportJobStatus.UNDOING):
            if await _take_over(job):
                await queue.enqueue(jobs.UNDO_KIND, job.id)
                resumed.append(job.id)
    except Exception:
        logger.exception("could not look for interrupted undos")
    return resumed


async def after_batch(job_id: int) -> bool:
    """Called after each committed batch of an undo: whether to go on."""
    await progress.publish(job_id)
    if queue.stopping():
        # The worker is stopping: the next one takes the undo up from its cursor.
        raise queue.Released
    # Lets requests in between batches, as an import does.
    await asyncio.sleep(0)
    # cancelImportJob puts an UNDOING job back to SUCCEEDED: stop here.
    return await ImportJob.filter(id=job_id, status=ImportJobStatus.UNDOING).exists()


@queue.job_kind(jobs.UNDO_KIND)
async def run_undo(job_id: int) -> None:
    job = await ImportJob.get(id=job_id)
    # This runner's token: a runner of the undo taken for dead is fenced out from here.
    if not await take(job, ImportJobStatus.UNDOING):
        return
    undo = await ImportUndo.get(job_id=job_id)
    organization = await models.Organization.get(id=job.organization_id)
    user = await User.get_or_none(id=undo.created_by_id) if undo.created_by_id else None
    actor = Actor(organization, user, user.role if user else Role.ADMIN)
    steps = Undo(job, actor, write=True, batch_size=jobs.BATCH_SIZE)
    try:
        while True:
            async with write_transaction() as connection:
                going_on = await steps.run_batch(connection)
            if not going_on or not await after_batch(job_id):
                return
    except queue.Released:
        raise
    except Superseded:
        # Taken for dead and taken over: the new runner goes on from the committed cursor.
        logger.warning("the undo of import job %s was taken over by another runner", job_id)
    except Exception:
        logger.exception("undo of import job %s failed", job_id)
        # What was undone stays undone; undoImportJob again takes it up where it stopped.
        await ImportJob.filter(id=job_id, status=ImportJobStatus.UNDOING).update(
            status=ImportJobStatus.SUCCEEDED, updated_at=now()
        )
    finally:
        await progress.publish(job_id)
