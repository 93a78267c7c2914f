from datetime import date
from decimal import Decimal

import strawberry
from strawberry import relay

from gql_crm.api.billing.types import InvoiceKind


@strawberry.input(description="The server computes the line's amounts.")
class LineInput:
    description: str
    quantity: Decimal = strawberry.field(description="More than 0, at most 4 decimals.")
    unit_price: Decimal = strawberry.field(description="At most 4 decimals.")
    tax_rate: Decimal = strawberry.field(default=Decimal("0"), description="Percent, 0 to 100.")


@strawberry.input
class CreateInvoiceInput:
    client_id: relay.GlobalID
    kind: InvoiceKind
    number: str = strawberry.field(description="Unique per organization and kind.")
    issue_date: date
    due_date: date | None = strawberry.field(default=None, description="Not before issueDate.")
    currency: str | None = strawberry.field(
        default=None, description="ISO 4217; the organization's currency if omitted."
    )
    lines: list[LineInput]


@strawberry.input
class RecordPaymentInput:
    invoice_id: relay.GlobalID
    amount: Decimal
    date: date


@strawberry.input
class CreatePurchaseOrderInput:
    client_id: relay.GlobalID
    number: str = strawberry.field(description="Unique per organization.")
    issue_date: date
    total: Decimal
    currency: str | None = None
    description: str | None = None
