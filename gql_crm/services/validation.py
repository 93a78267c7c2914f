"""Field normalizers, each delegating to the library that owns the field's rules.

Every normalizer takes raw user input and returns the canonical stored form, or raises
`FieldInvalid`. `Validator` runs several of them and collects every failure with its path,
so a caller gets all the problems of an input at once.
"""

import gettext
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from enum import Enum
from functools import cache, lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import phonenumbers
import pycountry
from email_validator import EmailNotValidError, validate_email
from stdnum import util as stdnum_util
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumValidationError

from gql_crm.services.errors import ErrorCode, InputError, UserErrors
from gql_crm.services.keys import (
    CATEGORY_NAME_KEY_LENGTH,
    EMAIL_KEY_LENGTH,
    category_name_key,
    email_key,
    unique_key_fits,
)
from gql_crm.services.messages import Phrase
from gql_crm.services.text import fold


class FieldInvalid(Exception):
    def __init__(self, code: ErrorCode, **params):
        super().__init__(code)
        self.code = code
        self.params = params


class Validator:
    """Collects normalized values and errors for one input."""

    def __init__(self, prefix: tuple[str, ...] = ()):
        self.prefix = prefix
        self.errors: list[InputError] = []

    def check(self, path: str | tuple[str, ...], normalize: Callable[..., Any], *args) -> Any:
        try:
            return normalize(*args)
        except FieldInvalid as exc:
            path = (path,) if isinstance(path, str) else path
            self.errors.append(InputError(exc.code, (*self.prefix, *path), exc.params))
            return None

    def add(self, code: ErrorCode, *path: str, **params) -> None:
        self.errors.append(InputError(code, (*self.prefix, *path), params))

    def raise_if_errors(self) -> None:
        if self.errors:
            raise UserErrors(self.errors)


# Control characters (NUL above all) are never meant in a CRM field, and PostgreSQL refuses
# NUL in text outright; tab, CR and LF are kept for multi-line values.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def blank_to_none(value: str | None) -> str | None:
    """Stripped text or None; every normalizer starts here."""
    if value is None:
        return None
    if CONTROL_CHARACTERS.search(value):
        raise FieldInvalid(ErrorCode.INVALID_CHARACTERS)
    value = value.strip()
    return value or None


def required_text(value: str | None, max_length: int) -> str:
    text = optional_text(value, max_length)
    if text is None:
        raise FieldInvalid(ErrorCode.REQUIRED)
    return text


def optional_text(value: str | None, max_length: int) -> str | None:
    value = blank_to_none(value)
    if value is not None and len(value) > max_length:
        raise FieldInvalid(ErrorCode.TOO_LONG, max_length=max_length)
    return value


def category_name(value: str | None, required: bool = False) -> str | None:
    """A category's name, refused when its folded key would not fit its column either."""
    name = (required_text if required else optional_text)(value, 100)
    if name is not None and not unique_key_fits(category_name_key(name), CATEGORY_NAME_KEY_LENGTH):
        raise FieldInvalid(ErrorCode.TOO_LONG, max_length=CATEGORY_NAME_KEY_LENGTH)
    return name


def normalize_email(value: str | None) -> str | None:
    value = blank_to_none(value)
    if value is None:
        return None
    try:
        email = validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise FieldInvalid(ErrorCode.INVALID_EMAIL, reason=email_problem(value, exc)) from None
    if not unique_key_fits(email_key(email), EMAIL_KEY_LENGTH):
        raise FieldInvalid(ErrorCode.INVALID_EMAIL, reason=Phrase("EMAIL_TOO_LONG"))
    return email


# Where validate_email looks its domain step up, at each call.
_EMAIL_GLOBALS = validate_email.__globals__


@contextmanager
def email_domains_remembered() -> Iterator[None]:
    """Within the block, email-validator checks each distinct domain once (the block is an
    import's batch, in the cleaning worker's only thread).

    Checking an address's domain (its characters, IDNA, the special-use names) is over half
    the cost of validate_email, and a file's addresses share a few domains. validate_email
    still runs whole on every address; only its domain step gives what it gave for the same
    domain and options earlier in the block. A refused domain is not remembered: it is
    checked, and refused, again.
    """
    check = _EMAIL_GLOBALS["validate_email_domain_name"]
    known: dict[tuple[str, bool, bool], dict[str, str]] = {}

    def remembered(domain: str, test_environment=False, globally_deliverable=True):
        key = (domain, test_environment, globally_deliverable)
        result = known.get(key)
        if result is None:
            result = known[key] = check(
                domain, test_environment=test_environment, globally_deliverable=globally_deliverable
            )
        return dict(result)

    _EMAIL_GLOBALS["validate_email_domain_name"] = remembered
    try:
        yield
    finally:
        _EMAIL_GLOBALS["validate_email_domain_name"] = check


def email_problem(value: str, exc: EmailNotValidError) -> Phrase:
    """Our own phrase for email-validator's refusal: its text is English only. The library
    has one exception class for every syntax error, so its message tells the part at fault."""
    text = str(exc)
    if value.count("@") != 1:
        return Phrase("EMAIL_AT_SIGN")
    if "too long" in text:
        return Phrase("EMAIL_TOO_LONG")
    if "before the @-sign" in text:
        return Phrase("EMAIL_LOCAL_PART")
    if "after the @-sign" in text or "domain" in text:
        return Phrase("EMAIL_DOMAIN")
    return Phrase("EMAIL_GENERIC")


def required_email(value: str | None) -> str:
    email = normalize_email(value)
    if email is None:
        raise FieldInvalid(ErrorCode.REQUIRED)
    return email


