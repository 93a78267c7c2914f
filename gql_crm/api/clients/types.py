from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from gql_crm import models
from gql_crm.api.errors import UserError
from gql_crm.api.files.types import ClientPhoto, client_photo
from gql_crm.api.profile import client_tabs
from gql_crm.api.profile.summary import ClientSummary
from gql_crm.api.relay import ModelNode, counted_connection

ClientStatus = strawberry.enum(models.ClientStatus, description="Archived clients leave the list.")
Gender = strawberry.enum(models.Gender)


@strawberry.type
class ClientCategory(ModelNode):
    _model = models.ClientCategory

    id: relay.NodeID[int]
    name: str

    @classmethod
    def from_model(cls, row: models.ClientCategory) -> "ClientCategory":
        return cls(id=row.id, name=row.name)


@strawberry.type
class Address:
    street: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    country: str | None = strawberry.field(description="ISO 3166-1 alpha-2.")


@strawberry.type
class Company(ModelNode):
    _model = models.Company

    id: relay.NodeID[int]
    name: str
    legal_name: str | None
    tax_id: str | None = strawberry.field(
        description="Compact form, validated for the address's country (or the client's)."
    )
    website: str | None
    office_phone: str | None = strawberry.field(description="E.164.")
    address: Address

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


@strawberry.type
class Client(ModelNode):
    _model = models.Client

    id: relay.NodeID[int]
    name: str
    email: str | None = strawberry.field(description="Normalized by email-validator.")
    mobile: str | None = strawberry.field(description="E.164, e.g. +34612345678.")
    country: str | None = strawberry.field(description="ISO 3166-1 alpha-2.")
    gender: Gender | None
    language: str | None = strawberry.field(description="ISO 639-1.")
    status: ClientStatus
    created_at: datetime = strawberry.field(description="The date the client was added.")
    updated_at: datetime
    category_id: strawberry.Private[int | None]
    company_id: strawberry.Private[int | None]
    photo: ClientPhoto | None = strawberry.field(resolver=client_photo)
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

    @strawberry.field
    async def category(self, info: Info) -> ClientCategory | None:
        if self.category_id is None:
            return None
        row = await info.context.loaders.by_id(models.ClientCategory).load(self.category_id)
        return ClientCategory.from_model(row) if row else None

    @strawberry.field
    async def company(self, info: Info) -> Company | None:
        if self.company_id is None:
            return None
        row = await info.context.loaders.by_id(models.Company).load(self.company_id)
        return Company.from_model(row) if row else None


ClientConnection = counted_connection(Client, "A page of clients.")


@strawberry.type
class ClientPayload:
    client: Client | None
    errors: list[UserError]


@strawberry.type
class ClientCategoryPayload:
    client_category: ClientCategory | None
    errors: list[UserError]


ClientID = Annotated[relay.GlobalID, strawberry.argument(description="A Client's global ID.")]
