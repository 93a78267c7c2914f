"""One running import: rows cleaned, deduplicated, matched and written a batch at a time.

Each batch costs a fixed number of statements whatever its size: one look-up per kind of
key (emails, tax IDs, company names, categories), then bulk inserts and updates in one
short transaction. Keys met earlier in the file live in a temporary SQLite file
(`SeenKeys`), so memory does not grow with the file.
"""

import asyncio
import functools
import multiprocessing
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
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
from gql_crm.services.clients import (
    build_search_text,
    client_search_parts,
    company_search_parts,
    join_search_parts,
)
from gql_crm.services.errors import ErrorCode, UserError
from gql_crm.services.imports import mapping as mappings
from gql_crm.services.imports import readers, writer
from gql_crm.services.imports.options import (
    UPDATABLE,
    VERB_COMPANY_UPDATED,
    VERB_CREATED,
    VERB_UPDATED,
    ImportMode,
    ImportOptions,
    MatchOn,
)
from gql_crm.services.imports.rows import Row, clean_row
from gql_crm.services.imports.seen import SeenKeys
from gql_crm.services.imports.writer import CompanyRow, NewClient
from gql_crm.services.messages import message
from gql_crm.services.text import fold
from gql_crm.services.validation import email_key

SEARCH_REFRESH_BATCH = 1000
# asyncpg binds at most 32,767 arguments to one statement (SQLite's default limit is 32,766).
MAX_ARGUMENTS = 32_766
# The company fields `build_search_text` reads.
SEARCHED_COMPANY_FIELDS = {"name", "legal_name", "tax_id"}


