"""The import planner on its own: rows and lookups in, a plan out, no database.

Rows are cleaned as the import cleans them (`clean_row`); existing clients are unsaved
model instances, existing companies the writer's `CompanyRow`, as the run reads them.
"""

import itertools
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tortoise import Tortoise

from gql_crm.models import Client, ClientStatus
from gql_crm.services.errors import ErrorCode
from gql_crm.services.imports import mapping as mappings
from gql_crm.services.imports.options import ImportMode, ImportOptions, MatchOn
from gql_crm.services.imports.planner import Lookups, Plan, Update, plan, would_change
from gql_crm.services.imports.rows import Row, clean_row
from gql_crm.services.imports.writer import CompanyRow
from gql_crm.services.keys import email_key
from gql_crm.services.spreadsheet import client_global_id
from gql_crm.services.text import fold

MAPPING = mappings.build(["ID", "Name", "Email", "Company", "Tax ID", "Category"])
# Valid Spanish CIFs.
TAX_IDS = ("B12345674", "A23456783", "B87654323", "B11111119")
# An ID the lookups never hold: the organization has no such client.
UNKNOWN_ID = 999


@pytest.fixture(scope="module", autouse=True)
def models():
    """Model classes usable without a database (the session's ORM may not be up)."""
    if not Client._meta._inited:
        Tortoise.init_models(["gql_crm.models"], "models")


def row(number, name, email="", *, company="", tax_id="", client_id=None, category=""):
    cells = [client_global_id(client_id) if client_id else "", name, email, company, tax_id]
    return clean_row(number, [*cells, category], MAPPING, "ES")


def invalid_row(number):
    cleaned = row(number, "", "not an email")
    assert cleaned.errors
    return cleaned


def existing(pk, name, email=None, company=None, **fields):
    return Client(
        id=pk,
        organization_id=1,
        name=name,
        name_key=fold(name),
        email=email,
        active_email_key=email_key(email),
        company_id=company.id if company else None,
        status=ClientStatus.ACTIVE,
        search_text="",
        **fields,
    )


def company(pk, name, tax_id=None):
    return CompanyRow(id=pk, name=name, name_key=fold(name), tax_id=tax_id)


def lookups_for(rows: list[Row], clients: list[Client], companies: list[CompanyRow], match_on):
    """The lookups the run reads for `rows` from a database holding `clients` and
    `companies` (see batches.Run._look_up)."""
    valid = [r for r in rows if not r.errors]
    by_tax_company = {c.tax_id: c for c in companies if c.tax_id}
    by_name_company = {}
    for c in companies:
        by_name_company.setdefault(c.name_key, c)
    companies_by_tax = {
        r.tax_id: by_tax_company[r.tax_id] for r in valid if r.tax_id in by_tax_company
    }
    companies_by_name = {
        r.company_key: by_name_company[r.company_key]
        for r in valid
        if r.company_key and not r.tax_id and r.company_key in by_name_company
    }
    active = [c for c in clients if c.status == ClientStatus.ACTIVE]
    by_tax: dict[str, list[Client]] = {}
    if MatchOn.TAX_ID in match_on:
        tax_of = {c.id: c.tax_id for c in companies_by_tax.values()}
        for client in active:
            if client.company_id in tax_of:
                by_tax.setdefault(tax_of[client.company_id], []).append(client)
    by_id = {c.id: c for c in clients if c.id in {r.client_id for r in valid}}
    by_email = {
        c.active_email_key: c for c in active if c.active_email_key in {r.email_key for r in valid}
    }
    linked = {
        c.company_id
        for c in (*by_id.values(), *by_email.values(), *itertools.chain(*by_tax.values()))
    }
    return Lookups(
        by_id=by_id,
        by_email=by_email,
        by_tax=by_tax,
        companies_by_tax=companies_by_tax,
        companies_by_name=companies_by_name,
        companies={
            c.id: c
            for c in companies
            if c.id in linked or c in companies_by_tax.values() or c in companies_by_name.values()
        },
    )


