"""The keys clients, companies and categories are found, sorted and searched by.

Every key is derived from the row's own values here and nowhere else, and fits its column.
Folding can make a text longer than it was ("ß" -> "ss", "ﬁ" -> "fi", "﷽" -> 18 letters),
so a key can be longer than the value it comes from. A key that only sorts or finds (a
client's or a company's name) is cut to its column. A key that decides what is a duplicate
(a category's name, an active client's email) cannot be cut without making two different
values equal: a value whose key does not fit is refused as TOO_LONG (see `unique_key_fits`).
"""

from dataclasses import dataclass
from typing import Any, Protocol

import phonenumbers
from tortoise.models import Model

from gql_crm.models import Client, ClientCategory, ClientStatus, Company
from gql_crm.services.text import fold


def _column_length(model: type[Model], name: str) -> int:
    return model._meta.fields_map[name].max_length  # type: ignore[attr-defined]


CLIENT_NAME_KEY_LENGTH = _column_length(Client, "name_key")
COMPANY_NAME_KEY_LENGTH = _column_length(Company, "name_key")
CATEGORY_NAME_KEY_LENGTH = _column_length(ClientCategory, "name_key")
EMAIL_KEY_LENGTH = _column_length(Client, "active_email_key")


def company_name_key(name: str) -> str:
    return fold(name)[:COMPANY_NAME_KEY_LENGTH]


def category_name_key(name: str) -> str:
    """Unique per organization: check `unique_key_fits` before storing it."""
    return fold(name)


def email_key(email: str | None) -> str | None:
    """Two addresses differing only in case reach the same person in practice. Unique among
    an organization's active clients: check `unique_key_fits` before storing it."""
    return email.casefold() if email else None


def unique_key_fits(key: str | None, length: int) -> bool:
    return key is None or len(key) <= length


class ClientValues(Protocol):
    """What the keys are derived from: a `Client`, or an import's `NewClient`."""

    name: str
    email: str | None
    mobile: str | None
    status: ClientStatus


class CompanyValues(Protocol):
    """What a company's search parts are derived from: a `Company`, or an import's row."""

    name: str
    legal_name: str | None
    tax_id: str | None


@dataclass(frozen=True, slots=True)
class ClientKeys:
    name_key: str
    active_email_key: str | None
    # The client's own half of `search_text`; the other half is its company's.
    search_parts: tuple[str, ...]

    def columns(self, company_parts: tuple[str, ...] = ()) -> dict[str, Any]:
        """The client's derived columns, with its company's search parts."""
        return {
            "name_key": self.name_key,
            "active_email_key": self.active_email_key,
            "search_text": join_search_parts(self.search_parts, company_parts),
        }


def client_keys(name: str, email: str | None, mobile: str | None, active: bool) -> ClientKeys:
    """An import computes these in its cleaning worker, and each company's search parts
    once per batch."""
    folded_name = fold(name)
    parts = [folded_name] if name else []
    for part in (email, mobile, national_number(mobile) if mobile else None):
        if part:
            parts.append(fold(part))
    return ClientKeys(
        name_key=folded_name[:CLIENT_NAME_KEY_LENGTH],
        active_email_key=email_key(email) if active else None,
        search_parts=tuple(parts),
    )


def set_client_keys(
    client: ClientValues, company_parts: tuple[str, ...], keys: ClientKeys | None = None
) -> list[str]:
    """Sets the client's `name_key`, `active_email_key` and `search_text` from its values
    (`keys` when already computed from them); the names of those that changed."""
    if keys is None:
        keys = client_keys(
            client.name, client.email, client.mobile, client.status == ClientStatus.ACTIVE
        )
    values = keys.columns(company_parts)
    changed = [name for name, value in values.items() if getattr(client, name, None) != value]
    for name in changed:
        setattr(client, name, values[name])
    return changed


def company_search_parts(company: CompanyValues | None) -> tuple[str, ...]:
    """A company's name, legal name and tax ID are searchable on each of its clients."""
    if company is None:
        return ()
    return tuple(fold(part) for part in (company.name, company.legal_name, company.tax_id) if part)


# The company fields `company_search_parts` reads.
SEARCHED_COMPANY_FIELDS = {"name", "legal_name", "tax_id"}


def join_search_parts(client_parts: tuple[str, ...], company_parts: tuple[str, ...]) -> str:
    return "\n".join((*client_parts, *company_parts))


def client_search_text(client: ClientValues, company: CompanyValues | None) -> str:
    keys = client_keys(client.name, client.email, client.mobile, active=False)
    return join_search_parts(keys.search_parts, company_search_parts(company))


def national_number(e164: str) -> str:
    """ "+34612345678" -> "612345678", without a full parse (an import does this per row)."""
    digits = e164.lstrip("+")
    for length in (1, 2, 3):
        if int(digits[:length]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return str(int(digits[length:]))
    return str(phonenumbers.parse(e164).national_number)
