"""The cleaning worker's shortcuts give exactly what the plain calls give: email-validator's
domain check remembered within a batch, and the rows packed for the way back to the server."""

import pickle

from hypothesis import given
from hypothesis import strategies as st

from gql_crm.services.imports import mapping as mappings
from gql_crm.services.imports.batches import _clean_rows
from gql_crm.services.imports.rows import Row, clean_row
from gql_crm.services.validation import FieldInvalid, email_domains_remembered, normalize_email

# Plain, upper-case, internationalized (IDNA), special-use, single-label, too long, and
# invalid domains.
DOMAINS = (
    "example.com",
    "EXAMPLE.com",
    "bücher.de",
    "xn--bcher-kva.de",
    "mail.example.local",
    "localhost",
    "a" * 64 + ".com",
    "exa mple.com",
    "-bad.com",
    "example..com",
    "",
)
LOCALS = ("ana", "Ana.Pérez", "postmaster", "a+b", '"quoted"', "", "x" * 65)


def outcome(address: str):
    try:
        return normalize_email(address)
    except FieldInvalid as exc:
        return exc.code, exc.params


@given(st.lists(st.tuples(st.sampled_from(LOCALS), st.sampled_from(DOMAINS)), max_size=20))
def test_remembered_domains_validate_every_address_as_email_validator_does(addresses):
    texts = [f"{local}@{domain}" for local, domain in addresses]
    plain = [outcome(text) for text in texts]
    with email_domains_remembered():
        remembered = [outcome(text) for text in texts]
    assert remembered == plain
    # The block leaves email-validator as it was.
    assert [outcome(text) for text in texts] == plain


MAPPING = mappings.build(["ID", "Name", "Email", "Mobile", "Country", "Company", "Tax ID"])
RECORDS = [
    (2, ["", "Ana Pérez", "ana@example.com", "612345678", "España", "Acme", "B12345674"]),
    (3, ["", "Luis", "luis@@example", "", "", "", ""]),
    (4, ["", "", "", "not a phone", "Atlantis", "", "X"]),
    (5, ["C-999", "Eva", "", "+34 612 34 56 79", "", "", ""]),
    (6, ["", "Straße ﬁ", "EVA@Example.COM", "", "DE", "Ümlaut GmbH", ""]),
]


def test_packed_rows_come_back_as_the_rows_the_worker_cleaned():
    packed = pickle.loads(pickle.dumps(_clean_rows(RECORDS, MAPPING, "ES")))
    rows = [Row.unpacked(values, cells) for values, (_, cells) in zip(packed, RECORDS, strict=True)]
    expected = [clean_row(number, cells, MAPPING, "ES") for number, cells in RECORDS]
    assert [row.errors for row in expected] != [[]] * len(RECORDS)
    for row, plain in zip(rows, expected, strict=True):
        # The worker adds what the "imported" entry holds of the client's own fields.
        assert row.created_changes or row.errors
        row.created_changes = ""
        assert row == plain
