"""The clients spreadsheet: the one format the export writes and the import reads.

Its columns and their headers (English and Spanish), the CSV conventions (a UTF-8 BOM, the
delimiters), how the ID column names a client, and how a cell is kept from running as a
formula. An exported file imports again because both sides read them from here.
"""

from dataclasses import dataclass

from gql_crm.services import global_ids


@dataclass(frozen=True)
class Column:
    key: str
    headers: dict[str, str]


COLUMNS: tuple[Column, ...] = tuple(
    Column(key, {"en": en, "es": es})
    for key, en, es in (
        ("name", "Name", "Nombre"),
        ("email", "Email", "Correo electrónico"),
        ("mobile", "Mobile", "Teléfono móvil"),
        ("country", "Country", "País"),
        ("gender", "Gender", "Género"),
        ("language", "Language", "Idioma"),
        ("category", "Category", "Categoría"),
        ("company", "Company", "Empresa"),
        ("legal_name", "Legal name", "Nombre legal"),
        ("tax_id", "Tax ID", "NIF"),
        ("website", "Website", "Sitio web"),
        ("office_phone", "Office phone", "Teléfono de oficina"),
        ("address", "Address", "Dirección"),
        ("city", "City", "Ciudad"),
        ("state", "State", "Provincia"),
        ("postal_code", "Postal code", "Código postal"),
        ("company_country", "Company country", "País de la empresa"),
        ("status", "Status", "Estado"),
        ("date_added", "Date added", "Fecha de alta"),
        ("id", "ID", "ID"),
    )
)
COLUMNS_BY_KEY = {column.key: column for column in COLUMNS}
LANGUAGES = ("en", "es")
# The last column of a failed-rows file; the import ignores it when the fixed file comes back.
ERROR_HEADERS = {"en": "Errors", "es": "Errores"}

# So Excel reads the accents of a UTF-8 CSV.
UTF8_BOM = "\ufeff"
DELIMITERS = (",", ";")
# Spanish Excel expects semicolons (the comma is its decimal separator).
DEFAULT_DELIMITER = {"en": ",", "es": ";"}

# OWASP, CSV injection: a spreadsheet runs a cell starting with one of these as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
NEUTRALIZER = "'"


def client_global_id(pk: int) -> str:
    """The client's ID as the API spells it (a Relay global ID, base64 of "Client:<pk>"),
    so a file and the API name a client alike."""
    return global_ids.encode("Client", pk)


def client_pk(global_id: str) -> int | None:
    """The primary key a client's global ID names; None for anything else."""
    return global_ids.decode(global_id, "Client")


def neutralize(cell: str) -> str:
    """The cell made inert for spreadsheets (OWASP CSV injection), reversibly.

    A leading apostrophe makes Excel and LibreOffice show the text instead of running it.
    Cells already starting with an apostrophe get one more, so `unneutralize` is exact.
    """
    if cell.startswith((*FORMULA_TRIGGERS, NEUTRALIZER)):
        return NEUTRALIZER + cell
    return cell


def unneutralize(cell: str) -> str:
    """The original of a neutralized cell; the import reads CSV cells through this."""
    if cell.startswith(NEUTRALIZER) and cell[1:].startswith((*FORMULA_TRIGGERS, NEUTRALIZER)):
        return cell[1:]
    return cell