def outcomes(rows: list[Row], result: Plan) -> dict[int, tuple]:
    """Each row's fate: ("create",), ("update", client id), ("skip",), ("invalid",) or
    ("error", code, field)."""
    fates: dict[int, tuple] = {}
    for create in result.creates:
        fates[create.row.number] = ("create",)
    for update in result.updates:
        assert update.row.number not in fates
        fates[update.row.number] = ("update", update.client.id)
    for number, errors in result.errors.items():
        assert number not in fates
        ((field, error),) = errors
        fates[number] = ("error", error.code, field)
    skipped = 0
    for r in rows:
        if r.errors:
            fates[r.number] = ("invalid",)
        elif r.number not in fates:
            fates[r.number] = ("skip",)
            skipped += 1
    assert result.skipped == skipped
    return fates


def run(rows, clients=(), companies=(), *, mode, match_on):
    options = ImportOptions(mode=mode, match_on=match_on)
    lookups = lookups_for(rows, list(clients), list(companies), match_on)
    return outcomes(rows, plan(rows, lookups, options))


MODES = list(ImportMode)
KEYS = ("id", "email", "tax_id")
MATCH_ON = {"id": (MatchOn.EMAIL,), "email": (MatchOn.EMAIL,), "tax_id": (MatchOn.TAX_ID,)}


def acme():
    return company(10, "Acme", TAX_IDS[0])


def world_and_row(key: str, number: int, *, found: bool):
    """A client the key finds (or not), and a row that names it by that key."""
    companies = [acme()]
    clients = [existing(1, "Ana", "ana@example.es", companies[0])]
    if key == "id":
        return clients, companies, row(number, "Ana B", client_id=1 if found else UNKNOWN_ID)
    if key == "email":
        email = "ana@example.es" if found else "new@example.es"
        return clients, companies, row(number, "Ana B", email)
    tax_id = TAX_IDS[0] if found else TAX_IDS[1]
    return clients, companies, row(number, "Ana B", company="Acme", tax_id=tax_id)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("key", KEYS)
def test_a_row_no_client_matches(mode, key):
    clients, companies, new = world_and_row(key, 2, found=False)
    fates = run([new], clients, companies, mode=mode, match_on=MATCH_ON[key])
    # An ID names one client: one that does not exist is an error, never a new client.
    assert fates == {2: ("error", ErrorCode.NOT_FOUND, "id") if key == "id" else ("create",)}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("key", KEYS)
def test_a_row_matching_an_existing_client(mode, key):
    clients, companies, matching = world_and_row(key, 2, found=True)
    fates = run([matching], clients, companies, mode=mode, match_on=MATCH_ON[key])
    assert fates == {
        2: {
            ImportMode.CREATE_ONLY: ("error", ErrorCode.DUPLICATE, key),
            ImportMode.SKIP_EXISTING: ("skip",),
            ImportMode.UPDATE_EXISTING: ("update", 1),
        }[mode]
    }


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("key", KEYS)
def test_two_rows_matching_the_same_client(mode, key):
    clients, companies, first = world_and_row(key, 2, found=True)
    second = replace(first, number=3, errors=[])
    fates = run([first, second], clients, companies, mode=mode, match_on=MATCH_ON[key])
    assert (
        fates
        == {
            ImportMode.CREATE_ONLY: {
                2: ("error", ErrorCode.DUPLICATE, key),
                3: ("error", ErrorCode.DUPLICATE, key),
            },
            ImportMode.SKIP_EXISTING: {2: ("skip",), 3: ("skip",)},
            # Rows apply one after the other: a second update of the client is refused.
            ImportMode.UPDATE_EXISTING: {
                2: ("update", 1),
                3: ("error", ErrorCode.DUPLICATE_IN_FILE, key),
            },
        }[mode]
    )


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("key", KEYS)
def test_an_invalid_row_is_left_out(mode, key):
    clients, companies, valid = world_and_row(key, 3, found=True)
    result = plan(
        [invalid_row(2)],
        lookups_for([], clients, companies, MATCH_ON[key]),
        ImportOptions(mode=mode, match_on=MATCH_ON[key]),
    )
    assert result == Plan()
    fates = run([invalid_row(2), valid], clients, companies, mode=mode, match_on=MATCH_ON[key])
    assert fates[2] == ("invalid",)


@pytest.mark.parametrize("mode", MODES)
def test_a_new_row_with_the_email_of_a_client_it_does_not_match(mode):
    """Matching on the tax ID only: the row is new, yet its email is another active
    client's."""
    ana = existing(1, "Ana", "ana@example.es")
    new = row(2, "Ana B", "ana@example.es", company="Beta", tax_id=TAX_IDS[1])
    fates = run([new], [ana], [], mode=mode, match_on=(MatchOn.TAX_ID,))
    assert fates == {2: ("error", ErrorCode.DUPLICATE, "email")}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("key", ("id", "tax_id"))
