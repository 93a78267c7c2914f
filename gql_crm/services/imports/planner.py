"""What one batch of cleaned rows does to the database, decided without touching it.

`plan(rows, lookups, options)` is pure: no I/O, the same answer for the same input. The
run reads everything a batch can match into `Lookups` first (one query per kind of key),
and writes the `Plan` afterwards. The plan takes over the looked-up clients and companies:
an update's client and a changed company carry their new values, ready to be written.
"""

from dataclasses import dataclass, field
from typing import Any, Literal

from gql_crm.models import Client, Company
from gql_crm.services import activity
from gql_crm.services.clients import CleanInput
from gql_crm.services.errors import ErrorCode, InputError
from gql_crm.services.imports.options import UPDATABLE, ImportMode, ImportOptions, MatchOn
from gql_crm.services.imports.rows import Row
from gql_crm.services.imports.writer import CompanyRow, NewClient, NewCompany
from gql_crm.services.keys import company_name_key

# An existing company's id, or the key of a company the batch creates:
# ("tax", tax ID) or ("name", folded name).
CompanyRef = int | tuple[str, str]
# An existing category's id, or the folded name of a category the batch creates.
CategoryRef = int | str


@dataclass(frozen=True)
class Lookups:
    """What the database holds for the keys of one batch's valid rows."""

    # The clients the rows' ID column names (the organization's only).
    by_id: dict[int, Client] = field(default_factory=dict)
    # Active clients by email key.
    by_email: dict[str, Client] = field(default_factory=dict)
    # Active clients by their company's tax ID (read when matching on TAX_ID).
    by_tax: dict[str, list[Client]] = field(default_factory=dict)
    # Companies by the rows' tax IDs, and by the names of rows without a tax ID.
    companies_by_tax: dict[str, CompanyRow] = field(default_factory=dict)
    companies_by_name: dict[str, CompanyRow] = field(default_factory=dict)
    # Every company a row may keep, link to or change, by id.
    companies: dict[int, Company | CompanyRow] = field(default_factory=dict)
    # Existing categories' ids by folded name.
    categories: dict[str, int] = field(default_factory=dict)


@dataclass
class Create:
    """A row that becomes a new client."""

    row: Row
    client: NewClient
    company: CompanyRef | None = None
    category: CategoryRef | None = None


@dataclass
class Update:
    """A row that updates an existing client (already carrying the row's values)."""

    row: Row
    client: Client
    # The UPDATABLE values before the row, for the activity entry and a roll-back.
    before: dict[str, Any]
    company: CompanyRef | None = None
    category: CategoryRef | None = None


@dataclass
class CompanyChange:
    """UPDATE_EXISTING: an existing company's fields a row changed, with their old values."""

    # The number of the row that changed it (its client's id is known once written).
    row: int
    company: Company | CompanyRow
    changes: dict[str, dict[str, Any]]


@dataclass
class Plan:
    creates: list[Create] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    skipped: int = 0
    # Row number -> (field key, error)
    errors: dict[int, list[tuple[str | None, InputError]]] = field(default_factory=dict)
    new_companies: dict[tuple[str, str], NewCompany] = field(default_factory=dict)
    # Folded name -> name, of the categories to create.
    new_categories: dict[str, str] = field(default_factory=dict)
    # Every existing company the batch links to, by id.
    companies: dict[int, Company | CompanyRow] = field(default_factory=dict)
    # In file order.
    company_changes: list[CompanyChange] = field(default_factory=list)
    # The rows that changed a company: an update of theirs is not "unchanged".
    changed_company: set[int] = field(default_factory=set)

    def fail(self, row: Row, key: str, code: ErrorCode, /, **params: Any) -> None:
        # Positional-only: DUPLICATE_IN_FILE's own parameter is called `row` too.
        self.errors.setdefault(row.number, []).append((key, InputError(code, (key,), params)))


def plan(rows: list[Row], lookups: Lookups, options: ImportOptions) -> Plan:
    """Each valid row created, updated, skipped or failed, in file order; rows that already
    have errors are left out."""
    valid = [row for row in rows if not row.errors]
    planner = _Planner(lookups, options, valid)
    for row in valid:
        planner.decide(row)
    return planner.plan