@dataclass
class Plan:
    creates: list[tuple[Row, NewClient]] = field(default_factory=list)
    updates: list[tuple[Row, Client, dict]] = field(default_factory=list)
    skipped: int = 0
    errors: dict[int, list[tuple[str | None, UserError]]] = field(default_factory=dict)
    # Client or company -> the key of the new company or category it links to.
    new_companies: dict[tuple, CompanyRow] = field(default_factory=dict)
    company_links: dict[int, tuple | int] = field(default_factory=dict)
    new_categories: dict[str, str] = field(default_factory=dict)
    category_links: dict[int, str | int] = field(default_factory=dict)
    companies: dict[int, Company | CompanyRow] = field(default_factory=dict)
    # (client, company, the company's changed fields as an activity diff), in file order.
    company_changes: list[tuple[Client | NewClient, Company | CompanyRow, dict]] = field(
        default_factory=list
    )
    # The rows that changed a company: an update of theirs is not "unchanged".
    changed_company: set[int] = field(default_factory=set)

    def fail(self, row: Row, key: str, code: ErrorCode, **params) -> None:
        self.errors.setdefault(row.number, []).append((key, UserError(code, (key,), params)))


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
        self.last_client_id = 0
        self.last_company_id = 0
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
        pending: asyncio.Future | None = None
        try:
            for batch in self._batches():
                cleaning = loop.run_in_executor(
                    pool, _clean_rows, batch, self.mapping, self.default_country
                )
                if pending is not None:
                    await self.process(await pending)
                pending = cleaning
            if pending is not None:
                await self.process(await pending)
        except BrokenProcessPool:
            # The worker died (killed, out of memory): this job fails and is rolled back;
            # the next one starts a new worker.
            _cleaning_pool.cache_clear()
            raise

    async def process(self, rows: list[Row]) -> None:
        self._dedupe_in_file(rows)
        for attempt in range(3):
            plan = await self._plan(rows)
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

    async def _plan(self, rows: list[Row]) -> Plan:
        plan = Plan()
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
                connection, Client, ("id",), "active_email_key", emails, org_id
            )
            if found:
                by_email = {
                    c.active_email_key: c
                    for c in await Client.filter(id__in=[client["id"] for client in found])
                }
        tax_ids = list({row.tax_id for row in valid if row.tax_id})
        names = list({row.company_key for row in valid if row.company_key and not row.tax_id})
        companies_by_tax: dict[str, CompanyRow] = {}
        companies_by_name: dict[str, CompanyRow] = {}
        if tax_ids:
            for values in await writer.select_in(
                connection, Company, writer.COMPANY_COLUMNS, "tax_id", tax_ids, org_id
            ):
                company = CompanyRow(**values)
                companies_by_tax.setdefault(company.tax_id, company)
        if names:
            for values in await writer.select_in(
                connection, Company, writer.COMPANY_COLUMNS, "name_key", names, org_id
            ):
                company = CompanyRow(**values)
                companies_by_name.setdefault(company.name_key, company)
        by_tax: dict[str, list[Client]] = {}
        if MatchOn.TAX_ID in self.options.match_on and companies_by_tax:
            company_tax = {c.id: c.tax_id for c in companies_by_tax.values()}
            for client in await Client.filter(
                organization_id=org_id,
                status=ClientStatus.ACTIVE,
                company_id__in=list(company_tax),
            ):
                by_tax.setdefault(company_tax[client.company_id], []).append(client)
        category_names = {row.category_key: row.category for row in valid if row.category}
        missing = [key for key in category_names if key not in self.categories]
        if missing:
            self.categories.update(
                await ClientCategory.filter(
                    organization_id=org_id, name_key__in=missing
                ).values_list("name_key", "id")
            )
        plan.companies = {
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
        linked -= plan.companies.keys()
        linked.discard(None)
        if linked:
            plan.companies.update({c.id: c for c in await Company.filter(id__in=list(linked))})

        matched: dict[int, int] = {}
        for row in valid:
            self._decide(
                plan,
                row,
                by_id,
                by_email,
                by_tax,
                companies_by_tax,
                companies_by_name,
                category_names,
                matched,
            )
        return plan

    def _decide(
        self,
        plan,
        row,
        by_id,
        by_email,
        by_tax,
        companies_by_tax,
        companies_by_name,
        category_names,
        matched,
    ) -> None:
        match, via = None, None
        match_on = self.options.match_on
        if row.client_id is not None:
            # An ID names one client: never another match, never a new client.
            match, via = by_id.get(row.client_id), "id"
            if match is None:
                plan.fail(row, "id", ErrorCode.NOT_FOUND)
                return
        elif MatchOn.EMAIL in match_on and row.email_key in by_email:
            match, via = by_email[row.email_key], "email"
        elif MatchOn.TAX_ID in match_on and row.tax_id in by_tax:
            candidates = by_tax[row.tax_id]
            if len(candidates) > 1:
                plan.fail(row, "tax_id", ErrorCode.AMBIGUOUS_MATCH)
                return
            match, via = candidates[0], "tax_id"
        if match is None:
            if row.email_key in by_email:
                plan.fail(row, "email", ErrorCode.DUPLICATE)
                return
        elif self.options.mode == ImportMode.CREATE_ONLY:
            plan.fail(row, via, ErrorCode.DUPLICATE)
            return
        elif self.options.mode == ImportMode.SKIP_EXISTING:
            plan.skipped += 1
            return
        elif matched.get(match.id, row.number) != row.number:
            plan.fail(row, via, ErrorCode.DUPLICATE_IN_FILE, row=matched[match.id])
            return
        elif by_email.get(row.email_key, match).id != match.id:
            plan.fail(row, "email", ErrorCode.DUPLICATE)
            return
        if match is not None:
            matched[match.id] = row.number

        company_ref = self._company_ref(plan, row, match, companies_by_tax, companies_by_name)
        category_ref = None
        if row.category:
            key = row.category_key
            category_ref = self.categories.get(key) or key
            if category_ref == key:
                plan.new_categories.setdefault(key, category_names[key])

        if match is None:
            client = NewClient(
                **row.clean.client, name_key=row.name_key, active_email_key=row.email_key
            )
            plan.creates.append((row, client))
            target = client
        else:
            before = {name: getattr(match, name) for name in UPDATABLE}
            for key, value in row.clean.client.items():
                setattr(match, key, value)
            target = match
            changes = {"before": before}
            plan.updates.append((row, match, changes))
        if company_ref is not None:
            plan.company_links[id(target)] = company_ref
            if isinstance(company_ref, int):
                target.company_id = company_ref
                if self.options.mode == ImportMode.UPDATE_EXISTING:
                    self._change_company(plan, row, target, plan.companies[company_ref])
        if category_ref is not None:
            plan.category_links[id(target)] = category_ref
            if isinstance(category_ref, int):
                target.category_id = category_ref

    def _company_ref(
        self, plan, row, match, companies_by_tax, companies_by_name
    ) -> tuple | int | None:
        """The id of the row's existing company, or the key of a company to create."""
        values = row.clean.company
        if not values:
            return None
        name_key = row.company_key
        current = plan.companies.get(match.company_id) if match is not None else None
        if current is not None and (
            current.tax_id == row.tax_id if row.tax_id else current.name_key == name_key
        ):
            # Two companies may share a name: the client keeps the one it has.
            return current.id
        existing = (
            companies_by_tax.get(row.tax_id) if row.tax_id else companies_by_name.get(name_key)
        )
        if existing is not None:
            return existing.id
        key = ("tax", row.tax_id) if row.tax_id else ("name", name_key)
        new = plan.new_companies.get(key)
        if new is None:
            plan.new_companies[key] = CompanyRow(name_key=name_key, **values)
        elif self.options.mode == ImportMode.UPDATE_EXISTING:
            # As if the rows were applied one after the other: the last value wins.
            for name, value in self._company_values(row).items():
                setattr(new, name, value)
            new.name_key = fold(new.name)[:200]
        return key

    @staticmethod
    def _company_values(row: Row) -> dict[str, Any]:
        """The company values the row sets; a made-up name (see `to_input`) sets none."""
        return {
            name: value
            for name, value in row.clean.company.items()
            if name != "name" or row.names_company
        }

    def _change_company(self, plan: Plan, row: Row, client: Client, company: Company) -> None:
        """UPDATE_EXISTING: the row's company values that differ are written to the company
        it links to (rows apply one after the other), with the old values kept for a
        roll-back."""
        values = self._company_values(row)
        changes = activity.diff({name: getattr(company, name) for name in values}, values)
        if not changes:
            return
        for name in changes:
            setattr(company, name, values[name])
        company.name_key = fold(company.name)[:200]
        plan.company_changes.append((client, company, changes))
        plan.changed_company.add(row.number)

    async def _commit(self, rows: list[Row], plan: Plan) -> None:
        job_id = self.job.id
        errors = []
        failed_rows = set()
        for row in rows:
            row_errors = row.errors + plan.errors.get(row.number, [])
            if not row_errors:
                continue
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
        creates = [(row, client) for row, client in plan.creates if row.number not in failed_rows]
        updates = [
            (row, client, changes)
            for row, client, changes in plan.updates
            if row.number not in failed_rows
        ]
        created, updated, unchanged = len(creates), 0, 0
        self._pending = {}
        async with in_transaction() as connection:
            if self.writes:
                updated, unchanged = await self._write(connection, plan, creates, updates)
            else:
                updated = sum(
                    1
                    for row, client, changes in updates
                    if _would_change(plan, row, client, changes)
                )
                unchanged = len(updates) - updated
            if errors:
                await ImportRowError.bulk_create(errors)
            self.processed += len(rows)
            self.created += created
            self.updated += updated
            self.skipped += plan.skipped + unchanged
            self.failed += len(failed_rows)
            await ImportJob.filter(id=job_id).update(
                processed_rows=self.processed,
                created_count=self.created,
                updated_count=self.updated,
                skipped_count=self.skipped,
                failed_count=self.failed,
                updated_at=now(),
                heartbeat_at=now(),
            )
        self.categories.update(self._pending.get("categories", {}))
        self.last_company_id = self._pending.get("last_company_id", self.last_company_id)
        self.last_client_id = self._pending.get("last_client_id", self.last_client_id)

    async def _write(
        self, connection: BaseDBAsyncClient, plan: Plan, creates, updates
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
        needed = {plan.company_links.get(id(client)) for _, client in creates}
        needed |= {plan.company_links.get(id(client)) for _, client, _ in updates}
        new_companies = [company for key, company in plan.new_companies.items() if key in needed]
        if new_companies:
            await write.insert_companies(new_companies)
            ids = (
                await Company.filter(import_job_id=job_id, id__gt=self.last_company_id)
                .order_by("id")
                .values_list("id", flat=True)
            )
            for company, pk in zip(new_companies, ids, strict=True):
                company.id = pk
                plan.companies[pk] = company
            self._pending["last_company_id"] = ids[-1]
        await _write_company_changes(connection, plan, stamp)

        company_parts: dict[int | None, tuple[str, ...]] = {None: ()}

        def link(client: Client | NewClient) -> tuple[str, ...]:
            """Sets the client's ids of new companies and categories; the search parts of
            its company (once per company and batch)."""
            company_ref = plan.company_links.get(id(client))
            if isinstance(company_ref, tuple):
                client.company_id = plan.new_companies[company_ref].id
            category_ref = plan.category_links.get(id(client))
            if isinstance(category_ref, str):
                client.category_id = categories[category_ref]
            parts = company_parts.get(client.company_id)
            if parts is None:
                parts = company_parts[client.company_id] = company_search_parts(
                    plan.companies.get(client.company_id)
                )
            return parts

        activities: list[tuple[int, str, str, int, dict | str]] = []
        if creates:
            for row, client in creates:
                client.search_text = join_search_parts(row.search_parts, link(client))
            await write.insert_clients([client for _, client in creates])
            ids = (
                await Client.filter(import_job_id=job_id, id__gt=self.last_client_id)
                .order_by("id")
                .values_list("id", flat=True)
            )
            for (row, client), pk in zip(creates, ids, strict=True):
                client.id = pk
                activities.append(
                    (
                        pk,
                        VERB_CREATED,
                        "Client",
                        pk,
                        writer.created_changes(row.created_changes, client),
                    )
                )
            self._pending["last_client_id"] = ids[-1]
        changed: list[tuple[Client, list[str]]] = []
        unchanged = 0
        for row, client, changes in updates:
            searched_before = client.search_text
            client.name_key = fold(client.name)[:200]
            client.search_text = join_search_parts(
                client_search_parts(client.name, client.email, client.mobile), link(client)
            )
            after = {name: getattr(client, name) for name in UPDATABLE}
            diff = activity.diff(changes["before"], after)
            if not diff:
                unchanged += row.number not in plan.changed_company
                continue
            columns = [*diff, "updated_at"]
            if "name" in diff:
                columns.append("name_key")
            if "email" in diff:
                client.active_email_key = (
                    email_key(client.email) if client.status == ClientStatus.ACTIVE else None
                )
                columns.append("active_email_key")
            if client.search_text != searched_before:
                columns.append("search_text")
            client.updated_at = stamp
            changed.append((client, columns))
            activities.append((client.id, VERB_UPDATED, "Client", client.id, diff))
        await writer.update(connection, Client, changed)
        for client, company, changes in plan.company_changes:
            activities.append((client.id, VERB_COMPANY_UPDATED, "Company", company.id, changes))
        searched = {
            company.id: company
            for _, company, changes in plan.company_changes
            if changes.keys() & SEARCHED_COMPANY_FIELDS
        }
        if searched:
            written = {client.id for _, client in creates} | {client.id for client, _ in changed}
            await refresh_search_text(connection, searched, written)
        await write.insert_activity(activities)
        return len(updates) - unchanged, unchanged


async def _write_company_changes(connection: BaseDBAsyncClient, plan: Plan, stamp) -> None:
    """Each changed company once, in its final state, writing only the changed columns."""
    fields: dict[int, set[str]] = {}
    for _, company, changes in plan.company_changes:
        fields.setdefault(company.id, set()).update(changes)
    rows = []
    for company_id, names in fields.items():
        company = plan.companies[company_id]
        company.updated_at = stamp
        extra = ["name_key"] if "name" in names else []
        rows.append((company, [*sorted(names), *extra, "updated_at"]))
    await writer.update(connection, Company, rows)


async def bulk_update(model: type[Model], rows: list[Model], fields: list[str]) -> None:
    """Tortoise's bulk_update in statements under the databases' argument limit: per field
    and row it binds the id and the value in a CASE, and the id once more in a WHERE that
    it repeats for each field."""
    await model.bulk_update(
        rows, fields=fields, batch_size=max(1, MAX_ARGUMENTS // (3 * len(fields)))
    )


async def refresh_search_text(
    connection: BaseDBAsyncClient, companies: dict[int, Company], skip: set[int]
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
            if client.id in skip:
                continue
            client.search_text = build_search_text(client, companies[client.company_id])
            stale.append((client, ("search_text",)))
        await writer.update(connection, Client, stale)


@functools.cache
def _cleaning_pool() -> ProcessPoolExecutor:
    """One worker process, started with the first import and kept for the next ones.

    forkserver: the worker never inherits the server's event loop or database connections.
    """
    return ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver"))


def _clean_rows(
    records: list[tuple[int, list[str]]], mapping: mappings.Mapping, default_country: str | None
) -> list[Row]:
    rows = [clean_row(number, cells, mapping, default_country) for number, cells in records]
    for row in rows:
        if not row.errors:
            row.created_changes = writer.own_created_changes(row.clean.client)
    return rows


def _would_change(plan: Plan, row: Row, client: Client, changes: dict) -> bool:
    """For a dry run: whether writing the update would change the client or its company."""
    if row.number in plan.changed_company:
        return True
    if isinstance(plan.company_links.get(id(client)), tuple):
        return True
    if isinstance(plan.category_links.get(id(client)), str):
        return True
    after = {name: getattr(client, name) for name in UPDATABLE}
    return bool(activity.diff(changes["before"], after))