def test_an_update_taking_another_clients_email(mode, key):
    companies = [acme()]
    ana = existing(1, "Ana", "ana@example.es", companies[0])
    bea = existing(2, "Bea", "bea@example.es")
    taking = row(
        2,
        "Ana B",
        "bea@example.es",
        company="Acme",
        tax_id=TAX_IDS[0],
        client_id=1 if key == "id" else None,
    )
    fates = run([taking], [ana, bea], companies, mode=mode, match_on=MATCH_ON[key])
    expected = {
        # Matched, then refused before the email is looked at.
        ImportMode.CREATE_ONLY: ("error", ErrorCode.DUPLICATE, key),
        ImportMode.SKIP_EXISTING: ("skip",),
        ImportMode.UPDATE_EXISTING: ("error", ErrorCode.DUPLICATE, "email"),
    }[mode]
    assert fates == {2: expected}


@pytest.mark.parametrize("mode", MODES)
def test_a_tax_id_shared_by_two_clients_is_ambiguous(mode):
    companies = [acme()]
    ana = existing(1, "Ana", "ana@example.es", companies[0])
    bea = existing(2, "Bea", "bea@example.es", companies[0])
    fates = run(
        [row(2, "Someone", company="Acme", tax_id=TAX_IDS[0])],
        [ana, bea],
        companies,
        mode=mode,
        match_on=(MatchOn.TAX_ID,),
    )
    assert fates == {2: ("error", ErrorCode.AMBIGUOUS_MATCH, "tax_id")}


def test_email_comes_before_tax_id_and_the_id_before_both():
    companies = [acme()]
    ana = existing(1, "Ana", "ana@example.es", companies[0])
    bea = existing(2, "Bea", "bea@example.es")
    both = (MatchOn.EMAIL, MatchOn.TAX_ID)
    by_email = row(2, "X", "bea@example.es", company="Acme", tax_id=TAX_IDS[0])
    by_id = row(3, "Y", "ana@example.es", client_id=2)
    fates = run(
        [by_email, by_id], [ana, bea], companies, mode=ImportMode.UPDATE_EXISTING, match_on=both
    )
    # Row 3 names Bea by her ID, whom row 2 already updates; its email is Ana's anyway.
    assert fates == {2: ("update", 2), 3: ("error", ErrorCode.DUPLICATE_IN_FILE, "id")}


def test_an_update_carries_the_new_values_and_keeps_the_old_ones():
    companies = [acme()]
    ana = existing(1, "Ana", "ana@example.es", companies[0], mobile="+34612345678")
    options = ImportOptions(mode=ImportMode.UPDATE_EXISTING)
    rows = [row(2, "Ana María", "ana@example.es", company="Acme", tax_id=TAX_IDS[0])]
    result = plan(rows, lookups_for(rows, [ana], companies, options.match_on), options)
    (update,) = result.updates
    assert update.client is ana and ana.name == "Ana María" and ana.company_id == 10
    assert (update.before["name"], update.before["mobile"]) == ("Ana", "+34612345678")
    assert update.company == 10 and would_change(result, update)
    unchanged = Update(update.row, ana, {**update.before, "name": "Ana María"}, 10)
    assert not would_change(result, unchanged)


def test_new_companies_and_categories_once_per_batch():
    rows = [
        row(2, "Ana", "ana@example.es", company="Beta", tax_id=TAX_IDS[1], category="vip"),
        row(3, "Bea", "bea@example.es", company="Beta SL", tax_id=TAX_IDS[1], category="VIP"),
        row(4, "Carla", "carla@example.es", company="Gamma", category="Normal"),
    ]
    lookups = replace(lookups_for(rows, [], [], (MatchOn.EMAIL,)), categories={"normal": 7})
    result = plan(rows, lookups, ImportOptions(mode=ImportMode.UPDATE_EXISTING))
    assert [(c.company, c.category) for c in result.creates] == [
        (("tax", TAX_IDS[1]), "vip"),
        (("tax", TAX_IDS[1]), "vip"),
        (("name", "gamma"), 7),
    ]
    # UPDATE_EXISTING: the last row's company values win; a category is named as the
    # batch's last row spells it.
    assert result.new_companies[("tax", TAX_IDS[1])].name == "Beta SL"
    assert result.new_categories == {"vip": "VIP"}
    assert result.creates[2].client.category_id == 7


