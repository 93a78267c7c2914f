from datetime import date
from decimal import Decimal

import strawberry
from strawberry import relay

from gql_crm.api.billing.types import Day, InvoiceKind


@strawberry.input(description="The server computes the line's amounts.")
class LineInput:
    description: str = strawberry.field(description="What is charged; required.")
    quantity: Decimal = strawberry.field(description="More than 0, at most 4 decimals.")
    unit_price: Decimal = strawberry.field(description="At most 4 decimals.")
    tax_rate: Decimal = strawberry.field(default=Decimal("0"), description="Percent, 0 to 100.")


@strawberry.input(description="A new DRAFT invoice.")
class CreateInvoiceInput:
    client_id: relay.GlobalID = strawberry.field(description="The Client's global ID.")
    kind: InvoiceKind = strawberry.field(description="Who bills whom.")
    number: str = strawberry.field(description="Unique per organization and kind.")
    issue_date: date = strawberry.field(description="The invoice's date.")
    due_date: date | None = strawberry.field(default=None, description="Not before issueDate.")
    currency: str | None = strawberry.field(
        default=None, description="ISO 4217; the organization's currency if omitted."
    )
    lines: list[LineInput] = strawberry.field(description="At least one.")


@strawberry.input(description="A payment of an authorized invoice.")
class RecordPaymentInput:
    invoice_id: relay.GlobalID = strawberry.field(description="The Invoice's global ID.")
    amount: Decimal = strawberry.field(
        description="More than 0, two decimals, at most the amount still due."
    )
    date: Day = strawberry.field(description="The day it was paid.")


@strawberry.input(description="A new OPEN purchase order.")
class CreatePurchaseOrderInput:
    client_id: relay.GlobalID = strawberry.field(description="The Client's global ID.")
    number: str = strawberry.field(description="Unique per organization.")
    issue_date: date = strawberry.field(description="The order's date.")
    expected_delivery_date: date | None = strawberry.field(
        default=None, description="When it is expected to be delivered; not before issueDate."
    )
    lines: list[LineInput] | None = strawberry.field(
        default=None,
        description="What was ordered, at most 500 lines: the server computes the totals from "
        "them, as for an invoice. Give either lines or total.",
    )
    total: Decimal | None = strawberry.field(
        default=None,
        description="For an order without lines only: 0 or more, two decimals. Refused "
        "(INVALID) beside lines.",
    )
    currency: str | None = strawberry.field(
        default=None, description="ISO 4217; the organization's currency if omitted."
    )
    description: str | None = strawberry.field(default=None, description="What was ordered.")
