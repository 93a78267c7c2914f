from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Self

import strawberry
from strawberry import relay
from strawberry.types import Info

from gql_crm import models
from gql_crm.api import docs
from gql_crm.api.core.loaders import load_children, load_client
from gql_crm.api.core.money import Money
from gql_crm.api.core.relay import ModelNode, OrderDirection, counted_connection
from gql_crm.api.errors import UserError
from gql_crm.api.projects.types import ClientRef
from gql_crm.services import profile, summary

# A field named `date` hides the type inside its class.
Day = date

InvoiceKind = docs.described(
    strawberry.enum(
        models.InvoiceKind,
        description="SALE: we bill the client; PURCHASE: the client (a supplier) bills us.",
    ),
    {
        "SALE": "We bill the client.",
        "PURCHASE": "The client, a supplier, bills us.",
    },
)
InvoiceStatus = docs.described(
    strawberry.enum(
        summary.InvoiceState,
        name="InvoiceStatus",
        description="An invoice's status as the tab shows it: an authorized invoice is OVERDUE "
        "when due before today (organization's time zone) and not fully paid, PENDING otherwise.",
    ),
    {
        "DRAFT": "Not authorized yet: it can still be canceled, not paid.",
        "PENDING": "Authorized, not fully paid, due today or later or undated.",
        "OVERDUE": "Authorized, not fully paid, due before today.",
        "PAID": "Fully paid.",
        "CANCELED": "Canceled; it counts for nothing.",
    },
)
PurchaseOrderStatus = docs.described(
    strawberry.enum(models.PurchaseOrderStatus, description="Where a purchase order stands."),
    {
        "OPEN": "Placed, not delivered yet.",
        "CLOSED": "Delivered.",
        "CANCELED": "Canceled; it counts for nothing.",
    },
)


@strawberry.enum(description="What a list of invoices can be sorted by.")
class InvoiceOrderField(Enum):
    ISSUE_DATE = strawberry.enum_value("ISSUE_DATE", description="Its issue date.")
    CREATED_AT = strawberry.enum_value("CREATED_AT", description="When it was created.")
    NUMBER = strawberry.enum_value("NUMBER", description="Its number, as text.")


@strawberry.input(
    description="The order of a list of invoices. Ties are broken by the id, so pages are stable."
)
class InvoiceOrder:
    field: InvoiceOrderField = strawberry.field(description="What to sort by.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.DESC, description=docs.DIRECTION
    )


@strawberry.enum(description="What a list of purchase orders can be sorted by.")
class PurchaseOrderOrderField(Enum):
    ISSUE_DATE = strawberry.enum_value("ISSUE_DATE", description="Its issue date.")
    CREATED_AT = strawberry.enum_value("CREATED_AT", description="When it was created.")
    NUMBER = strawberry.enum_value("NUMBER", description="Its number, as text.")


@strawberry.input(
    description="The order of a list of purchase orders. Ties are broken by the "
    "id, so pages are stable."
)
class PurchaseOrderOrder:
    field: PurchaseOrderOrderField = strawberry.field(description="What to sort by.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.DESC, description=docs.DIRECTION
    )


@strawberry.type(
    description="Amounts computed by the server: subtotal = quantity × unit "
    "price, tax = subtotal × rate / 100, each rounded half-up to the cent."
)
class InvoiceLine:
    position: int = strawberry.field(description=docs.LINE_POSITION)
    description: str = strawberry.field(description=docs.LINE_DESCRIPTION)
    quantity: Decimal = strawberry.field(description=docs.LINE_QUANTITY)
    unit_price: Money = strawberry.field(description=docs.LINE_UNIT_PRICE)
    tax_rate: Decimal = strawberry.field(description="Percent.")
    subtotal: Money = strawberry.field(description=docs.LINE_SUBTOTAL)
    tax: Money = strawberry.field(description=docs.LINE_TAX)
    total: Money = strawberry.field(description=docs.LINE_TOTAL)

    @classmethod
    def from_model(cls, row, currency: str) -> Self:
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


@strawberry.type(description="A payment received (SALE) or made (PURCHASE) of an invoice.")
class InvoicePayment:
    amount: Money = strawberry.field(description="What was paid.")
    date: Day = strawberry.field(description="The day it was paid.")
    created_at: datetime = strawberry.field(description="When it was recorded.")


