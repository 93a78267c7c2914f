"""Creating, editing, archiving clients: every validation rule, through HTTP."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gql_crm.models import Activity, Client, Company
from tests.helpers import (
    ARCHIVE_CLIENT,
    CREATE_CATEGORY,
    CREATE_CLIENT,
    RESTORE_CLIENT,
    UPDATE_CLIENT,
    create_client,
    pk_of,
)

FULL_INPUT = {
    "name": "  José Núñez García ",
    "email": "Jose.Nunez@Example.COM",
    "mobile": "612 34 56 78",
    "country": "España",
    "gender": "MALE",
    "language": "ES",
    "company": {
        "name": "Construcciones Núñez",
        "legalName": "Construcciones Núñez S.L.",
        "taxId": "b-1234567-4",
        "website": "WWW.Nunez.example.ES/contacto",
        "officePhone": "91 123 45 67",
        "address": {
            "street": "Calle de Alcalá 1",
            "city": "Madrid",
            "state": "Madrid",
            "postalCode": "28014",
            "country": "es",
        },
    },
}


async def test_create_client_normalizes_and_stores_every_field(org):
    category = (await org.data(CREATE_CATEGORY, {"name": "VIP"}))["createClientCategory"]
    client = await create_client(org, **FULL_INPUT, categoryId=category["clientCategory"]["id"])
    assert client["name"] == "José Núñez García"
    assert client["email"] == "Jose.Nunez@example.com"
    assert client["mobile"] == "+34612345678"
    assert client["country"] == "ES"
    assert client["gender"] == "MALE"
    assert client["language"] == "es"
    assert client["status"] == "ACTIVE"
    assert client["category"]["name"] == "VIP"
    assert client["company"] == {
        "name": "Construcciones Núñez",
        "legalName": "Construcciones Núñez S.L.",
        "taxId": "B12345674",
        "website": "https://www.nunez.example.es/contacto",
        "officePhone": "+34911234567",
        "address": {
            "street": "Calle de Alcalá 1",
            "city": "Madrid",
            "state": "Madrid",
            "postalCode": "28014",
            "country": "ES",
        },
    }
    stored = await Client.get(id=pk_of(client["id"]))
    assert stored.organization_id == org.id
    assert stored.mobile == "+34612345678"
    assert stored.active_email_key == "jose.nunez@example.com"
    company = await Company.get(id=stored.company_id)
    assert (company.tax_id, company.organization_id) == ("B12345674", org.id)
    entry = await Activity.get(client_id=stored.id, verb="created")
    assert entry.changes["name"] == {"old": None, "new": "José Núñez García"}
    assert entry.changes["company.tax_id"]["new"] == "B12345674"


async def test_only_a_name_is_required(org):
    client = await create_client(org, name="Ana")
    assert client["email"] is None and client["company"] is None


# Real-world values each field's library accepts, with the stored form.
VALID = [
    ({"mobile": "+34 600 000 000"}, "mobile", "+34600000000"),
    ({"mobile": "0034 612-345-678"}, "mobile", "+34612345678"),
    ({"mobile": "55 1234 5678", "country": "MX"}, "mobile", "+525512345678"),
    ({"mobile": "+44 7911 123456", "country": "ES"}, "mobile", "+447911123456"),
    ({"country": "Spain"}, "country", "ES"),
    ({"country": "Alemania"}, "country", "DE"),
    ({"country": "méxico"}, "country", "MX"),
    ({"country": "PRT"}, "country", "PT"),
    ({"email": "maría@ejemplo.es"}, "email", "maría@ejemplo.es"),
    ({"email": "o'brien+crm@Example.IE"}, "email", "o'brien+crm@example.ie"),
    ({"language": "Catalan"}, "language", "ca"),
    ({"gender": "UNDISCLOSED"}, "gender", "UNDISCLOSED"),
]


@pytest.mark.parametrize("values,field,stored", VALID)
async def test_valid_values(org, values, field, stored):
    client = await create_client(org, name="Valid", **values)
    assert client[field] == stored


VALID_TAX_IDS = [
    ("ES", "12345678Z", "12345678Z"),  # DNI
    ("ES", "x-1234567-l", "X1234567L"),  # NIE
    ("ES", "B12345674", "B12345674"),  # CIF
    ("PT", "501 964 843", "501964843"),  # NIF
    ("FR", "FR 40 303 265 045", "FR40303265045"),  # TVA
    ("MX", "GODE561231GR8", "GODE561231GR8"),  # RFC
    (None, "ESB12345674", "ESB12345674"),  # EU VAT, prefix says the country
    ("DE", "DE 136 695 976", "DE136695976"),
]


@pytest.mark.parametrize("country,tax_id,stored", VALID_TAX_IDS)
async def test_valid_tax_ids(org, country, tax_id, stored):
    company = {"name": "Co", "taxId": tax_id}
    if country:
        company["address"] = {"country": country}
    client = await create_client(org, name="Tax", company=company)
    assert client["company"]["taxId"] == stored


INVALID = [
    ({"name": "   "}, "REQUIRED", ["name"]),
    ({"name": "x" * 201}, "TOO_LONG", ["name"]),
    ({"name": "Nul\x00byte"}, "INVALID_CHARACTERS", ["name"]),
    ({"company": {"name": "A", "taxId": "B1\x00"}}, "INVALID_CHARACTERS", ["company", "taxId"]),
    ({"email": "maria.garcia@@example"}, "INVALID_EMAIL", ["email"]),
    ({"email": "no-at-sign"}, "INVALID_EMAIL", ["email"]),
    ({"email": "a@localhost"}, "INVALID_EMAIL", ["email"]),
    ({"mobile": "12"}, "INVALID_PHONE", ["mobile"]),
    ({"mobile": "612 34 56 7"}, "INVALID_PHONE", ["mobile"]),
    ({"mobile": "call me"}, "INVALID_PHONE", ["mobile"]),
    ({"country": "Narnia"}, "INVALID_COUNTRY", ["country"]),
    ({"country": "XX"}, "INVALID_COUNTRY", ["country"]),
    ({"language": "xx"}, "INVALID_LANGUAGE", ["language"]),
    ({"company": {"name": " "}}, "REQUIRED", ["company", "name"]),
    ({"company": {"name": "A", "taxId": "12345678A"}}, "INVALID_TAX_ID", ["company", "taxId"]),
    ({"company": {"name": "A", "taxId": "B12345678"}}, "INVALID_TAX_ID", ["company", "taxId"]),
    ({"company": {"name": "A", "taxId": "ESB12345678"}}, "INVALID_TAX_ID", ["company", "taxId"]),
    ({"company": {"name": "A", "website": "not a url"}}, "INVALID_URL", ["company", "website"]),
    (
        {"company": {"name": "A", "website": "ftp://example.com"}},
        "INVALID_URL",
        ["company", "website"],
    ),
    ({"company": {"name": "A", "officePhone": "123"}}, "INVALID_PHONE", ["company", "officePhone"]),
    (
        {"company": {"name": "A", "address": {"country": "Atlantis"}}},
        "INVALID_COUNTRY",
        ["company", "address", "country"],
    ),
    (
        {"company": {"name": "A", "address": {"postalCode": "1" * 21}}},
        "TOO_LONG",
        ["company", "address", "postalCode"],
    ),
]


@pytest.mark.parametrize("values,code,field", INVALID)
async def test_invalid_values_are_user_errors(org, values, code, field):
    body = await org.data(CREATE_CLIENT, {"input": {"name": "Someone", **values}})
    payload = body["createClient"]
    assert payload["client"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)]
    assert payload["errors"][0]["message"]
    assert await Client.filter(organization_id=org.id).count() == 0


async def test_several_errors_come_back_together_in_spanish(org):
    body = await org.data(
        CREATE_CLIENT,
        {
            "input": {
                "name": "",
                "email": "x@@y",
                "mobile": "12",
                "company": {"name": "A", "taxId": "12345678A"},
            }
        },
        headers={"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"},
    )
    errors = body["createClient"]["errors"]
    assert [e["code"] for e in errors] == [
        "REQUIRED",
        "INVALID_EMAIL",
        "INVALID_PHONE",
        "INVALID_TAX_ID",
    ]
    assert errors[0]["message"] == "Este campo es obligatorio."
    assert errors[2]["message"] == "No es un número de teléfono válido para ES."
    english = await org.data(CREATE_CLIENT, {"input": {"name": ""}})
    assert english["createClient"]["errors"][0]["message"] == "This field is required."


async def test_a_bad_enum_is_a_graphql_error_not_a_500(org):
    body = await org.gql(CREATE_CLIENT, {"input": {"name": "A", "gender": "ROBOT"}})
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_email_is_unique_among_active_clients(org):
    first = await create_client(org, name="María", email="maria@example.com")
    duplicate = await org.data(
        CREATE_CLIENT, {"input": {"name": "Otra", "email": "MARIA@example.com"}}
    )
    assert duplicate["createClient"]["errors"][0]["code"] == "DUPLICATE"
    assert duplicate["createClient"]["errors"][0]["field"] == ["email"]

    await org.data(ARCHIVE_CLIENT, {"id": first["id"]})
    second = await create_client(org, name="María bis", email="maria@example.com")
    restored = await org.data(RESTORE_CLIENT, {"id": first["id"]})
    assert restored["restoreClient"]["errors"][0]["code"] == "DUPLICATE"

    await org.data(UPDATE_CLIENT, {"id": second["id"], "input": {"email": None}})
    restored = await org.data(RESTORE_CLIENT, {"id": first["id"]})
    assert restored["restoreClient"]["client"]["status"] == "ACTIVE"


async def test_update_is_partial(org):
    client = await create_client(org, **FULL_INPUT)
    data = await org.data(UPDATE_CLIENT, {"id": client["id"], "input": {"name": "José N."}})
    updated = data["updateClient"]["client"]
    assert updated["name"] == "José N."
    assert updated["email"] == client["email"]
    assert updated["company"] == client["company"]
    assert updated["updatedAt"] >= client["updatedAt"]

    data = await org.data(
        UPDATE_CLIENT,
        {
            "id": client["id"],
            "input": {"mobile": None, "company": {"website": "nunez.example.com"}},
        },
    )
    updated = data["updateClient"]["client"]
    assert updated["mobile"] is None
    assert updated["company"]["website"] == "https://nunez.example.com"
    assert updated["company"]["taxId"] == "B12345674"

    data = await org.data(UPDATE_CLIENT, {"id": client["id"], "input": {"company": None}})
    assert data["updateClient"]["client"]["company"] is None
    entries = await Activity.filter(client_id=pk_of(client["id"]), verb="updated").order_by("id")
    assert entries[0].changes == {"name": {"old": "José Núñez García", "new": "José N."}}
    assert entries[1].changes["mobile"] == {"old": "+34612345678", "new": None}


async def test_invalid_update_changes_nothing(org):
    client = await create_client(org, name="Keep", email="keep@example.com")
    data = await org.data(
        UPDATE_CLIENT, {"id": client["id"], "input": {"name": "Changed", "email": "broken@"}}
    )
    assert data["updateClient"]["errors"][0]["field"] == ["email"]
    stored = await Client.get(id=pk_of(client["id"]))
    assert (stored.name, stored.email) == ("Keep", "keep@example.com")


async def test_mobile_is_read_with_the_new_country(org):
    client = await create_client(org, name="Lupita")
    data = await org.data(
        UPDATE_CLIENT, {"id": client["id"], "input": {"country": "MX", "mobile": "55 1234 5678"}}
    )
    assert data["updateClient"]["client"]["mobile"] == "+525512345678"


async def test_clients_of_one_company_share_it(org):
    first = await create_client(org, name="A", company={"name": "Acme", "taxId": "B12345674"})
    second = await create_client(
        org, name="B", company={"name": "ACME S.L.", "taxId": "B-12345674"}
    )
    assert first["company"]["taxId"] == second["company"]["taxId"]
    assert await Company.filter(organization_id=org.id).count() == 1
    found = await org.data('{ clients(search: "acme s.l.") { edges { node { name } } } }')
    assert sorted(e["node"]["name"] for e in found["clients"]["edges"]) == ["A", "B"]


async def test_archive_and_restore(org):
    client = await create_client(org, name="Old")
    data = await org.data(ARCHIVE_CLIENT, {"id": client["id"]})
    assert data["archiveClient"]["client"]["status"] == "ARCHIVED"
    again = await org.data(ARCHIVE_CLIENT, {"id": client["id"]})
    assert again["archiveClient"]["errors"][0]["code"] == "INVALID_STATE"
    listed = await org.data("{ clients { totalCount } }")
    assert listed["clients"]["totalCount"] == 0
    archived = await org.data("{ clients(filter: {status: ARCHIVED}) { totalCount } }")
    assert archived["clients"]["totalCount"] == 1
    every = await org.data("{ clients(filter: {status: null}) { totalCount } }")
    assert every["clients"]["totalCount"] == 1
    still_readable = await org.data(
        "query($id: ID!) { client(id: $id) { status } }", {"id": client["id"]}
    )
    assert still_readable["client"]["status"] == "ARCHIVED"
    data = await org.data(RESTORE_CLIENT, {"id": client["id"]})
    assert data["restoreClient"]["client"]["status"] == "ACTIVE"
    verbs = (
        await Activity.filter(client_id=pk_of(client["id"]))
        .order_by("id")
        .values_list("verb", flat=True)
    )
    assert verbs == ["created", "archived", "restored"]


async def test_duplicate_category_names_ignore_case_and_accents(org):
    await org.data(CREATE_CATEGORY, {"name": "Préstamo"})
    data = await org.data(CREATE_CATEGORY, {"name": "PRESTAMO"})
    assert data["createClientCategory"]["errors"][0]["code"] == "DUPLICATE"
    listed = await org.data("{ clientCategories { name } }")
    assert listed["clientCategories"] == [{"name": "Préstamo"}]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.text(min_size=1, max_size=60), email=st.text(max_size=40))
async def test_any_text_input_gets_a_client_or_user_errors(org, name, email):
    body = await org.gql(CREATE_CLIENT, {"input": {"name": name, "email": email}})
    assert "errors" not in body, body
    payload = body["data"]["createClient"]
    assert (payload["client"] is None) == bool(payload["errors"])
    for error in payload["errors"]:
        assert error["code"] in {
            "REQUIRED",
            "TOO_LONG",
            "INVALID_EMAIL",
            "INVALID_CHARACTERS",
            "DUPLICATE",
        }
