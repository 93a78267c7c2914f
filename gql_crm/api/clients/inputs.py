from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay

from gql_crm.api import docs
from gql_crm.api.clients.types import ClientStatus, Gender
from gql_crm.api.core.relay import OrderDirection
from gql_crm.services.clients import ClientOrderField as OrderField


@strawberry.input(
    description="A company's postal address; omitted fields are left as they are, null clears one."
)
class AddressInput:
    street: str | None = strawberry.field(
        default=strawberry.UNSET, description="Street and number."
    )
    city: str | None = strawberry.field(default=strawberry.UNSET, description="City or town.")
    state: str | None = strawberry.field(
        default=strawberry.UNSET, description="Province, state or region."
    )
    postal_code: str | None = strawberry.field(
        default=strawberry.UNSET, description="As written in the country."
    )
    country: str | None = strawberry.field(
        default=strawberry.UNSET, description="ISO 3166-1 code or name, e.g. ES or España."
    )


@strawberry.input(description="Omitted fields are left as they are; null clears a field.")
class CompanyInput:
    name: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="The trading name; a company with the same tax ID (or, without one, the "
        "same name) is reused.",
    )
    legal_name: str | None = strawberry.field(
        default=strawberry.UNSET, description="The registered name."
    )
    tax_id: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="NIF/CIF/NIE, RFC, ... for the address's (or client's) country, or an "
        "EU VAT number with its prefix.",
    )
    website: str | None = strawberry.field(
        default=strawberry.UNSET, description="A URL; https:// is added if missing."
    )
    office_phone: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="National numbers are read with the address's country.",
    )
    address: AddressInput | None = strawberry.field(
        default=strawberry.UNSET, description="The postal address."
    )


@strawberry.input(description="A new client category.")
class CreateClientCategoryInput:
    name: str = strawberry.field(
        description="At most 100 characters; unique ignoring case and accents."
    )


@strawberry.input(description="A new client.")
class CreateClientInput:
    name: str = strawberry.field(description="Required.")
    email: str | None = strawberry.field(
        default=None, description="Normalized; unique in the organization."
    )
    mobile: str | None = strawberry.field(
        default=None, description="National numbers are read with the client's country."
    )
    country: str | None = strawberry.field(
        default=None, description="ISO 3166-1 code or name, e.g. ES or España."
    )
    gender: Gender | None = strawberry.field(default=None, description="null: not given.")
    language: str | None = strawberry.field(default=None, description="ISO 639-1, e.g. es.")
    category_id: relay.GlobalID | None = strawberry.field(
        default=None, description="A ClientCategory's global ID."
    )
    company: CompanyInput | None = strawberry.field(
        default=None, description="Links the client to this company (found or created)."
    )


@strawberry.input(description="A partial update: omitted fields are left as they are.")
class UpdateClientInput:
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="Cannot be null or blank."
    )
    email: str | None = strawberry.field(
        default=strawberry.UNSET, description="Normalized; unique in the organization."
    )
    mobile: str | None = strawberry.field(
        default=strawberry.UNSET, description="National numbers are read with the client's country."
    )
    country: str | None = strawberry.field(
        default=strawberry.UNSET, description="ISO 3166-1 code or name, e.g. ES or España."
    )
    gender: Gender | None = strawberry.field(default=strawberry.UNSET, description="The gender.")
    language: str | None = strawberry.field(
        default=strawberry.UNSET, description="ISO 639-1, e.g. es."
    )
    category_id: relay.GlobalID | None = strawberry.field(
        default=strawberry.UNSET, description="A ClientCategory's global ID; null removes it."
    )
    company: CompanyInput | None = strawberry.field(
        default=strawberry.UNSET, description="null unlinks the company."
    )


@strawberry.input(description="Conditions a client must all meet to be listed.")
class ClientFilter:
    created_after: datetime | None = strawberry.field(
        default=None, description="Added at or after this instant."
    )
    created_before: datetime | None = strawberry.field(
        default=None, description="Added strictly before this instant."
    )
    category_ids: list[relay.GlobalID] | None = strawberry.field(
        default=None, description="ClientCategory global IDs: clients in any of them."
    )
    countries: list[str] | None = strawberry.field(
        default=None, description="ISO 3166-1 alpha-2 codes."
    )
    status: ClientStatus | None = strawberry.field(
        default=ClientStatus.ACTIVE, description="null lists clients of every status."
    )


ClientOrderField = docs.described(
    strawberry.enum(
        OrderField,
        name="ClientOrderField",
        description="What the clients list can be sorted by.",
    ),
    {
        "NAME": "The client's name, ignoring case and accents.",
        "CREATED_AT": "Date added.",
        "UPDATED_AT": "Last change.",
    },
)


@strawberry.input(
    description="One sort key of the clients list. Ties are broken by the "
    "client's id, so pages are stable."
)
class ClientOrder:
    field: ClientOrderField = strawberry.field(description="What to sort by.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.DESC, description=docs.DIRECTION
    )


ClientSearch = Annotated[
    str | None,
    strawberry.argument(
        description="Words matched against name, email, phone, company name, legal name and tax "
        "ID, ignoring case and accents; every word must match."
    ),
]
ClientFilterArgument = Annotated[
    ClientFilter | None,
    strawberry.argument(description="Only ACTIVE clients unless its status says otherwise."),
]
ClientOrderArgument = Annotated[
    list[ClientOrder] | None,
    strawberry.argument(
        description="Sort keys, most significant first; newest first when omitted."
    ),
]