def test_an_existing_company_changed_by_update_existing_only():
    for mode, changed in ((ImportMode.UPDATE_EXISTING, True), (ImportMode.SKIP_EXISTING, False)):
        acme = company(10, "Acme", TAX_IDS[0])
        rows = [row(2, "New", "new@example.es", company="Acme Iberia", tax_id=TAX_IDS[0])]
        result = plan(
            rows, lookups_for(rows, [], [acme], (MatchOn.EMAIL,)), ImportOptions(mode=mode)
        )
        assert result.creates[0].company == 10
        assert (acme.name == "Acme Iberia") is changed
        assert [c.changes for c in result.company_changes] == (
            [{"name": {"old": "Acme", "new": "Acme Iberia"}}] if changed else []
        )
        assert result.changed_company == ({2} if changed else set())


# ---- any batch ----------------------------------------------------------------------

EMAILS = ("ana@example.es", "bea@example.es", "carla@example.es", "dani@example.es")


@st.composite
def worlds(draw):
    companies = [company(10 + i, f"Company {i}", tax_id) for i, tax_id in enumerate(TAX_IDS[:3])]
    clients = []
    for pk, email in enumerate(draw(st.lists(st.sampled_from(EMAILS), unique=True)), start=1):
        employer = draw(st.none() | st.sampled_from(companies))
        clients.append(existing(pk, f"Client {pk}", email, employer))
    rows = []
    for number in range(2, 2 + draw(st.integers(0, 8))):
        if draw(st.integers(0, 9)) == 0:
            rows.append(invalid_row(number))
            continue
        client_id = draw(st.none() | st.integers(1, len(clients) + 1))
        email = draw(st.sampled_from(("", *EMAILS, f"row{number}@example.es")))
        tax_id = draw(st.sampled_from(("", *TAX_IDS)))
        name = draw(st.sampled_from(("", "Company 0", "Other"))) if not tax_id else "T"
        rows.append(
            row(number, f"Row {number}", email, company=name, tax_id=tax_id, client_id=client_id)
        )
    mode = draw(st.sampled_from(MODES))
    match_on = draw(
        st.sampled_from([(MatchOn.EMAIL,), (MatchOn.TAX_ID,), (MatchOn.EMAIL, MatchOn.TAX_ID)])
    )
    return companies, clients, rows, mode, match_on


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(worlds())
def test_any_batch(world):
    companies, clients, rows, mode, match_on = world
    # The run reports an email met earlier in the file before planning (SeenKeys).
    seen: set[str] = set()
    for r in rows:
        if r.email_key and not r.errors:
            if r.email_key in seen:
                r.errors.append(("email", None))
            seen.add(r.email_key)
    active_emails = {c.active_email_key: c.id for c in clients}
    original = {c.id: (c.name, c.email, c.company_id) for c in clients}
    lookups = lookups_for(rows, clients, companies, match_on)
    result = plan(rows, lookups, ImportOptions(mode=mode, match_on=match_on))
    fates = outcomes(rows, result)  # every row has exactly one fate

    updated = [update.client.id for update in result.updates]
    assert len(updated) == len(set(updated))
    if mode != ImportMode.UPDATE_EXISTING:
        assert not updated and not result.company_changes
    for create in result.creates:
        assert create.row.client_id is None
        assert create.client.active_email_key not in active_emails
    for update in result.updates:
        r = update.row
        assert update.client.name == r.clean.client["name"]
        assert (update.before["name"], update.before["email"]) == original[update.client.id][:2]
        assert active_emails.get(r.email_key, update.client.id) == update.client.id
    for entry in (*result.creates, *result.updates):
        if entry.company is None:
            assert not entry.row.clean.company
        elif isinstance(entry.company, int):
            assert entry.client.company_id == entry.company in result.companies
        else:
            assert entry.company in result.new_companies
    for number, fate in fates.items():
        r = next(r for r in rows if r.number == number)
        if r.client_id is not None and r.client_id not in original and not r.errors:
            assert fate == ("error", ErrorCode.NOT_FOUND, "id")
