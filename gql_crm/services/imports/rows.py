"""One row of an uploaded file turned into a client input, cleaned by the clients service."""

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from gql_crm.services.clients import CleanInput, clean_client_fields
from gql_crm.services.errors import ErrorCode, InputError
from gql_crm.services.imports.mapping import Mapping
from gql_crm.services.keys import ClientKeys, category_name_key, client_keys, company_name_key
from gql_crm.services.spreadsheet import client_pk
from gql_crm.services.text import fold
from gql_crm.services.validation import Validator, category_name

# Words spreadsheets use for the gender choices, in English and Spanish.
_GENDER_WORDS = {
    "FEMALE": ("female", "f", "woman", "mujer", "femenino", "femenina"),
    "MALE": ("male", "man", "hombre", "masculino", "varon", "h"),
    "OTHER": ("other", "otro", "otra", "x", "no binario", "non-binary", "nonbinary"),
    "UNDISCLOSED": (
        "undisclosed",
        "prefer not to say",
        "prefiero no decirlo",
        "ns/nc",
        "no especificado",
        "unknown",
        "desconocido",
    ),
}
GENDERS = {word: choice for choice, words in _GENDER_WORDS.items() for word in words}
_LANGUAGE_WORDS = {
    "espanol": "es",
    "castellano": "es",
    "ingles": "en",
    "frances": "fr",
    "aleman": "de",
    "italiano": "it",
    "portugues": "pt",
    "catalan": "ca",
    "euskera": "eu",
    "gallego": "gl",
    "neerlandes": "nl",
    "holandes": "nl",
}

CLIENT_KEYS = {
    "name": "name",
    "email": "email",
    "mobile": "mobile",
    "country": "country",
    "gender": "gender",
    "language": "language",
}
COMPANY_KEYS = {
    "company": "name",
    "legal_name": "legal_name",
    "tax_id": "tax_id",
    "website": "website",
    "office_phone": "office_phone",
}
ADDRESS_KEYS = {
    "address": "street",
    "city": "city",
    "state": "state",
    "postal_code": "postal_code",
    "company_country": "country",
}
# The clients service's error paths, back to the import's field keys.
FIELD_OF_PATH: dict[tuple[str, ...], str] = {
    **{(value,): key for key, value in CLIENT_KEYS.items()},
    **{("company", value): key for key, value in COMPANY_KEYS.items()},
    **{("company", "address", value): key for key, value in ADDRESS_KEYS.items()},
}


@dataclass
class Row:
    number: int
    cells: list[str]
    clean: CleanInput | None = None
    category: str | None = None
    # Whether the file names the company; else its name is made up (see `to_input`) and
    # must not rename an existing company.
    names_company: bool = False
    # The client the row's ID column names (an exported file carries it).
    client_id: int | None = None
    # (field key, error)
    errors: list[tuple[str | None, InputError]] = field(default_factory=list)
    # Derived from a valid row in the cleaning worker, so the writer only reads them.
    keys: ClientKeys | None = None
    tax_id: str | None = None
    company_key: str | None = None
    category_key: str | None = None
    # The "imported" entry's changes of the client's own fields, encoded (see writer.py).
    created_changes: str = ""

    @property
    def email_key(self) -> str | None:
        return self.keys.active_email_key if self.keys else None

    @property
    def name_key(self) -> str:
        return self.keys.name_key if self.keys else ""

    def fail(self, key: str | None, code: ErrorCode, **params) -> None:
        self.errors.append((key, InputError(code, (key,) if key else None, params)))

    def packed(self) -> tuple:
        """The row as the cleaning worker sends it back: builtin values only, which pickle
        and unpickle at a fraction of the cost of the row's objects, and without its cells,
        which the server still holds (`unpacked`)."""
        clean, keys = self.clean, self.keys
        assert clean is not None, "clean_row cleans every row"
        return (
            self.number,
            clean.client,
            clean.company,
            self.category,
            self.names_company,
            self.client_id,
            self.errors,
            *((keys.name_key, keys.active_email_key, keys.search_parts) if keys else (None,) * 3),
            self.tax_id,
            self.company_key,
            self.category_key,
            self.created_changes,
        )

    @classmethod
    def unpacked(cls, values: tuple, cells: list[str]) -> "Row":
        """The row `packed` gave, with its cells again."""
        (
            number,
            client,
            company,
            category,
            names_company,
            client_id,
            errors,
            name_key,
            active_email_key,
            search_parts,
            tax_id,
            company_key,
            category_key,
            created_changes,
        ) = values
        return cls(
            number,
            cells,
            CleanInput(client, company),
            category,
            names_company,
            client_id,
            errors,
            None if name_key is None else ClientKeys(name_key, active_email_key, search_parts),
            tax_id,
            company_key,
            category_key,
            created_changes,
        )


# Bounded: a file's cells are few distinct words, but any text at all in a hostile one,
# and the cleaning worker lives as long as the server.
@lru_cache(maxsize=256)
def _gender(word: str) -> str:
    return GENDERS.get(fold(word), word)


@lru_cache(maxsize=256)
def _language(word: str) -> str:
    return _LANGUAGE_WORDS.get(fold(word), word)


def values_of(cells: list[str], mapping: Mapping) -> dict[str, str]:
    """The row's non-blank cells by field key; a blank cell leaves the field alone."""
    values = {}
    for index, key in mapping.fields.items():
        if index < len(cells):
            value = cells[index].strip()
            if value:
                values[key] = value
    return values


def to_input(values: dict[str, str]) -> dict[str, Any]:
    """The clients service's input for a row's values.

    A row naming no company but giving its tax ID or address (a sole trader, typically)
    gets a company named after its legal name, else after the client.
    """
    data: dict[str, Any] = {
        key: values[column] for column, key in CLIENT_KEYS.items() if column in values
    }
    data.setdefault("name", None)
    if "gender" in data:
        data["gender"] = _gender(data["gender"])
    if "language" in data:
        data["language"] = _language(data["language"])
    company: dict[str, Any] = {
        key: values[column] for column, key in COMPANY_KEYS.items() if column in values
    }
    address = {key: values[column] for column, key in ADDRESS_KEYS.items() if column in values}
    if address:
        company["address"] = address
    if company:
        company.setdefault("name", company.get("legal_name") or data.get("name"))
        data["company"] = company
    return data


def clean_row(number: int, cells: list[str], mapping: Mapping, default_country: str | None) -> Row:
    row = Row(number, cells)
    values = values_of(cells, mapping)
    checks = Validator()
    row.clean = clean_client_fields(checks, to_input(values), default_country=default_country)
    row.category = checks.check("category", category_name, values.get("category"))
    row.names_company = "company" in values
    if "id" in values:
        row.client_id = client_pk(values["id"])
        if row.client_id is None:
            row.fail("id", ErrorCode.NOT_FOUND)
    for error in checks.errors:
        key = FIELD_OF_PATH.get(error.field or (), (error.field or (None,))[0])
        if key == "company" and "company" not in values:
            # The company was to be named after the client, whose name is missing.
            continue
        row.errors.append((key, InputError(error.code, (key,) if key else None, error.params)))
    if not row.errors:
        client, company = row.clean.client, row.clean.company
        row.keys = client_keys(client["name"], client.get("email"), client.get("mobile"), True)
        if company:
            row.tax_id = company.get("tax_id")
            row.company_key = company_name_key(company["name"])
        if row.category:
            row.category_key = category_name_key(row.category)
    return row
