from datetime import date
from decimal import Decimal

import strawberry
from strawberry import relay

from gql_crm.api.billing.inputs import LineInput
from gql_crm.api.deals.types import DealStage


@strawberry.input
class CreateDealInput:
    client_id: relay.GlobalID
    title: str
    value: Decimal
    currency: str | None = strawberry.field(
        default=None, description="ISO 4217; the organization's currency if omitted."
    )
    stage: DealStage = DealStage.LEAD
    expected_close_date: date | None = None


@strawberry.input
class CreateQuoteInput:
    client_id: relay.GlobalID
    deal_id: relay.GlobalID | None = strawberry.field(
        default=None, description="A deal of the same client."
    )
    number: str = strawberry.field(description="Unique per organization.")
    valid_until: date | None = None
    currency: str | None = None
    lines: list[LineInput]