@strawberry.type(
    description="A sales invoice (we bill the client) or a purchase invoice (the "
    "client bills us), with its lines and payments."
)
class Invoice(ModelNode):
    _model = models.Invoice

    id: relay.NodeID[int]
    kind: InvoiceKind = strawberry.field(description="Who bills whom.")
    number: str = strawberry.field(description="Unique in the organization for its kind.")
    issue_date: date = strawberry.field(description="The invoice's date.")
    due_date: date | None = strawberry.field(
        description="When it is to be paid; null: no due date (never OVERDUE)."
    )
    subtotal: Money = strawberry.field(description="The lines' subtotals, before tax.")
    tax_total: Money = strawberry.field(description="The lines' tax.")
    total: Money = strawberry.field(description="Subtotal plus tax.")
    amount_paid: Money = strawberry.field(description="The sum of its payments.")
    authorized_at: datetime | None = strawberry.field(
        description="When it was authorized; null while DRAFT or if canceled as a draft."
    )
    paid_at: date | None = strawberry.field(
        description="The day it was fully paid: the date of its latest payment, set by the "
        "payment that completed it; null until PAID."
    )
    created_at: datetime = strawberry.field(description=docs.CREATED_AT)
    row: strawberry.Private[models.Invoice]

    @classmethod
    def from_model(cls, row: models.Invoice) -> "Invoice":
        currency = row.currency
        return cls(
            id=row.id,
            kind=row.kind,
            number=row.number,
            issue_date=row.issue_date,
            due_date=row.due_date,
            subtotal=Money(amount=row.subtotal, currency=currency),
            tax_total=Money(amount=row.tax_total, currency=currency),
            total=Money(amount=row.total, currency=currency),
            amount_paid=Money(amount=row.amount_paid, currency=currency),
            authorized_at=row.authorized_at,
            paid_at=row.paid_at,
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field(
        description="Days since the due date while OVERDUE (1 the day after it, in the "
        "organization's time zone); 0 in every other status."
    )
    def days_overdue(self, info: Info) -> int:
        return summary.days_overdue(self.row, info.context.today)

    @strawberry.field(description="Total minus payments while PENDING or OVERDUE; else 0.")
    def amount_due(self) -> Money:
        due = Decimal("0.00")
        if self.row.status == models.InvoiceStatus.AUTHORIZED:
            due = self.row.total - self.row.amount_paid
        return Money(amount=due, currency=self.row.currency)

    @strawberry.field(description="Where the invoice stands today.")
    def status(self, info: Info) -> InvoiceStatus:
        return summary.invoice_state(self.row, info.context.today)

    @strawberry.field(description=docs.CLIENT)
    async def client(self, info: Info) -> ClientRef | None:
        return await load_client(info, self.row.client_id)

    @strawberry.field(description="In position order.")
    async def lines(self, info: Info) -> list[InvoiceLine]:
        rows = await load_children(info, models.InvoiceLine, "invoice_id", self.row.id)
        return [InvoiceLine.from_model(row, self.row.currency) for row in rows]

    @strawberry.field(description="Oldest first.")
    async def payments(self, info: Info) -> list[InvoicePayment]:
        rows = await load_children(info, models.InvoicePayment, "invoice_id", self.row.id, "date")
        return [
            InvoicePayment(
                amount=Money(amount=r.amount, currency=self.row.currency),
                date=r.date,
                created_at=r.created_at,
            )
            for r in rows
        ]


InvoiceConnection = counted_connection(Invoice, "A page of invoices.")


@strawberry.type(
    description="A line of a purchase order; amounts computed by the server as on an "
    "invoice's lines."
)
class PurchaseOrderLine(InvoiceLine):
    pass


def _money_or_none(amount: Decimal | None, currency: str) -> Money | None:
    return None if amount is None else Money(amount=amount, currency=currency)


@strawberry.type(description="An order the client placed with us.")
class PurchaseOrder(ModelNode):
    _model = models.PurchaseOrder

    id: relay.NodeID[int]
    number: str = strawberry.field(description="Unique in the organization.")
    status: PurchaseOrderStatus = strawberry.field(description="Where the order stands.")
    issue_date: date = strawberry.field(description="The order's date.")
    expected_delivery_date: date | None = strawberry.field(
        description="When it is expected to be delivered; null if unknown."
    )
    subtotal: Money | None = strawberry.field(
        description="The lines' subtotals, before tax; null for an order without lines."
    )
    tax_total: Money | None = strawberry.field(
        description="The lines' tax; null for an order without lines."
    )
    total: Money = strawberry.field(
        description="What the order is worth: subtotal plus tax when it has lines."
    )
    description: str = strawberry.field(description="What was ordered; may be empty.")
    created_at: datetime = strawberry.field(description=docs.CREATED_AT)
    row: strawberry.Private[models.PurchaseOrder]

    @classmethod
    def from_model(cls, row: models.PurchaseOrder) -> "PurchaseOrder":
        return cls(
            id=row.id,
            number=row.number,
            status=row.status,
            issue_date=row.issue_date,
            expected_delivery_date=row.expected_delivery_date,
            subtotal=_money_or_none(row.subtotal, row.currency),
            tax_total=_money_or_none(row.tax_total, row.currency),
            total=Money(amount=row.total, currency=row.currency),
            description=row.description,
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field(description=docs.CLIENT)
    async def client(self, info: Info) -> ClientRef | None:
        return await load_client(info, self.row.client_id)

    @strawberry.field(description="In position order; empty for an order without lines.")
    async def lines(self, info: Info) -> list[PurchaseOrderLine]:
        rows = await load_children(info, models.PurchaseOrderLine, "purchase_order_id", self.row.id)
        return [PurchaseOrderLine.from_model(row, self.row.currency) for row in rows]


PurchaseOrderConnection = counted_connection(PurchaseOrder, "A page of purchase orders.")


def invoice_filters(kind, states) -> profile.NestedFilter:
    return profile.NestedFilter(
        invoice_kind=models.InvoiceKind(kind.value) if kind else None,
        invoice_states=None
        if states is None
        else tuple(summary.InvoiceState(s.value) for s in states),
    )


@strawberry.type(description="The answer of a mutation on an invoice.")
class InvoicePayload:
    invoice: Invoice | None = strawberry.field(
        description="The invoice as it is now; null on errors."
    )
    errors: list[UserError] = strawberry.field(description=docs.ERRORS)


@strawberry.type(description="The answer of a mutation on a purchase order.")
class PurchaseOrderPayload:
    purchase_order: PurchaseOrder | None = strawberry.field(
        description="The order as it is now; null on errors."
    )
    errors: list[UserError] = strawberry.field(description=docs.ERRORS)
