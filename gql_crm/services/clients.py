"""Clients and their companies: validation, create/update/archive, the filtered list."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pypika_tortoise.context import SqlContext
from pypika_tortoise.enums import Dialects
from pypika_tortoise.terms import Criterion, ValueWrapper
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, ResolveContext
from tortoise.filters import escape_like
from tortoise.query_utils import QueryModifier
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from gql_crm.models import Client, ClientCategory, ClientStatus, Company, Gender, Role
from gql_crm.services import activity, trigrams
from gql_crm.services.auth import Actor
from gql_crm.services.errors import ErrorCode, UserErrors
from gql_crm.services.keys import (
    client_search_text,
    company_name_key,
    company_search_parts,
    email_key,
    set_client_keys,
)
from gql_crm.services.pagination import SortKey, datetime_key
from gql_crm.services.records import lock_row, require_client, save_changed, write_transaction
from gql_crm.services.text import fold
from gql_crm.services.validation import (
    CONTROL_CHARACTERS,
    FieldInvalid,
    Validator,
    normalize_choice,
    normalize_country,
    normalize_email,
    normalize_language,
    normalize_phone,
    normalize_tax_id,
    normalize_website,
    optional_text,
    required_text,
)

CLIENT_FIELDS = ("name", "email", "mobile", "country", "gender", "language", "category_id")
COMPANY_FIELDS = ("name", "legal_name", "tax_id", "website", "office_phone")
ADDRESS_FIELDS = ("street", "city", "state", "postal_code", "country")


@dataclass
class CleanInput:
    """Normalized values of one client input; only the keys the caller gave."""

    client: dict[str, Any] = field(default_factory=dict)
    # None: leave the company alone; {}: unlink it; otherwise the company's new values.
    company: dict[str, Any] | None = None


async def clean_client_input(
    org_id: int,
    data: dict[str, Any],
    *,
    current: Client | None = None,
    current_company: Company | None = None,
    default_country: str | None = None,
) -> CleanInput:
    """Validates and normalizes a client input, collecting every error at once.

    `data` holds only the keys to set (a partial update omits the others); `company` and
    `company.address` are nested dicts, and `company: None` unlinks the company. The checks
    that need no database (`clean_client_fields`) are shared with the import, which looks
    duplicates up for a whole batch at once.
    """
    checks = Validator()
    clean = clean_client_fields(
        checks,
        data,
        current=current,
        current_company=current_company,
        default_country=default_country,
    )
    if clean.client.get("email"):
        duplicate = Client.filter(
            organization_id=org_id, active_email_key=email_key(clean.client["email"])
        )
        if current is not None:
            duplicate = duplicate.exclude(id=current.id)
        if await duplicate.exists():
            checks.add(ErrorCode.DUPLICATE, "email")
    category_id = clean.client.get("category_id")
    if (
        category_id is not None
        and not await ClientCategory.filter(organization_id=org_id, id=category_id).exists()
    ):
        checks.add(ErrorCode.NOT_FOUND, "category_id")
    checks.raise_if_errors()
    return clean


def clean_client_fields(
    checks: Validator,
    data: dict[str, Any],
    *,
    current: Client | None = None,
    current_company: Company | None = None,
    default_country: str | None = None,
) -> CleanInput:
    """The normalized values of `data`, every problem added to `checks`; no database."""
    values: dict[str, Any] = {}
    creating = current is None

    if creating or "name" in data:
        values["name"] = checks.check("name", required_text, data.get("name"), 200)
    if "email" in data:
        values["email"] = checks.check("email", normalize_email, data["email"])
    if "country" in data:
        values["country"] = checks.check("country", normalize_country, data["country"])
    if "gender" in data:
        values["gender"] = checks.check("gender", normalize_choice, data["gender"], Gender)
    if "language" in data:
        values["language"] = checks.check("language", normalize_language, data["language"])
    country = values.get("country", current.country if current else None) or default_country
    if "mobile" in data:
        values["mobile"] = checks.check("mobile", normalize_phone, data["mobile"], country)
    if "category_id" in data:
        values["category_id"] = data["category_id"]

    company = None
    if "company" in data:
        company = {}
        if data["company"] is not None:
            company = _clean_company(checks, data["company"], current_company, country)
    return CleanInput(values, company)


def _clean_company(
    checks: Validator, data: dict[str, Any], current: Company | None, client_country: str | None
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    path = ("company",)
    if current is None or "name" in data:
        values["name"] = checks.check((*path, "name"), required_text, data.get("name"), 200)
    if "legal_name" in data:
        values["legal_name"] = checks.check(
            (*path, "legal_name"), optional_text, data["legal_name"], 200
        )
    address = data.get("address")
    if address is not None:
        address_path = (*path, "address")
        for key, limit in (("street", 300), ("city", 100), ("state", 100), ("postal_code", 20)):
            if key in address:
                values[key] = checks.check((*address_path, key), optional_text, address[key], limit)
        if "country" in address:
            values["country"] = checks.check(
                (*address_path, "country"), normalize_country, address["country"]
            )
    elif "address" in data:
        values.update(dict.fromkeys(ADDRESS_FIELDS))
    country = values.get("country", current.country if current else None) or client_country
    if "tax_id" in data:
        values["tax_id"] = checks.check(
            (*path, "tax_id"), normalize_tax_id, data["tax_id"], country
        )
    if "website" in data:
        values["website"] = checks.check((*path, "website"), normalize_website, data["website"])
    if "office_phone" in data:
        values["office_phone"] = checks.check(
            (*path, "office_phone"), normalize_phone, data["office_phone"], country
        )
    return values


def _client_snapshot(client: Client) -> dict[str, Any]:
    return {name: getattr(client, name) for name in (*CLIENT_FIELDS, "company_id", "status")}


async def find_company(org_id: int, values: dict[str, Any]) -> Company | None:
    """The organization's company with the same tax ID, or the same name if none is given."""
    if values.get("tax_id"):
        return await Company.filter(organization_id=org_id, tax_id=values["tax_id"]).first()
    if values.get("name"):
        return await Company.filter(
            organization_id=org_id, name_key=company_name_key(values["name"])
        ).first()
    return None


