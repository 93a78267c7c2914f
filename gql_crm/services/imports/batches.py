"""One running import: rows cleaned, deduplicated, looked up, planned (`planner.plan`, pure)
and written a batch at a time.

Each batch costs a fixed number of statements whatever its size: one look-up per kind of
key (emails, tax IDs, company names, categories), then bulk inserts and updates in one
short transaction. Keys met earlier in the file live in a temporary SQLite file
(`SeenKeys`), so memory does not grow with the file.
"""

import asyncio
import functools
import gc
import multiprocessing
from collections.abc import Awaitable, Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.models import Model
from tortoise.timezone import now
from tortoise.transactions import in_transaction

from gql_crm.models import (
    Client,
    ClientCategory,
    ClientStatus,
    Company,
    ImportJob,
    ImportRowError,
    Organization,
    Role,
    User,
)
from gql_crm.services import activity
from gql_crm.services.auth import Actor
from gql_crm.services.errors import ErrorCode
from gql_crm.services.imports import mapping as mappings
from gql_crm.services.imports import planner, readers, writer
from gql_crm.services.imports.fencing import fence
from gql_crm.services.imports.options import (
    UPDATABLE,
    VERB_COMPANY_UPDATED,
    VERB_CREATED,
    VERB_UPDATED,
    ImportOptions,
    MatchOn,
)
from gql_crm.services.imports.planner import Lookups, Plan
from gql_crm.services.imports.rows import Row, clean_row
from gql_crm.services.imports.seen import SeenKeys
from gql_crm.services.imports.writer import CompanyRow
from gql_crm.services.keys import (
    SEARCHED_COMPANY_FIELDS,
    CompanyValues,
    client_search_text,
    company_search_parts,
    set_client_keys,
)
from gql_crm.services.messages import message
from gql_crm.services.validation import email_domains_remembered

SEARCH_REFRESH_BATCH = 1000


