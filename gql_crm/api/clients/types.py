from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from gql_crm import models
from gql_crm.api import docs
from gql_crm.api.core.loaders import load_node
from gql_crm.api.core.relay import ModelNode, counted_connection
from gql_crm.api.errors import MutationPayload, UserError
from gql_crm.api.files.types import ClientPhoto, client_photo
from gql_crm.api.profile import client_tabs
from gql_crm.api.profile.summary import ClientSummary
from gql_crm.services import profile

ClientStatus = docs.described(
    strawberry.enum(models.ClientStatus, description="Archived clients leave the list."),
    {"ACTIVE": "In the list.", "ARCHIVED": "Out of the list; restoreClient brings it back."},
)
Gender = docs.described(
    strawberry.enum(models.Gender, description="As the client states it."),
    {
        "FEMALE": "Female.",
        "MALE": "Male.",
        "OTHER": "Another gender.",
        "UNDISCLOSED": "The client prefers not to say.",
    },
)


@strawberry.type(description="A label that groups clients (the list filters on it).")
class ClientCategory(ModelNode):
    _model = models.ClientCategory

    id: relay.NodeID[int]
    name: str = strawberry.field(
        description="Unique in the organization, ignoring case and accents."
    )

    @classmethod
    def from_model(cls, row: models.ClientCategory) -> "ClientCategory":
        return cls(id=row.id, name=row.name)


@strawberry.type(description="A company's postal address.")
class Address:
    street: str | None = strawberry.field(description="Street and number.")
    city: str | None = strawberry.field(description="City or town.")
    state: str | None = strawberry.field(description="Province, state or region.")
    postal_code: str | None = strawberry.field(description="As written in the country.")
    country: str | None = strawberry.field(description="ISO 3166-1 alpha-2.")


@strawberry.type(
    description="The company a client works for; clients of the same company share it."
)
class Company(ModelNode):
    _model = models.Company

    id: relay.NodeID[int]
    name: str = strawberry.field(description="The trading name.")
    legal_name: str | None = strawberry.field(description="The registered name.")
    tax_id: str | None = strawberry.field(
        description="Compact form, validated for the address's country (or the client's)."
    )
    website: str | None = strawberry.field(description="An http(s) URL.")
    office_phone: str | None = strawberry.field(description="E.164.")
    address: Address = strawberry.field(description="Its fields are null when unknown.")

    @classmethod
    def from_model(cls, row: models.Company) -> "Company":
        return cls(
            id=row.id,
            name=row.name,
            legal_name=row.legal_name,
            tax_id=row.tax_id,
            website=row.website,
            office_phone=row.office_phone,
            address=Address(
                street=row.street,
                city=row.city,
                state=row.state,
                postal_code=row.postal_code,
                country=row.country,
            ),
        )


@strawberry.type(
    description="A client of the organization: a row of the clients list and "
    "the subject of a profile."
)
class Client(ModelNode):
    _model = models.Client

    id: relay.NodeID[int]
    name: str = strawberry.field(description="The name the list shows.")
    email: str | None = strawberry.field(description="Normalized by email-validator.")
    mobile: str | None = strawberry.field(description="E.164, e.g. +34612345678.")
    country: str | None = strawberry.field(description="ISO 3166-1 alpha-2.")
    gender: Gender | None = strawberry.field(description="null when not given.")
    language: str | None = strawberry.field(description="ISO 639-1.")
    status: ClientStatus = strawberry.field(description="ARCHIVED clients leave the list.")
    created_at: datetime = strawberry.field(description="The date the client was added.")
    updated_at: datetime = strawberry.field(description=docs.UPDATED_AT)
    category_id: strawberry.Private[int | None]
    company_id: strawberry.Private[int | None]
    photo: ClientPhoto | None = strawberry.field(
        resolver=client_photo, description="The profile photo; null when none is set."
    )
    summary: ClientSummary = strawberry.field(
        resolver=client_tabs.client_summary,
        description="The profile's cards and pie charts, computed by the database.",
    )
    projects = strawberry.field(
        resolver=client_tabs.client_projects, description="Newest first unless orderBy says."
    )
    tasks = strawberry.field(
        resolver=client_tabs.client_tasks,
        description="Tasks of every project of the client, newest first unless orderBy says.",
    )
    invoices = strawberry.field(
        resolver=client_tabs.client_invoices,
        description="Sales and purchase invoices; newest issue date first unless orderBy says.",
    )
    purchase_orders = strawberry.field(
        resolver=client_tabs.client_purchase_orders,
        description="Newest issue date first unless orderBy says.",
    )
    deals = strawberry.field(
        resolver=client_tabs.client_deals, description="Newest first unless orderBy says."
    )
    quotes = strawberry.field(
        resolver=client_tabs.client_quotes, description="Newest first unless orderBy says."
    )
    files = strawberry.field(
        resolver=client_tabs.client_files, description="Attached files, newest first."
    )
    activity = strawberry.field(
        resolver=client_tabs.client_activity,
        description="What was done to the client and its records, newest first.",
    )

    @classmethod
    def from_model(cls, row: models.Client) -> "Client":
        return cls(
            id=row.id,
            name=row.name,
            email=row.email,
            mobile=row.mobile,
            country=row.country,
            gender=row.gender,
            language=row.language,
            status=row.status,
            created_at=row.created_at,
            updated_at=row.updated_at,
            category_id=row.category_id,
            company_id=row.company_id,
        )

    @strawberry.field(
        description="When the client or one of its records last changed: its newest activity "
        "entry; null when it has none."
    )
    async def last_activity_at(self, info: Info) -> datetime | None:
        loader = info.context.loaders.figures("last_activity", profile.last_activity)
        return await loader.load(self.id)

    @strawberry.field(description="null when the client has no category.")
    async def category(self, info: Info) -> ClientCategory | None:
        return await load_node(info, ClientCategory, self.category_id)

    @strawberry.field(description="null when the client is not linked to a company.")
    async def company(self, info: Info) -> Company | None:
        return await load_node(info, Company, self.company_id)


ClientConnection = counted_connection(Client, "A page of clients.")


@strawberry.type(description="The answer of a mutation on a client.")
class ClientPayload:
    client: Client | None = strawberry.field(description="The client as it is now; null on errors.")
    errors: list[UserError] = strawberry.field(description=docs.ERRORS)


CLIENT_PAYLOAD = MutationPayload(ClientPayload, "client", Client.from_model)


@strawberry.type(description="The answer of createClientCategory.")
class ClientCategoryPayload:
    client_category: ClientCategory | None = strawberry.field(
        description="The new category; null on errors."
    )
    errors: list[UserError] = strawberry.field(description=docs.ERRORS)


ClientID = Annotated[relay.GlobalID, strawberry.argument(description="A Client's global ID.")]