async def _apply_company(
    org_id: int, client: Client, current: Company | None, values: dict[str, Any]
) -> Company | None:
    if not values:
        return None
    company = current or await find_company(org_id, values)
    shared = company is not None
    if company is None:
        company = Company(organization_id=org_id, name_key="")
    for key, value in values.items():
        setattr(company, key, value)
    company.name_key = company_name_key(company.name)
    await company.save()
    if shared:
        await refresh_company_clients(company, exclude_client_id=client.id)
    return company


async def refresh_company_clients(company: Company, exclude_client_id: int | None = None) -> None:
    """A company's name or tax ID is searchable on each of its clients."""
    others = Client.filter(company_id=company.id)
    if exclude_client_id is not None:
        others = others.exclude(id=exclude_client_id)
    for other in await others:
        other.search_text = client_search_text(other, company)
        await other.save(update_fields=["search_text"])


async def save_client(
    client: Client, company: Company | None, fields: Iterable[str] | None = None
) -> None:
    """Saves the client with its derived keys; only `fields` (and those keys) when given."""
    set_client_keys(client, company_search_parts(company))
    try:
        if fields is None:
            await client.save()
        else:
            await save_changed(client, [*fields, "active_email_key", "name_key", "search_text"])
    except IntegrityError:
        # Another request took the email between our check and this write.
        raise UserErrors.single(ErrorCode.DUPLICATE, "email") from None


async def create_client(actor: Actor, data: dict[str, Any]) -> Client:
    actor.require(Role.MEMBER)
    clean = await clean_client_input(
        actor.org_id, data, default_country=actor.organization.default_country
    )
    async with in_transaction():
        client = Client(organization_id=actor.org_id, name_key="")
        for key, value in clean.client.items():
            setattr(client, key, value)
        company = await _apply_company(actor.org_id, client, None, clean.company or {})
        client.company_id = company.id if company else None
        await save_client(client, company)
        await activity.record_on_client(
            actor,
            client.id,
            "created",
            activity.diff({}, {**clean.client, **_prefixed(clean.company)}),
        )
    return client