class Run:
    """The state of one job while it runs."""

    def __init__(
        self,
        job: ImportJob,
        options: ImportOptions,
        path: Path,
        actor: Actor,
        layout_mapping: mappings.Mapping,
        batch_size: int,
        after_batch: Callable[[int], Awaitable[None]],
    ):
        self.job = job
        self.options = options
        self.path = path
        self.batch_size = batch_size
        self.after_batch = after_batch
        self.actor = actor
        self.mapping = layout_mapping
        self.columns = {
            key: layout_mapping.headers[index] for index, key in layout_mapping.fields.items()
        }
        self.default_country = options.default_country or actor.organization.default_country
        self.writes = not options.dry_run
        self.seen = SeenKeys()
        self.categories: dict[str, int] = {}
        self.processed = self.created = self.updated = self.skipped = self.failed = 0
        self._pending: dict[str, Any] = {}

    @classmethod
    async def begin(
        cls,
        job: ImportJob,
        options: ImportOptions,
        path: Path,
        batch_size: int,
        after_batch: Callable[[int], Awaitable[None]],
    ) -> "Run":
        organization = await Organization.get(id=job.organization_id)
        user = await User.get_or_none(id=job.created_by_id) if job.created_by_id else None
        actor = Actor(organization, user, user.role if user else Role.ADMIN)
        columns = job.mapping["columns"]
        mapping = mappings.Mapping(
            headers=job.mapping["headers"],
            fields={index: key for index, _, key in columns},
            unknown=job.mapping["unknown"],
            ignored=job.mapping["ignored"],
        )
        return cls(job, options, path, actor, mapping, batch_size, after_batch)

    def _batches(self) -> Iterator[list[tuple[int, list[str]]]]:
        job = self.job
        kind = readers.FileKind(job.file_format, job.file_encoding, job.file_delimiter)
        sheet = self.options.sheet if kind.format == "XLSX" else None
        records = readers.records(self.path, kind, sheet)
        batch: list[tuple[int, list[str]]] = []
        for number, record in enumerate(records, start=1):
            if number <= job.header_row or not any(cell.strip() for cell in record):
                continue
            batch.append((number, record))
            if len(batch) >= self.batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    async def execute(self) -> None:
        # Cleaning is pure CPU work: another process cleans the next batch while this one
        # is looked up and written, on another core and without holding the event loop.
        loop, pool = asyncio.get_running_loop(), _cleaning_pool()
        pending: tuple[asyncio.Future, list[tuple[int, list[str]]]] | None = None
        try:
            for batch in self._batches():
                cleaning = loop.run_in_executor(
                    pool, _clean_rows, batch, self.mapping, self.default_country
                )
                if pending is not None:
                    await self.process(await _cleaned(*pending))
                pending = cleaning, batch
            if pending is not None:
                await self.process(await _cleaned(*pending))
        except BrokenProcessPool:
            # The worker died (killed, out of memory): this job fails and is rolled back;
            # the next one starts a new worker.
            _cleaning_pool.cache_clear()
            raise

    async def process(self, rows: list[Row]) -> None:
        self._dedupe_in_file(rows)
        for attempt in range(3):
            plan = planner.plan(rows, await self._look_up(rows), self.options)
            if plan.errors and not self.options.skip_invalid_rows:
                self.writes = False
            try:
                await self._commit(rows, plan)
                break
            except IntegrityError:
                # A concurrent request took an email between the look-up and the write.
                if attempt == 2:
                    raise
        await self.after_batch(self.job.id)

    def _dedupe_in_file(self, rows: list[Row]) -> None:
        keyed: list[tuple[Row, str, str]] = []
        for row in rows:
            if row.errors:
                continue
            if row.client_id:
                keyed.append((row, "id", f"i:{row.client_id}"))
            if row.email_key:
                keyed.append((row, "email", f"e:{row.email_key}"))
            if MatchOn.TAX_ID in self.options.match_on and row.tax_id:
                keyed.append((row, "tax_id", f"t:{row.tax_id}"))
        earlier = self.seen.first_rows([key for _, _, key in keyed])
        new: dict[str, int] = {}
        for row, field_key, key in keyed:
            first = earlier.get(key) or new.get(key)
            if first is not None and first != row.number:
                row.fail(field_key, ErrorCode.DUPLICATE_IN_FILE, row=first)
            else:
                new[key] = row.number
        self.seen.add([(key, number) for key, number in new.items()])

    async def _look_up(self, rows: list[Row]) -> Lookups:
        """Everything the batch's valid rows may match, one query per kind of key."""
        org_id = self.actor.org_id
        valid = [row for row in rows if not row.errors]
        ids = list({row.client_id for row in valid if row.client_id})
        by_id: dict[int, Client] = {}
        if ids:
            # Scoped to the organization: another one's ID is as unknown as a made-up one.
            by_id = {c.id: c for c in await Client.filter(organization_id=org_id, id__in=ids)}
        connection = connections.get("default")
        emails = list({row.email_key for row in valid if row.email_key})
        by_email: dict[str, Client] = {}
        if emails:
            # Most emails of a file are new: only the few found are read as models.
            found = await writer.select_in(
                connection, Client, ("id", "active_email_key"), "active_email_key", emails, org_id
            )
            if found:
                clients = {
                    c.id: c for c in await Client.filter(id__in=[client["id"] for client in found])
                }
                by_email = {client["active_email_key"]: clients[client["id"]] for client in found}
        tax_ids = list({row.tax_id for row in valid if row.tax_id})
        names = list({row.company_key for row in valid if row.company_key and not row.tax_id})
        companies_by_tax: dict[str, CompanyRow] = {}
        companies_by_name: dict[str, CompanyRow] = {}
        if tax_ids:
            for values in await writer.select_in(
                connection, Company, writer.COMPANY_COLUMNS, "tax_id", tax_ids, org_id
            ):
                companies_by_tax.setdefault(values["tax_id"], CompanyRow(**values))
        if names:
            for values in await writer.select_in(
                connection, Company, writer.COMPANY_COLUMNS, "name_key", names, org_id
            ):
                companies_by_name.setdefault(values["name_key"], CompanyRow(**values))
        by_tax: dict[str, list[Client]] = {}
        if MatchOn.TAX_ID in self.options.match_on and companies_by_tax:
            by_company: dict[int | None, list[Client]] = {}
            linked_clients = await writer.select_in(
                connection,
                Client,
                ("id", "status"),
                "company_id",
                [c.id for c in companies_by_tax.values()],
                org_id,
            )
            active = [c["id"] for c in linked_clients if c["status"] == ClientStatus.ACTIVE]
            for client in await Client.filter(id__in=active) if active else []:
                by_company.setdefault(client.company_id, []).append(client)
            by_tax = {
                tax_id: by_company[company.id]
                for tax_id, company in companies_by_tax.items()
                if company.id in by_company
            }
        missing = list({row.category_key for row in valid if row.category} - self.categories.keys())
        if missing:
            self.categories.update(
                await ClientCategory.filter(
                    organization_id=org_id, name_key__in=missing
                ).values_list("name_key", "id")
            )
        companies: dict[int, Company | CompanyRow] = {
            c.id: c for c in (*companies_by_tax.values(), *companies_by_name.values())
        }
        linked = {
            client.company_id
            for client in (
                *by_id.values(),
                *by_email.values(),
                *(c for cs in by_tax.values() for c in cs),
            )
        }
        linked -= companies.keys()
        linked.discard(None)
        if linked:
            companies.update({c.id: c for c in await Company.filter(id__in=list(linked))})
        return Lookups(
            by_id=by_id,
            by_email=by_email,
            by_tax=by_tax,
            companies_by_tax=companies_by_tax,
            companies_by_name=companies_by_name,
            companies=companies,
            categories=dict(self.categories),
        )

    async def _commit(self, rows: list[Row], plan: Plan) -> None:
        job_id = self.job.id
        errors = []
        failed_rows = set()
        for row in rows:
            if not row.errors and row.number not in plan.errors:
                continue
            row_errors = row.errors + plan.errors.get(row.number, [])
            failed_rows.add(row.number)
            for position, (key, error) in enumerate(row_errors):
                column = self.columns.get(key) if key else None
                index = self.mapping.headers.index(column) if column else None
                errors.append(
                    ImportRowError(
                        organization_id=self.actor.org_id,
                        job_id=job_id,
                        row=row.number,
                        column=column[:200] if column else None,
                        field=key,
                        code=error.code.value,
                        message=message(error.code, self.options.language, **error.params),
                        value=row.cells[index]
                        if index is not None and index < len(row.cells)
                        else None,
                        cells=row.cells if position == 0 else None,
                    )
                )
        creates = [create for create in plan.creates if create.row.number not in failed_rows]
        updates = [update for update in plan.updates if update.row.number not in failed_rows]
        created, updated, unchanged = len(creates), 0, 0
        self._pending = {}
        async with in_transaction() as connection:
            await writer.begin_batch(connection)
            if self.writes:
                updated, unchanged = await self._write(connection, plan, creates, updates)
            else:
                updated = sum(1 for update in updates if planner.would_change(plan, update))
                unchanged = len(updates) - updated
            if errors:
                await ImportRowError.bulk_create(errors)
            # Last, so the job's row is locked only briefly; a runner that lost the job
            # since it started (see fencing.py) rolls this whole batch back here.
            await fence(
                connection,
                job_id,
                self.job.attempt,
                processed_rows=self.processed + len(rows),
                created_count=self.created + created,
                updated_count=self.updated + updated,
                skipped_count=self.skipped + plan.skipped + unchanged,
                failed_count=self.failed + len(failed_rows),
            )
        self.processed += len(rows)
        self.created += created
        self.updated += updated
        self.skipped += plan.skipped + unchanged
        self.failed += len(failed_rows)
        self.categories.update(self._pending.get("categories", {}))

    async def _write(
        self,
        connection: BaseDBAsyncClient,
        plan: Plan,
        creates: list[planner.Create],
        updates: list[planner.Update],
    ) -> tuple[int, int]:
        """Writes a batch inside the caller's transaction; the run's state changes only
        once that commits (see `_commit`), so a retried batch starts from the same state."""
        org_id, job_id = self.actor.org_id, self.job.id
        stamp = now()
        write = writer.Writer(connection, org_id, job_id, self.actor.user_id, stamp)
        categories = dict(self.categories)
        for key, name in plan.new_categories.items():
            category = await ClientCategory.create(organization_id=org_id, name=name, name_key=key)
            categories[key] = category.id
        self._pending["categories"] = categories
        # The search parts of each company a client links to, once per company and batch.
        company_parts: dict[int, tuple[str, ...]] = {}
        needed = {create.company for create in creates} | {update.company for update in updates}
        new_companies = [(ref, c) for ref, c in plan.new_companies.items() if ref in needed]
        new_company_ids: dict[tuple[str, str], int] = {}
        if new_companies:
            ids = await write.insert_companies([company for _, company in new_companies])
            for (ref, company), pk in zip(new_companies, ids, strict=True):
                new_company_ids[ref] = pk
                company_parts[pk] = company_search_parts(company)
        await _write_company_changes(connection, plan, stamp)

        def link(entry: planner.Create | planner.Update) -> tuple[str, ...]:
            """Sets the client's ids of new companies and categories; the search parts of
            its company."""
            client = entry.client
            if isinstance(entry.company, tuple):
                client.company_id = new_company_ids[entry.company]
            if isinstance(entry.category, str):
                client.category_id = categories[entry.category]
            company_id = client.company_id
            if company_id is None:
                return ()
            parts = company_parts.get(company_id)
            if parts is None:
                parts = company_parts[company_id] = company_search_parts(
                    plan.companies.get(company_id)
                )
            return parts

        activities: list[tuple[int, str, str, int, dict | str]] = []
        # The written clients' ids by row number.
        client_ids: dict[int, int] = {}
        if creates:
            for create in creates:
                set_client_keys(create.client, link(create), create.row.keys)
            ids = await write.insert_clients([create.client for create in creates])
            for create, pk in zip(creates, ids, strict=True):
                client_ids[create.row.number] = pk
                activities.append(
                    (
                        pk,
                        VERB_CREATED,
                        "Client",
                        pk,
                        writer.created_changes(create.row.created_changes, create.client),
                    )
                )
        changed: list[tuple[Client, list[str]]] = []
        unchanged = 0
        for update in updates:
            client = update.client
            client_ids[update.row.number] = client.id
            keys_changed = set_client_keys(client, link(update))
            after = {name: getattr(client, name) for name in UPDATABLE}
            diff = activity.diff(update.before, after)
            if not diff:
                unchanged += update.row.number not in plan.changed_company
                continue
            columns = [*diff, *keys_changed, "updated_at"]
            client.updated_at = stamp
            changed.append((client, columns))
            activities.append((client.id, VERB_UPDATED, "Client", client.id, diff))
        await writer.update(connection, Client, changed)
        for change in plan.company_changes:
            activities.append(
                (
                    client_ids[change.row],
                    VERB_COMPANY_UPDATED,
                    "Company",
                    change.company.id,
                    change.changes,
                )
            )
        searched = {
            change.company.id: change.company
            for change in plan.company_changes
            if change.changes.keys() & SEARCHED_COMPANY_FIELDS
        }
        if searched:
            written = {client_ids[create.row.number] for create in creates}
            written |= {client.id for client, _ in changed}
            await refresh_search_text(connection, searched, written)
        await write.insert_activity(activities)
        return len(updates) - unchanged, unchanged


