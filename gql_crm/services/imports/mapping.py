"""Which column of an uploaded file holds which client field.

Headers match case-, accent-, spacing- and punctuation-insensitively, from the export's own
headers (so an export imports again) and the English and Spanish names other systems use.
"""

import re
from dataclasses import dataclass, field

from gql_crm.services.errors import ErrorCode, UserErrors
from gql_crm.services.spreadsheet import COLUMNS, ERROR_HEADERS
from gql_crm.services.text import fold

# The export's columns that describe a record rather than set it: recognized, never written.
READ_ONLY = ("status", "date_added", "errors")
FIELDS = tuple(column.key for column in COLUMNS if column.key not in READ_ONLY)

_EXTRA_ALIASES: dict[str, tuple[str, ...]] = {
    "name": (
        "Nombre del cliente",
        "Client name",
        "Customer name",
        "Full name",
        "Nombre completo",
        "Nombre y apellidos",
        "Cliente",
        "Client",
        "Customer",
    ),
    "email": (
        "E-mail",
        "Email address",
        "Mail",
        "Correo",
        "Correo electronico",
        "Dirección de correo",
        "Email del cliente",
    ),
    "mobile": (
        "Móvil",
        "Movil",
        "Teléfono",
        "Phone",
        "Mobile phone",
        "Cell phone",
        "Celular",
        "Telephone",
        "Teléfono del cliente",
    ),
    "country": ("País del cliente", "Nación", "Nationality"),
    "gender": ("Sexo", "Sex"),
    "language": ("Lengua", "Preferred language", "Idioma preferido"),
    "category": (
        "Categoría de cliente",
        "Categoria de cliente",
        "Client category",
        "Customer category",
        "Tipo de cliente",
        "Segment",
        "Segmento",
    ),
    "company": (
        "Nombre de la empresa",
        "Company name",
        "Organization",
        "Organisation",
        "Compañía",
        "Compania",
        "Razón comercial",
    ),
    "legal_name": ("Razón social", "Legal company name", "Nombre fiscal"),
    "tax_id": (
        "CIF",
        "NIF/CIF",
        "CIF/NIF",
        "Número de identificación fiscal",
        "VAT",
        "VAT number",
        "VAT ID",
        "Tax number",
        "Tax identification number",
        "NIF-IVA",
        "DNI",
        "Identificación fiscal",
    ),
    "website": ("Web", "Página web", "URL", "Sitio", "Homepage"),
    "office_phone": (
        "Teléfono de oficina",
        "Teléfono fijo",
        "Office",
        "Work phone",
        "Business phone",
        "Teléfono de la empresa",
        "Landline",
    ),
    "address": ("Street", "Street address", "Calle", "Domicilio", "Dirección postal"),
    "city": ("Town", "Localidad", "Población", "Municipio"),
    # "Estado" is the export's client status, so it never names a state here.
    "state": ("Province", "Region", "Región", "Comunidad autónoma", "County"),
    "postal_code": (
        "Postcode",
        "Post code",
        "ZIP",
        "ZIP code",
        "Código postal",
        "CP",
        "Cod postal",
    ),
    "company_country": ("País de la compañía", "Company's country"),
}


def header_key(header: str) -> str:
    """ "  Correo   Electrónico:" -> "correo electronico"."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", fold(header)).split())


def _aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for column in COLUMNS:
        for header in column.headers.values():
            aliases[header_key(header)] = column.key
    for header in ERROR_HEADERS.values():
        aliases[header_key(header)] = "errors"
    for key, names in _EXTRA_ALIASES.items():
        for name in names:
            aliases.setdefault(header_key(name), key)
    return aliases


ALIASES = _aliases()


@dataclass
class Mapping:
    headers: list[str]
    # Column index -> field key.
    fields: dict[int, str] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "headers": self.headers,
            "columns": [[index, self.headers[index], key] for index, key in self.fields.items()],
            "unknown": self.unknown,
            "ignored": self.ignored,
        }


def looks_like_header(record: list[str]) -> bool:
    return sum(1 for cell in record if header_key(cell) in ALIASES) >= 2


def build(headers: list[str], overrides: dict[str, str | None] | None = None) -> Mapping:
    """The mapping of `headers`; `overrides` ({"column header": field}) win over the aliases.

    An override to None ignores a column. The name must map to something.
    """
    by_key = {header_key(column): key for column, key in (overrides or {}).items()}
    present = {header_key(header) for header in headers}
    missing = [column for column in by_key if column not in present]
    if missing:
        raise UserErrors.single(ErrorCode.MISSING_COLUMN, "options", "mapping", column=missing[0])
    mapping = Mapping(headers=list(headers))
    taken: set[str] = set()
    for index, header in enumerate(headers):
        key_of_header = header_key(header)
        if not key_of_header:
            continue
        key: str | None
        if key_of_header in by_key:
            key = by_key[key_of_header]
        else:
            key = ALIASES.get(key_of_header)
            if key is None:
                mapping.unknown.append(header)
                continue
        if key is None or key in READ_ONLY or key in taken:
            mapping.ignored.append(header)
            continue
        taken.add(key)
        mapping.fields[index] = key
    if "name" not in taken:
        raise UserErrors.single(ErrorCode.MISSING_COLUMN, "file", column="name")
    return mapping