def _prefixed(company_values: dict[str, Any] | None) -> dict[str, Any]:
    return {f"company.{key}": value for key, value in (company_values or {}).items()}


async def update_client(actor: Actor, client_id: int, data: dict[str, Any]) -> Client:
    actor.require(Role.MEMBER)
    client = await require_client(actor, client_id, "id")
    current_company = await Company.get_or_none(id=client.company_id) if client.company_id else None
    clean = await clean_client_input(
        actor.org_id,
        data,
        current=client,
        current_company=current_company,
        default_country=actor.organization.default_country,
    )
    company_before = {k: getattr(current_company, k, None) for k in clean.company or {}}
    async with write_transaction():
        company = current_company
        if clean.company is not None:
            company = await _apply_company(actor.org_id, client, current_company, clean.company)
        # Locked after the company, as in every change that writes both: two edits of
        # clients sharing a company cannot each hold what the other waits for.
        client = await lock_row(Client, actor, client_id)
        # Applied to the row as it is now, writing only what the input changes: an archive
        # or another edit made meanwhile is kept.
        before = _client_snapshot(client)
        if clean.company is not None:
            client.company_id = company.id if company else None
        elif client.company_id != (company.id if company else None):
            company = await Company.get_or_none(id=client.company_id) if client.company_id else None
        for key, value in clean.client.items():
            setattr(client, key, value)
        await save_client(client, company, [*clean.client, "company_id"])
        changes = activity.diff(before, _client_snapshot(client))
        changes.update(activity.diff(_prefixed(company_before), _prefixed(clean.company)))
        if changes:
            await activity.record_on_client(actor, client.id, "updated", changes)
    return client


async def set_status(actor: Actor, client_id: int, status: ClientStatus) -> Client:
    actor.require(Role.MANAGER)
    async with write_transaction():
        client = await lock_row(Client, actor, client_id)
        if client.status == status:
            raise UserErrors.single(ErrorCode.INVALID_STATE, "id", state=client.status.value)
        if status == ClientStatus.ACTIVE and client.email:
            taken = await Client.filter(
                organization_id=actor.org_id, active_email_key=email_key(client.email)
            ).exists()
            if taken:
                raise UserErrors.single(ErrorCode.DUPLICATE, "email")
        previous = client.status
        client.status = status
        company = await Company.get(id=client.company_id) if client.company_id else None
        await save_client(client, company, ["status"])
        verb = "archived" if status == ClientStatus.ARCHIVED else "restored"
        await activity.record_on_client(
            actor, client.id, verb, activity.diff({"status": previous}, {"status": status})
        )
    return client


class ClientOrderField(StrEnum):
    NAME = "name_key"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"


@dataclass(frozen=True)
class ClientFilter:
    created_after: datetime | None = None
    created_before: datetime | None = None
    category_ids: tuple[int, ...] | None = None
    countries: tuple[str, ...] | None = None
    # None lists clients of every status.
    status: ClientStatus | None = ClientStatus.ACTIVE


DEFAULT_ORDER = ((ClientOrderField.CREATED_AT, True),)


def clients_queryset(org_id: int, search: str | None, filters: ClientFilter) -> QuerySet:
    """The clients list's rows, shared by the list, its totals and the export."""
    queryset = Client.filter(organization_id=org_id)
    if filters.status is not None:
        queryset = queryset.filter(status=filters.status)
    if filters.created_after is not None:
        queryset = queryset.filter(created_at__gte=filters.created_after)
    if filters.created_before is not None:
        queryset = queryset.filter(created_at__lt=filters.created_before)
    if filters.category_ids is not None:
        queryset = queryset.filter(category_id__in=list(filters.category_ids))
    if filters.countries is not None:
        queryset = queryset.filter(country__in=known_countries(filters.countries))
    if search is not None and search_terms(search):
        queryset = queryset.filter(_SearchFilter(search))
    return queryset


def known_countries(values: Iterable[str]) -> list[str]:
    """Alpha-2 codes of the values that name a country; the others can match no client."""
    codes = []
    for value in values:
        try:
            codes.append(normalize_country(value))
        except FieldInvalid:
            continue
    return [code for code in codes if code]