async def _write_company_changes(connection: BaseDBAsyncClient, plan: Plan, stamp) -> None:
    """Each changed company once, in its final state."""
    fields: dict[int, set[str]] = {}
    for change in plan.company_changes:
        fields.setdefault(change.company.id, set()).update(change.changes)
    await write_companies(connection, plan.companies, fields, stamp)


async def write_companies(
    connection: BaseDBAsyncClient,
    companies: Mapping[int, Company | CompanyRow],
    fields: dict[int, set[str]],
    stamp: datetime,
) -> None:
    """Writes only the `fields` of each company that changed them (and its name key with its
    name), stamped `stamp`."""
    rows = []
    for company_id, names in fields.items():
        company = companies[company_id]
        company.updated_at = stamp
        extra = ["name_key"] if "name" in names else []
        rows.append((company, [*sorted(names), *extra, "updated_at"]))
    await writer.update(connection, Company, rows)


async def bulk_update(model: type[Model], rows: list[Model], fields: list[str]) -> None:
    """Tortoise's bulk_update in statements under the databases' argument limit: per field
    and row it binds the id and the value in a CASE, and the id once more in a WHERE that
    it repeats for each field."""
    await model.bulk_update(
        rows, fields=fields, batch_size=max(1, writer.MAX_ARGUMENTS // (3 * len(fields)))
    )


async def refresh_search_text(
    connection: BaseDBAsyncClient, companies: Mapping[int, CompanyValues], skip: set[int]
) -> None:
    """A company's name, legal name and tax ID are searchable on each of its clients."""
    searched = list(companies)
    last_id = 0
    while True:
        clients = (
            await Client.filter(company_id__in=searched, id__gt=last_id)
            .order_by("id")
            .limit(SEARCH_REFRESH_BATCH)
            .only("id", "name", "email", "mobile", "company_id")
        )
        if not clients:
            return
        last_id = clients[-1].id
        stale = []
        for client in clients:
            # Each client read has one of the companies (company_id__in above).
            if client.id in skip or client.company_id is None:
                continue
            client.search_text = client_search_text(client, companies[client.company_id])
            stale.append((client, ("search_text",)))
        await writer.update(connection, Client, stale)


@contextmanager
def collector_spared() -> Iterator[None]:
    """Within the block, the cyclic garbage collector leaves alone what the process held
    before it (gc.freeze), and gets it back after (gc.unfreeze).

    A batch allocates enough objects to set off a full collection, which went through the
    worker's whole heap: a twentieth of its CPU. Both calls move lists, whatever their
    length. Only the cleaning worker uses it, around one batch: in the server, spared for a
    whole import, it saved 12 µs a row but let the garbage of everything else the process
    did meanwhile wait for the end (peak memory +67 MiB at 1,000,000 rows, +41 without).
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@functools.cache
def _cleaning_pool() -> ProcessPoolExecutor:
    """One worker process, started with the first import and kept for the next ones.

    forkserver: the worker never inherits the server's event loop or database connections.
    """
    return ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver"))


async def _cleaned(cleaning: asyncio.Future, records: list[tuple[int, list[str]]]) -> list[Row]:
    """The rows the cleaning worker sent back, with their cells again."""
    return [
        Row.unpacked(values, cells)
        for values, (_, cells) in zip(await cleaning, records, strict=True)
    ]


def _clean_rows(
    records: list[tuple[int, list[str]]], mapping: mappings.Mapping, default_country: str | None
) -> list[tuple]:
    """The records cleaned, packed (`Row.packed`) for the way back to the server."""
    with collector_spared(), email_domains_remembered():
        rows = [clean_row(number, cells, mapping, default_country) for number, cells in records]
    for row in rows:
        if row.clean is not None and not row.errors:
            row.created_changes = writer.own_created_changes(row.clean.client)
    return [row.packed() for row in rows]