@cache
def _country_names() -> dict[str, str]:
    """Folded English and Spanish names, official names and alpha-3 codes -> alpha-2."""
    spanish = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["es"])
    names: dict[str, str] = {}
    for country in pycountry.countries:
        for name in (
            country.name,
            getattr(country, "official_name", None),
            getattr(country, "common_name", None),
            country.alpha_3,
        ):
            if name:
                names[fold(name)] = country.alpha_2
                names[fold(spanish.gettext(name))] = country.alpha_2
    return names


@lru_cache(maxsize=4096)
def normalize_country(value: str | None) -> str | None:
    """ISO 3166-1 alpha-2 from a code or an English or Spanish name ("España" -> "ES")."""
    value = blank_to_none(value)
    if value is None:
        return None
    if len(value) == 2 and pycountry.countries.get(alpha_2=value.upper()):
        return value.upper()
    code = _country_names().get(fold(value))
    if code is None:
        raise FieldInvalid(ErrorCode.INVALID_COUNTRY)
    return code


# phonenumbers compiles its metadata's patterns through re.compile at every use, leaving them
# to the re module's small cache: a tenth of the cost of a number's parse and check. Its own
# cache keeps each pattern once (bounded by the metadata).
phonenumbers.enable_pattern_cache()


def normalize_phone(value: str | None, region: str | None) -> str | None:
    """E.164, parsing national numbers with the record's country as the region."""
    value = blank_to_none(value)
    if value is None:
        return None
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise FieldInvalid(ErrorCode.INVALID_PHONE, region=region or "international format")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Module names python-stdnum uses for a country's company or personal tax numbers, in the
# order they are tried. `vat` covers most of Europe; the others name national schemes.
_TAX_ID_MODULES = ("vat", "nif", "cif", "rfc", "tin", "nit", "rut", "ruc", "cuit", "cnpj", "cpf")


@cache
def _tax_id_modules(country: str) -> tuple:
    modules = []
    for name in _TAX_ID_MODULES:
        try:
            modules.append(stdnum_util.get_cc_module(country.lower(), name))
        except (ImportError, AttributeError):
            continue
    return tuple(m for m in modules if m is not None)


# Pure, and an import repeats the tax IDs of the companies its rows share.
@lru_cache(maxsize=65536)
def normalize_tax_id(value: str | None, country: str | None) -> str | None:
    """Compact form, validated for the country; EU VAT numbers carry their own prefix."""
    value = blank_to_none(value)
    if value is None:
        return None
    compact = stdnum_util.clean(value, " -./").upper()
    prefix = compact[:2]
    if prefix in eu_vat_prefixes():
        try:
            return eu_vat.validate(compact)
        except StdnumValidationError:
            raise FieldInvalid(ErrorCode.INVALID_TAX_ID, country=prefix) from None
    if country is None:
        # Without a country no scheme applies; keep the compact form as given.
        return compact
    modules = _tax_id_modules(country)
    if not modules:
        return compact
    for module in modules:
        try:
            return module.compact(module.validate(compact))
        except StdnumValidationError:
            continue
    raise FieldInvalid(ErrorCode.INVALID_TAX_ID, country=country)


@cache
def eu_vat_prefixes() -> frozenset[str]:
    return frozenset(code.upper() for code in eu_vat.MEMBER_STATES) | {"EL", "XI"}


def normalize_website(value: str | None) -> str | None:
    """An absolute http(s) URL with a lower-case host; "example.com" -> "https://example.com"."""
    value = blank_to_none(value)
    if value is None:
        return None
    if "://" not in value:
        value = "https://" + value
    parts = urlsplit(value)
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme.lower() not in ("http", "https") or "." not in host or " " in value:
        raise FieldInvalid(ErrorCode.INVALID_URL)
    try:
        netloc = host.encode("idna").decode("ascii")
        if parts.port:
            netloc += f":{parts.port}"
    except (UnicodeError, ValueError):
        raise FieldInvalid(ErrorCode.INVALID_URL) from None
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "", parts.query, ""))


def normalize_language(value: str | None) -> str | None:
    """ISO 639-1, from the code or the English name ("Spanish" -> "es")."""
    value = blank_to_none(value)
    if value is None:
        return None
    language = (
        pycountry.languages.get(alpha_2=value.lower())
        if len(value) == 2
        else pycountry.languages.get(name=value.title())
    )
    if language is None or not hasattr(language, "alpha_2"):
        raise FieldInvalid(ErrorCode.INVALID_LANGUAGE)
    return language.alpha_2


def normalize_choice(value: str | None, choices: type[Enum]) -> Any:
    """A member of the enum `choices`, matched on its name case-insensitively."""
    value = blank_to_none(value)
    if value is None:
        return None
    try:
        return choices[value.upper()]
    except KeyError:
        raise FieldInvalid(
            ErrorCode.INVALID_CHOICE, choices=", ".join(c.value for c in choices)
        ) from None


def normalize_currency(value: str | None) -> str | None:
    value = blank_to_none(value)
    if value is None:
        return None
    if pycountry.currencies.get(alpha_3=value.upper()) is None:
        raise FieldInvalid(ErrorCode.INVALID_CURRENCY)
    return value.upper()


def normalize_amount(value: Decimal | str | int | None, *, allow_negative=False) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise FieldInvalid(ErrorCode.INVALID_AMOUNT) from None
    if not amount.is_finite() or (amount < 0 and not allow_negative):
        raise FieldInvalid(ErrorCode.INVALID_AMOUNT)
    return amount