# Longer than any searchable field, so nothing longer can match; it also keeps the query
# within SQLite's LIKE pattern limit and the statement small.
MAX_SEARCH_LENGTH = 256


def search_terms(search: str | None) -> list[str]:
    """Every word must match somewhere: "garcia madrid" narrows, it does not widen."""
    if search is not None and len(search) > MAX_SEARCH_LENGTH:
        raise UserErrors.single(ErrorCode.TOO_LONG, "search", max_length=MAX_SEARCH_LENGTH)
    return CONTROL_CHARACTERS.sub(" ", fold(search or "")).split()


# Trigram indexes (pg_trgm, FTS5's trigram tokenizer) find only terms this long or longer.
TRIGRAM = 3


def search_condition(
    search: str | None, dialect: str, param: Callable[[str], str], table: str = '"client"'
) -> str | None:
    """The SQL condition on `table` (the clients table or its alias) for the search bar's
    `search`, or None when it holds no word: every word must occur in `search_text`.

    `dialect` is "postgres" or "sqlite"; `param(value)` binds a value and returns its
    placeholder. The list (through clients_queryset) and any statement compiled by hand share
    this one condition. PostgreSQL's trigram index serves the LIKE itself; for a word some
    of whose trigrams most rows hold, it looks up only the word's rarer stretches, and
    strpos checks the whole word (services/trigrams.py). On SQLite the FTS5
    trigram table narrows the rows to those holding every word of 3 or more characters, and
    the LIKE, the condition proper, checks them: so the answer is the plain scan's whatever
    the words (1-2 letters, which no trigram index can find, are only scanned for).
    """
    terms = search_terms(search)
    if not terms:
        return None
    conditions = []
    indexed = [term for term in terms if len(term) >= TRIGRAM]
    if dialect == "sqlite" and indexed:
        # FTS5 phrases: each word in double quotes (doubled inside), all of them required.
        phrases = " ".join('"' + term.replace('"', '""') + '"' for term in indexed)
        conditions.append(
            f'{table}."id" IN (SELECT rowid FROM "client_search" '
            f'WHERE "client_search" MATCH {param(phrases)})'
        )
    # Placeholders are numbered as `param` is called: in the order they appear.
    for term in terms:
        parts = trigrams.index_parts(term) if dialect == "postgres" else []
        if not parts:
            conditions.append(_contains(table, term, param))
            continue
        # The index looks up the term's rarer stretches; strpos, which it cannot serve,
        # checks the whole term on the rows they find.
        conditions += [_contains(table, part, param) for part in parts]
        conditions.append(f'strpos({table}."search_text", {param(term)}) > 0')
    return " AND ".join(conditions)


def _contains(table: str, term: str, param: Callable[[str], str]) -> str:
    return f"{table}.\"search_text\" LIKE {param(f'%{escape_like(term)}%')} ESCAPE '\\'"


class _SearchCriterion(Criterion):
    def __init__(self, search: str) -> None:
        super().__init__()
        self.search = search

    def get_sql(self, ctx: SqlContext) -> str:
        dialect = "sqlite" if ctx.dialect == Dialects.SQLITE else "postgres"
        # ValueWrapper binds the value, or inlines it quoted when the query is printed.
        sql = search_condition(self.search, dialect, lambda value: ValueWrapper(value).get_sql(ctx))
        return f"({sql})"


class _SearchFilter(Q):
    """search_condition as a queryset filter (Tortoise's lookups cannot say MATCH)."""

    def __init__(self, search: str) -> None:
        super().__init__()
        self.search = search

    def resolve(self, resolve_context: ResolveContext) -> QueryModifier:
        return QueryModifier(where_criterion=_SearchCriterion(self.search))


def client_sort_keys(order: Iterable[tuple[ClientOrderField, bool]] | None) -> list[SortKey]:
    order = list(order or DEFAULT_ORDER)
    keys = [
        SortKey(f.value, desc) if f is ClientOrderField.NAME else datetime_key(f.value, desc)
        for f, desc in order
    ]
    # Ties break on the id, in the direction of the last explicit key: a stable order.
    keys.append(SortKey("id", order[-1][1], int))
    return keys
