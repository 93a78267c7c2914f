from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from gql_crm import models
from gql_crm.api import docs
from gql_crm.api.accounts import User
from gql_crm.api.core.loaders import load_children, load_client, load_node
from gql_crm.api.core.money import Money
from gql_crm.api.core.nested import NestedConnection, nested_order
from gql_crm.api.core.relay import ModelNode, OrderDirection, counted_connection
from gql_crm.api.docs import After, Before, First, Last
from gql_crm.api.errors import UserError
from gql_crm.api.projects.types import ClientRef
from gql_crm.services import deals, profile

DealStage = docs.described(
    strawberry.enum(
        models.DealStage, description="A deal's place in the pipeline; WON and LOST close it."
    ),
    {
        "LEAD": "A possible sale, not yet qualified.",
        "QUALIFIED": "The client has a need and a budget.",
        "PROPOSAL": "A proposal or quote was made.",
        "NEGOTIATION": "Terms are being discussed.",
        "WON": "Closed: the client said yes.",
        "LOST": "Closed: the client said no.",
    },
)
QuoteStatus = docs.described(
    strawberry.enum(
        deals.QuoteState,
        name="QuoteStatus",
        description="EXPIRED: a DRAFT or SENT quote past its validUntil (organization's today).",
    ),
    {
        "DRAFT": "Not sent yet.",
        "SENT": "Sent, waiting for the client's answer.",
        "ACCEPTED": "The client accepted it.",
        "DECLINED": "The client declined it.",
        "EXPIRED": "DRAFT or SENT and past its validUntil: it can no longer be sent or answered.",
    },
)


@strawberry.enum(description="What a list of deals can be sorted by.")
class DealOrderField(Enum):
    CREATED_AT = strawberry.enum_value("CREATED_AT", description="When it was created.")
    UPDATED_AT = strawberry.enum_value("UPDATED_AT", description="When it last changed.")
    TITLE = strawberry.enum_value("TITLE", description="Its title.")


@strawberry.input(
    description="The order of a list of deals. Ties are broken by the id, so pages are stable."
)
class DealOrder:
    field: DealOrderField = strawberry.field(description="What to sort by.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.DESC, description=docs.DIRECTION
    )


@strawberry.enum(description="What a list of quotes can be sorted by.")
class QuoteOrderField(Enum):
    CREATED_AT = strawberry.enum_value("CREATED_AT", description="When it was created.")
    NUMBER = strawberry.enum_value("NUMBER", description="Its number, as text.")


@strawberry.input(
    description="The order of a list of quotes. Ties are broken by the id, so pages are stable."
)
class QuoteOrder:
    field: QuoteOrderField = strawberry.field(description="What to sort by.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.DESC, description=docs.DIRECTION
    )


QuoteStatuses = Annotated[
    list[QuoteStatus] | None,
    strawberry.argument(description="Only quotes in one of these statuses."),
]
QuoteOrderArgument = Annotated[
    QuoteOrder | None, strawberry.argument(description=docs.NEWEST_FIRST)
]


def quote_filters(status) -> profile.NestedFilter:
    return profile.NestedFilter(
        quote_states=None if status is None else tuple(deals.QuoteState(s.value) for s in status),
    )


@strawberry.type(
    description="Amounts computed by the server, as on an invoice's lines: "
    "subtotal = quantity × unit price, tax = subtotal × rate / 100, each rounded "
    "half-up to the cent."
)
class QuoteLine:
    position: int = strawberry.field(description=docs.LINE_POSITION)
    description: str = strawberry.field(description=docs.LINE_DESCRIPTION)
    quantity: Decimal = strawberry.field(description=docs.LINE_QUANTITY)
    unit_price: Money = strawberry.field(description=docs.LINE_UNIT_PRICE)
    tax_rate: Decimal = strawberry.field(description="Percent.")
    subtotal: Money = strawberry.field(description=docs.LINE_SUBTOTAL)
    tax: Money = strawberry.field(description=docs.LINE_TAX)
    total: Money = strawberry.field(description=docs.LINE_TOTAL)

    @classmethod
    def from_model(cls, row: models.QuoteLine, currency: str) -> "QuoteLine":
        return cls(
            position=row.position,
            description=row.description,
            quantity=row.quantity,
            unit_price=Money(amount=row.unit_price, currency=currency),
            tax_rate=row.tax_rate,
            subtotal=Money(amount=row.subtotal, currency=currency),
            tax=Money(amount=row.tax, currency=currency),
            total=Money(amount=row.total, currency=currency),
        )


