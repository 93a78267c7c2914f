from datetime import datetime
from enum import Enum

import strawberry
from strawberry import relay

from gql_crm.api.clients.types import ClientStatus, Gender
from gql_crm.api.relay import OrderDirection
from gql_crm.services.clients import ClientOrderField as OrderField


@strawberry.input
class AddressInput:
    street: str | None = strawberry.UNSET
    city: str | None = strawberry.UNSET
    state: str | None = strawberry.UNSET
    postal_code: str | None = strawberry.UNSET
    country: str | None = strawberry.field(
        default=strawberry.UNSET, description="ISO 3166-1 code or name, e.g. ES or España."
    )


@strawberry.input(description="Omitted fields are left as they are; null clears a field.")
class CompanyInput:
    name: str | None = strawberry.UNSET
    legal_name: str | None = strawberry.UNSET
    tax_id: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="NIF/CIF/NIE, RFC, ... for the address's (or client's) country, or an "
        "EU VAT number with its prefix.",
    )
    website: str | None = strawberry.UNSET
    office_phone: str | None = strawberry.UNSET
    address: AddressInput | None = strawberry.UNSET


@strawberry.input
class CreateClientCategoryInput:
    name: str


@strawberry.input
class CreateClientInput:
    name: str
    email: str | None = None
    mobile: str | None = strawberry.field(
        default=None, description="National numbers are read with the client's country."
    )
    country: str | None = strawberry.field(
        default=None, description="ISO 3166-1 code or name, e.g. ES or España."
    )
    gender: Gender | None = None
    language: str | None = strawberry.field(default=None, description="ISO 639-1, e.g. es.")
    category_id: relay.GlobalID | None = None
    company: CompanyInput | None = None


@strawberry.input(description="A partial update: omitted fields are left as they are.")
class UpdateClientInput:
    name: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    mobile: str | None = strawberry.UNSET
    country: str | None = strawberry.UNSET
    gender: Gender | None = strawberry.UNSET
    language: str | None = strawberry.UNSET
    category_id: relay.GlobalID | None = strawberry.UNSET
    company: CompanyInput | None = strawberry.field(
        default=strawberry.UNSET, description="null unlinks the company."
    )


@strawberry.input
class ClientFilter:
    created_after: datetime | None = strawberry.field(
        default=None, description="Added at or after this instant."
    )
    created_before: datetime | None = strawberry.field(
        default=None, description="Added strictly before this instant."
    )
    category_ids: list[relay.GlobalID] | None = None
    countries: list[str] | None = strawberry.field(
        default=None, description="ISO 3166-1 alpha-2 codes."
    )
    status: ClientStatus | None = strawberry.field(
        default=ClientStatus.ACTIVE, description="null lists clients of every status."
    )


ClientOrderField = strawberry.enum(
    Enum("ClientOrderField", {f.name: f.name for f in OrderField}), name="ClientOrderField"
)


@strawberry.input(description="Ties are broken by the client's id, so pages are stable.")
class ClientOrder:
    field: ClientOrderField
    direction: OrderDirection = OrderDirection.DESC