class _Planner:
    def __init__(self, lookups: Lookups, options: ImportOptions, rows: list[Row]):
        self.lookups = lookups
        self.mode = options.mode
        self.match_on = options.match_on
        self.plan = Plan(companies=dict(lookups.companies))
        # Client id -> the row that updates it.
        self.matched: dict[int, int] = {}
        # A new category is named as the batch's last row spells it.
        self.category_names = {row.category_key: row.category for row in rows if row.category}

    def decide(self, row: Row) -> None:
        match = self._match(row)
        if match is False:
            return
        company_ref = self._company_ref(row, match)
        category_ref = self._category_ref(row)
        target: Client | NewClient
        if match is None:
            target = NewClient(
                **_clean(row).client, name_key=row.name_key, active_email_key=row.email_key
            )
            self.plan.creates.append(Create(row, target, company_ref, category_ref))
        else:
            before = {name: getattr(match, name) for name in UPDATABLE}
            for key, value in _clean(row).client.items():
                setattr(match, key, value)
            target = match
            self.plan.updates.append(Update(row, match, before, company_ref, category_ref))
        if isinstance(company_ref, int):
            target.company_id = company_ref
            if self.mode == ImportMode.UPDATE_EXISTING:
                self._change_company(row, self.plan.companies[company_ref])
        if isinstance(category_ref, int):
            target.category_id = category_ref

    def _match(self, row: Row) -> Client | Literal[False] | None:
        """The client the row updates, None for a new one, False when the row is done
        (failed or skipped)."""
        lookups, plan = self.lookups, self.plan
        match, via = None, ""
        if row.client_id is not None:
            # An ID names one client: never another match, never a new client.
            match, via = lookups.by_id.get(row.client_id), "id"
            if match is None:
                plan.fail(row, "id", ErrorCode.NOT_FOUND)
                return False
        elif MatchOn.EMAIL in self.match_on and row.email_key in lookups.by_email:
            match, via = lookups.by_email[row.email_key], "email"
        elif MatchOn.TAX_ID in self.match_on and row.tax_id in lookups.by_tax:
            candidates = lookups.by_tax[row.tax_id]
            if len(candidates) > 1:
                plan.fail(row, "tax_id", ErrorCode.AMBIGUOUS_MATCH)
                return False
            match, via = candidates[0], "tax_id"
        if match is None:
            if row.email_key in lookups.by_email:
                plan.fail(row, "email", ErrorCode.DUPLICATE)
                return False
            return None
        if self.mode == ImportMode.CREATE_ONLY:
            plan.fail(row, via, ErrorCode.DUPLICATE)
            return False
        if self.mode == ImportMode.SKIP_EXISTING:
            plan.skipped += 1
            return False
        if self.matched.get(match.id, row.number) != row.number:
            plan.fail(row, via, ErrorCode.DUPLICATE_IN_FILE, row=self.matched[match.id])
            return False
        if row.email_key and lookups.by_email.get(row.email_key, match).id != match.id:
            plan.fail(row, "email", ErrorCode.DUPLICATE)
            return False
        self.matched[match.id] = row.number
        return match

    def _category_ref(self, row: Row) -> CategoryRef | None:
        if not row.category:
            return None
        key = row.category_key
        assert key is not None, "a row with a category has its key"
        existing = self.lookups.categories.get(key)
        if existing is not None:
            return existing
        self.plan.new_categories.setdefault(key, self.category_names[key])
        return key

    def _company_ref(self, row: Row, match: Client | None) -> CompanyRef | None:
        """The id of the row's existing company, or the key of a company to create."""
        values = _clean(row).company
        if not values:
            return None
        name_key = row.company_key
        assert name_key is not None, "a row with company values has its key"
        current = (
            self.plan.companies.get(match.company_id)
            if match is not None and match.company_id is not None
            else None
        )
        if current is not None and (
            current.tax_id == row.tax_id if row.tax_id else current.name_key == name_key
        ):
            # Two companies may share a name: the client keeps the one it has.
            return current.id
        lookups = self.lookups
        existing = (
            lookups.companies_by_tax.get(row.tax_id)
            if row.tax_id
            else lookups.companies_by_name.get(name_key)
        )
        if existing is not None:
            return existing.id
        key: tuple[str, str] = ("tax", row.tax_id) if row.tax_id else ("name", name_key)
        new = self.plan.new_companies.get(key)
        if new is None:
            self.plan.new_companies[key] = NewCompany(name_key=name_key, **values)
        elif self.mode == ImportMode.UPDATE_EXISTING:
            # As if the rows were applied one after the other: the last value wins.
            for name, value in company_values(row).items():
                setattr(new, name, value)
            new.name_key = company_name_key(new.name)
        return key

    def _change_company(self, row: Row, company: Company | CompanyRow) -> None:
        """UPDATE_EXISTING: the row's company values that differ are written to the company
        it links to (rows apply one after the other), with the old values kept for a
        roll-back."""
        values = company_values(row)
        changes = activity.diff({name: getattr(company, name) for name in values}, values)
        if not changes:
            return
        for name in changes:
            setattr(company, name, values[name])
        company.name_key = company_name_key(company.name)
        self.plan.company_changes.append(CompanyChange(row.number, company, changes))
        self.plan.changed_company.add(row.number)


def _clean(row: Row) -> CleanInput:
    """A valid row's values (`plan` leaves out the rows whose cleaning failed)."""
    assert row.clean is not None, "a valid row is cleaned"
    return row.clean


def company_values(row: Row) -> dict[str, Any]:
    """The company values the row sets; a made-up name (see `rows.to_input`) sets none."""
    return {
        name: value
        for name, value in (_clean(row).company or {}).items()
        if name != "name" or row.names_company
    }


def would_change(plan: Plan, update: Update) -> bool:
    """For a dry run: whether writing the update would change the client or its company."""
    if update.row.number in plan.changed_company:
        return True
    if isinstance(update.company, tuple) or isinstance(update.category, str):
        return True
    after = {name: getattr(update.client, name) for name in UPDATABLE}
    return bool(activity.diff(update.before, after))