@strawberry.type(description="A priced offer to a client, optionally for one of its deals.")
class Quote(ModelNode):
    _model = models.Quote

    id: relay.NodeID[int]
    number: str = strawberry.field(description="Unique in the organization.")
    valid_until: date | None = strawberry.field(
        description="Past this day (organization's today) a DRAFT or SENT quote is EXPIRED; "
        "null: no limit."
    )
    subtotal: Money = strawberry.field(description="The lines' subtotals, before tax.")
    tax_total: Money = strawberry.field(description="The lines' tax.")
    total: Money = strawberry.field(description="Subtotal plus tax.")
    sent_at: datetime | None = strawberry.field(
        description="When sendQuote moved it to SENT; null while a DRAFT."
    )
    accepted_at: datetime | None = strawberry.field(
        description="When acceptQuote moved it to ACCEPTED; null otherwise."
    )
    declined_at: datetime | None = strawberry.field(
        description="When declineQuote moved it to DECLINED; null otherwise."
    )
    created_at: datetime = strawberry.field(description=docs.CREATED_AT)
    row: strawberry.Private[models.Quote]

    @classmethod
    def from_model(cls, row: models.Quote) -> "Quote":
        currency = row.currency
        return cls(
            id=row.id,
            number=row.number,
            valid_until=row.valid_until,
            subtotal=Money(amount=row.subtotal, currency=currency),
            tax_total=Money(amount=row.tax_total, currency=currency),
            total=Money(amount=row.total, currency=currency),
            sent_at=row.sent_at,
            accepted_at=row.accepted_at,
            declined_at=row.declined_at,
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field(description="Where the quote stands today.")
    def status(self, info: Info) -> QuoteStatus:
        return deals.quote_state(self.row, info.context.today)

    @strawberry.field(description=docs.CLIENT)
    async def client(self, info: Info) -> ClientRef | None:
        return await load_client(info, self.row.client_id)

    @strawberry.field(description="The deal it was made for; null if none.")
    async def deal(self, info: Info) -> "Deal | None":
        return await load_node(info, Deal, self.row.deal_id)

    @strawberry.field(description="In position order.")
    async def lines(self, info: Info) -> list[QuoteLine]:
        rows = await load_children(info, models.QuoteLine, "quote_id", self.row.id)
        return [QuoteLine.from_model(row, self.row.currency) for row in rows]


QuoteConnection = counted_connection(Quote, "A page of quotes.")


@strawberry.type(
    description="A close of a deal that was undone by moving it back to an open stage."
)
class DealClose:
    stage: DealStage = strawberry.field(description="WON or LOST: how the deal had closed.")
    closed_at: datetime | None = strawberry.field(description="When it had closed.")
    value: Money = strawberry.field(description="What the deal was worth when it closed.")
    reopened_at: datetime = strawberry.field(description="When it was moved back to open.")


@strawberry.type(description="A possible sale to a client, through the pipeline's stages.")
class Deal(ModelNode):
    _model = models.Deal

    id: relay.NodeID[int]
    title: str = strawberry.field(description="What is being sold.")
    value: Money = strawberry.field(description="What the deal is worth.")
    stage: DealStage = strawberry.field(description="Where it is in the pipeline.")
    expected_close_date: date | None = strawberry.field(
        description="When it is expected to close; null if unknown."
    )
    closed_at: datetime | None = strawberry.field(
        description="When it moved to WON or LOST; null while open."
    )
    probability: int | None = strawberry.field(
        description="The chance of winning it, in percent (0 to 100); null: not estimated."
    )
    weighted_value: Money | None = strawberry.field(
        description="value times probability / 100, rounded half-up to the cent; null without a "
        "probability."
    )
    created_at: datetime = strawberry.field(description=docs.CREATED_AT)
    updated_at: datetime = strawberry.field(description=docs.UPDATED_AT)
    row: strawberry.Private[models.Deal]

    @classmethod
    def from_model(cls, row: models.Deal) -> "Deal":
        return cls(
            id=row.id,
            title=row.title,
            value=Money(amount=row.value, currency=row.currency),
            stage=row.stage,
            expected_close_date=row.expected_close_date,
            closed_at=row.closed_at,
            probability=row.probability,
            weighted_value=None
            if row.weighted_value is None
            else Money(amount=row.weighted_value, currency=row.currency),
            created_at=row.created_at,
            updated_at=row.updated_at,
            row=row,
        )

    @strawberry.field(
        description="The last close undone by reopening the deal (moving it from WON or LOST "
        "back to an open stage); null if it was never reopened. Reopening a WON deal needs "
        "MANAGER."
    )
    def previous_close(self) -> DealClose | None:
        row = self.row
        # The three are set together when a deal is reopened.
        if (
            row.reopened_at is None
            or row.previous_close_stage is None
            or row.previous_close_value is None
        ):
            return None
        return DealClose(
            stage=row.previous_close_stage,
            closed_at=row.previous_closed_at,
            value=Money(amount=row.previous_close_value, currency=row.currency),
            reopened_at=row.reopened_at,
        )

    @strawberry.field(description=docs.CLIENT)
    async def client(self, info: Info) -> ClientRef | None:
        return await load_client(info, self.row.client_id)

    @strawberry.field(description="The user in charge of the deal; null when nobody is.")
    async def owner(self, info: Info) -> User | None:
        return await load_node(info, User, self.row.owner_id)

    @strawberry.field(description="Quotes sent for this deal, newest first unless orderBy says.")
    async def quotes(
        self,
        info: Info,
        status: QuoteStatuses = None,
        order_by: QuoteOrderArgument = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> QuoteConnection:
        return await DEAL_QUOTES.page(
            info,
            self.row.id,
            quote_filters(status),
            nested_order(order_by),
            first,
            after,
            last,
            before,
        )


DealConnection = counted_connection(Deal, "A page of deals.")


@strawberry.type(description="The answer of a mutation on a deal.")
class DealPayload:
    deal: Deal | None = strawberry.field(description="The deal as it is now; null on errors.")
    errors: list[UserError] = strawberry.field(description=docs.ERRORS)


@strawberry.type(description="The answer of a mutation on a quote.")
class QuotePayload:
    quote: Quote | None = strawberry.field(description="The quote as it is now; null on errors.")
    errors: list[UserError] = strawberry.field(description=docs.ERRORS)


# The quotes under a deal (the resolver above reads it when called).
DEAL_QUOTES = NestedConnection(
    profile.NestedList.QUOTES, QuoteConnection, Quote.from_model, "deal_id"
)
