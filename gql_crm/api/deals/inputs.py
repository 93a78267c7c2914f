from datetime import date
from decimal import Decimal

import strawberry
from strawberry import relay

from gql_crm.api.billing.inputs import LineInput
from gql_crm.api.deals.types import DealStage


@strawberry.input(description="A new deal.")
class CreateDealInput:
    client_id: relay.GlobalID = strawberry.field(description="The Client's global ID.")
    title: str = strawberry.field(description="What is being sold; required.")
    value: Decimal = strawberry.field(description="What it is worth: 0 or more, two decimals.")
    currency: str | None = strawberry.field(
        default=None, description="ISO 4217; the organization's currency if omitted."
    )
    stage: DealStage = strawberry.field(
        default=DealStage.LEAD, description="Where it starts in the pipeline."
    )
    expected_close_date: date | None = strawberry.field(
        default=None, description="When it is expected to close."
    )
    owner_id: relay.GlobalID | None = strawberry.field(
        default=None, description="A User's global ID: who is in charge of it."
    )
    probability: int | None = strawberry.field(
        default=None, description="The chance of winning it, in percent: 0 to 100."
    )


@strawberry.input(description="A partial update of a deal: omitted fields are left as they are.")
class UpdateDealInput:
    title: str | None = strawberry.field(
        default=strawberry.UNSET, description="Cannot be null or blank."
    )
    value: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description="0 or more, two decimals; cannot be null."
    )
    expected_close_date: date | None = strawberry.field(
        default=strawberry.UNSET, description="When it is expected to close; null: unknown."
    )
    owner_id: relay.GlobalID | None = strawberry.field(
        default=strawberry.UNSET, description="A User's global ID; null: nobody."
    )
    probability: int | None = strawberry.field(
        default=strawberry.UNSET, description="0 to 100, in percent; null: not estimated."
    )


@strawberry.input(description="A new DRAFT quote.")
class CreateQuoteInput:
    client_id: relay.GlobalID = strawberry.field(description="The Client's global ID.")
    deal_id: relay.GlobalID | None = strawberry.field(
        default=None, description="A deal of the same client."
    )
    number: str = strawberry.field(description="Unique per organization.")
    valid_until: date | None = strawberry.field(
        default=None, description="The last day it can be accepted; null: no limit."
    )
    currency: str | None = strawberry.field(
        default=None, description="ISO 4217; the organization's currency if omitted."
    )
    lines: list[LineInput] = strawberry.field(description="At least one.")
