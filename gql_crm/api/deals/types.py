from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import strawberry
from strawberry import relay
from strawberry.types import Info

from gql_crm import models
from gql_crm.api.billing.types import lines_of
from gql_crm.api.errors import UserError
from gql_crm.api.profile.tabs import Money, tab_connection, tab_order
from gql_crm.api.projects.types import ClientRef, load_client
from gql_crm.api.relay import ModelNode, OrderDirection, counted_connection
from gql_crm.services import deals, profile

DealStage = strawberry.enum(models.DealStage, description="WON and LOST close a deal.")
QuoteStatus = strawberry.enum(
    deals.QuoteState, name="QuoteStatus",
    description="EXPIRED: a DRAFT or SENT quote past its validUntil (organization's today).",
)


@strawberry.enum
class DealOrderField(Enum):
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"
    TITLE = "TITLE"


@strawberry.input(description="Ties are broken by the id, so pages are stable.")
class DealOrder:
    field: DealOrderField
    direction: OrderDirection = OrderDirection.DESC


@strawberry.enum
class QuoteOrderField(Enum):
    CREATED_AT = "CREATED_AT"
    NUMBER = "NUMBER"


@strawberry.input(description="Ties are broken by the id, so pages are stable.")
class QuoteOrder:
    field: QuoteOrderField
    direction: OrderDirection = OrderDirection.DESC


def quote_filters(status) -> profile.TabFilter:
    return profile.TabFilter(
        quote_states=None if status is None else tuple(deals.QuoteState(s.value) for s in status),
    )


@strawberry.type(description="Amounts computed by the server, as on an invoice's lines: "
                 "subtotal = quantity × unit price, tax = subtotal × rate / 100, each rounded "
                 "half-up to the cent.")
class QuoteLine:
    position: int
    description: str
    quantity: Decimal
    unit_price: Money
    tax_rate: Decimal = strawberry.field(description="Percent.")
    subtotal: Money
    tax: Money
    total: Money

    @classmethod
    def from_model(cls, row: models.QuoteLine, currency: str) -> "QuoteLine":
        return cls(position=row.position, description=row.description, quantity=row.quantity,
                   unit_price=Money(amount=row.unit_price, currency=currency),
                   tax_rate=row.tax_rate, subtotal=Money(amount=row.subtotal, currency=currency),
                   tax=Money(amount=row.tax, currency=currency),
                   total=Money(amount=row.total, currency=currency))


@strawberry.type
class Quote(ModelNode):
    _model = models.Quote

    id: relay.NodeID[int]
    number: str
    valid_until: date | None
    subtotal: Money
    tax_total: Money
    total: Money
    created_at: datetime
    row: strawberry.Private[models.Quote]

    @classmethod
    def from_model(cls, row: models.Quote) -> "Quote":
        currency = row.currency
        return cls(id=row.id, number=row.number, valid_until=row.valid_until,
                   subtotal=Money(amount=row.subtotal, currency=currency),
                   tax_total=Money(amount=row.tax_total, currency=currency),
                   total=Money(amount=row.total, currency=currency),
                   created_at=row.created_at, row=row)

    @strawberry.field
    def status(self, info: Info) -> QuoteStatus:
        return deals.quote_state(self.row, info.context.today)

    @strawberry.field
    async def client(self, info: Info) -> ClientRef | None:
        return await load_client(info, self.row.client_id)

    @strawberry.field
    async def deal(self, info: Info) -> "Deal | None":
        if self.row.deal_id is None:
            return None
        found = await info.context.loaders.by_id(models.Deal).load(self.row.deal_id)
        return Deal.from_model(found) if found else None

    @strawberry.field
    async def lines(self, info: Info) -> list[QuoteLine]:
        rows = await lines_of(info, models.QuoteLine, "quote_id", self.row.id)
        return [QuoteLine.from_model(row, self.row.currency) for row in rows]


QuoteConnection = counted_connection(Quote, "A page of quotes.")


@strawberry.type
class Deal(ModelNode):
    _model = models.Deal

    id: relay.NodeID[int]
    title: str
    value: Money
    stage: DealStage
    expected_close_date: date | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[models.Deal]

    @classmethod
    def from_model(cls, row: models.Deal) -> "Deal":
        return cls(id=row.id, title=row.title, value=Money(amount=row.value, currency=row.currency),
                   stage=row.stage, expected_close_date=row.expected_close_date,
                   closed_at=row.closed_at, created_at=row.created_at,
                   updated_at=row.updated_at, row=row)

    @strawberry.field
    async def client(self, info: Info) -> ClientRef | None:
        return await load_client(info, self.row.client_id)

    @strawberry.field(description="Quotes sent for this deal, newest first unless orderBy says.")
    async def quotes(
        self, info: Info, status: list[QuoteStatus] | None = None,
        order_by: QuoteOrder | None = None, first: int | None = None,
        after: str | None = None, last: int | None = None, before: str | None = None,
    ) -> QuoteConnection:
        return await tab_connection(
            info, QuoteConnection, Quote.from_model, profile.Tab.QUOTES, self.row.id,
            quote_filters(status), tab_order(order_by), first, after, last, before,
            parent="deal_id",
        )


DealConnection = counted_connection(Deal, "A page of deals.")


@strawberry.type
class DealPayload:
    deal: Deal | None
    errors: list[UserError]


@strawberry.type
class QuotePayload:
    quote: Quote | None
    errors: list[UserError]
