"""The derived keys (name keys, the active email key, the search text) fit their columns
even when folding makes a text longer than it was, through every path that writes them."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gql_crm.models import Client, ClientCategory, Company
from gql_crm.services.keys import (
    CATEGORY_NAME_KEY_LENGTH,
    CLIENT_NAME_KEY_LENGTH,
    COMPANY_NAME_KEY_LENGTH,
    EMAIL_KEY_LENGTH,
    category_name_key,
    client_keys,
    company_name_key,
)
from gql_crm.services.text import fold
from gql_crm.services.validation import FieldInvalid, category_name, normalize_email
from tests.helpers import (
    ARCHIVE_CLIENT,
    CREATE_CATEGORY,
    CREATE_CLIENT,
    LIST_CLIENTS,
    RESTORE_CLIENT,
    UPDATE_CLIENT,
    create_client,
    names,
    pk_of,
)
from tests.imports import csv_bytes, errors_of, run_import

# Folding makes "ß" and "ﬁ" two letters and "﷽" (one character) eighteen; the Ångström
# sign and combining marks shrink to their base letter.
GROWING = ("ß", "ﬁ", "﷽")
SHRINKING = ("Å", "e\u0301", "n\u0303")
# With a local part of 60 two-byte letters, an address of 246 bytes (at most 254).
DOMAIN = "@" + "a" * 60 + "." + "b" * 60 + ".com"


@pytest.mark.parametrize("letter", GROWING + SHRINKING)
async def test_a_client_name_whose_key_grows_is_stored_with_its_key_cut(org, letter):
    name = (letter * 200)[:200]
    client = await create_client(org, name=name, company={"name": name})
    assert client["name"] == name and client["company"]["name"] == name
    stored = await Client.get(id=pk_of(client["id"]))
    assert stored.name_key == fold(name)[:CLIENT_NAME_KEY_LENGTH]
    company = await Company.get(id=stored.company_id)
    assert company.name_key == fold(name)[:COMPANY_NAME_KEY_LENGTH]
    # The same company is found again by its cut key.
    other = await create_client(org, name="Otro", company={"name": name})
    assert (await Client.get(id=pk_of(other["id"]))).company_id == company.id

    renamed = (letter * 150)[:150] + "x"
    data = await org.data(UPDATE_CLIENT, {"id": client["id"], "input": {"name": renamed}})
    assert data["updateClient"]["errors"] == []
    stored = await Client.get(id=pk_of(client["id"]))
    assert stored.name_key == fold(renamed)[:CLIENT_NAME_KEY_LENGTH]
    assert fold(renamed)[:CLIENT_NAME_KEY_LENGTH] in stored.search_text
    listed = await org.data(LIST_CLIENTS, {"search": letter})
    assert renamed in names(listed["clients"])


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("ß" * 100, "TOO_LONG"),
        ("ﬁ" * 51, "TOO_LONG"),
        ("ß" * 50, None),
        ("ﬁ" * 50, None),
        ("Å" * 100, None),
        ("e\u0301" * 50, None),
    ],
)
async def test_a_category_whose_folded_name_exceeds_its_column_is_too_long(org, name, error):
    data = (await org.data(CREATE_CATEGORY, {"name": name}))["createClientCategory"]
    if error:
        assert data["clientCategory"] is None
        assert [(e["code"], e["field"]) for e in data["errors"]] == [(error, ["name"])]
        assert not await ClientCategory.filter(organization_id=org.id).exists()
    else:
        assert data["errors"] == [] and data["clientCategory"]["name"] == name
        stored = await ClientCategory.get(organization_id=org.id)
        assert stored.name_key == fold(name)


async def test_an_email_whose_key_exceeds_its_column_is_refused(org):
    fits = "ß" * 60 + DOMAIN
    client = await create_client(org, name="Ana", email=fits)
    stored = await Client.get(id=pk_of(client["id"]))
    assert stored.active_email_key == fits.casefold()

    # "ΐ" casefolds to three characters: 60 of them make a 306-character key.
    too_long = "ΐ" * 60 + DOMAIN
    data = await org.data(CREATE_CLIENT, {"input": {"name": "Eva", "email": too_long}})
    assert data["createClient"]["client"] is None
    assert [(e["code"], e["field"]) for e in data["createClient"]["errors"]] == [
        ("INVALID_EMAIL", ["email"])
    ]
    data = await org.data(UPDATE_CLIENT, {"id": client["id"], "input": {"email": too_long}})
    assert [e["code"] for e in data["updateClient"]["errors"]] == ["INVALID_EMAIL"]
    assert (await Client.get(id=stored.id)).email == fits

    # Archiving clears the key, restoring sets it back.
    await org.data(ARCHIVE_CLIENT, {"id": client["id"]})
    assert (await Client.get(id=stored.id)).active_email_key is None
    await org.data(RESTORE_CLIENT, {"id": client["id"]})
    assert (await Client.get(id=stored.id)).active_email_key == fits.casefold()


async def test_an_import_stores_keys_that_fit_and_refuses_keys_that_cannot_be_cut(org):
    header = ["Name", "Email", "Category", "Company"]
    rows = [
        header,
        ["ß" * 200, "ß" * 60 + DOMAIN, "ß" * 50, "ﬁ" * 200],
        ["Eva", "ΐ" * 60 + DOMAIN, "", ""],
        ["Luis", "", "ß" * 100, ""],
        ["e\u0301" * 100, "", "Å" * 100, "﷽" * 200],
    ]
    job = await run_import(org, csv_bytes(rows))
    assert job["status"] == "SUCCEEDED", job
    assert (job["created"], job["failed"]) == (2, 2)
    assert sorted(errors_of(job)) == [(3, "EMAIL", "INVALID_EMAIL"), (4, "CATEGORY", "TOO_LONG")]
    for client in await Client.filter(organization_id=org.id).prefetch_related("company"):
        assert client.name_key == fold(client.name)[:CLIENT_NAME_KEY_LENGTH]
        assert client.company.name_key == fold(client.company.name)[:COMPANY_NAME_KEY_LENGTH]
    assert sorted(
        await ClientCategory.filter(organization_id=org.id).values_list("name_key", flat=True)
    ) == [
        "a" * 100,
        "ss" * 50,
    ]

    # Updating by email: the new name's key is cut, the search text follows.
    rows = [header, ["ﬁ" * 200, "ß" * 60 + DOMAIN, "", ""]]
    job = await run_import(org, csv_bytes(rows), {"mode": "UPDATE_EXISTING"})
    assert (job["status"], job["updated"]) == ("SUCCEEDED", 1)
    updated = await Client.get(organization_id=org.id, email="ß" * 60 + DOMAIN)
    assert updated.name_key == "fi" * 100
    assert updated.search_text.startswith("fi" * 200 + "\n")


_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)


@given(name=_text, email=st.none() | _text, mobile=st.none() | st.just("+34612345678"))
def test_a_client_s_keys_never_exceed_their_columns(name, email, mobile):
    keys = client_keys(name[:200], email, mobile, active=False)
    assert len(keys.name_key) <= CLIENT_NAME_KEY_LENGTH
    assert keys.active_email_key is None
    assert len(company_name_key(name[:200])) <= COMPANY_NAME_KEY_LENGTH


@given(_text)
def test_a_category_name_is_valid_only_when_its_key_fits(value):
    try:
        name = category_name(value)
    except FieldInvalid as exc:
        assert exc.code.value in {"TOO_LONG", "INVALID_CHARACTERS"}
        return
    assert name is None or len(category_name_key(name)) <= CATEGORY_NAME_KEY_LENGTH


# Letters whose casefolding grows, among plain ones, so most local parts are valid.
_local_letters = st.sampled_from("ßﬁΐİŉǰΰ") | st.characters(categories=("Ll", "Lu"))


@given(st.text(_local_letters, min_size=1, max_size=64))
def test_an_email_is_valid_only_when_its_key_fits(local):
    try:
        email = normalize_email(local + DOMAIN)
    except FieldInvalid:
        return
    keys = client_keys("x", email, None, active=True)
    assert keys.active_email_key is not None
    assert len(keys.active_email_key) <= EMAIL_KEY_LENGTH


def _fold_whole(value: str) -> str:
    """The definition `fold` keeps: the whole text case-folded, decomposed (NFKD), its
    combining marks dropped."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# Marks after letters, letters that fold to several, Hangul syllables (decomposed to jamo).
_folding = st.lists(
    st.sampled_from([*GROWING, *SHRINKING, "\u0301\u0327", "Ǆ", "한", "ΐ", "a"])
).map("".join)


@given(st.text() | _folding)
def test_folding_character_by_character_equals_folding_the_whole_text(value):
    assert fold(value) == _fold_whole(value)
