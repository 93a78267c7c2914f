from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import strawberry
from strawberry import relay
from strawberry.types import Info

from gql_crm import models
from gql_crm.api.errors import UserError
from gql_crm.api.profile.tabs import Money
from gql_crm.api.projects.types import ClientRef, load_client
from gql_crm.api.relay import ModelNode, OrderDirection, counted_connection
from gql_crm.services import profile, summary

InvoiceKind = strawberry.enum(models.InvoiceKind, description="SALE: we bill the client; "
                              "PURCHASE: the client (a supplier) bills us.")
InvoiceStatus = strawberry.enum(models.InvoiceStatus, description="The stored status.")
InvoiceState = strawberry.enum(
    summary.InvoiceState,
    description="What an invoice reads as: AUTHORIZED ones are OVERDUE when due before "
    "today (organization's time zone) and not fully paid, PENDING otherwise.",
)
PurchaseOrderStatus = strawberry.enum(models.PurchaseOrderStatus)


@strawberry.enum
class InvoiceOrderField(Enum):
    ISSUE_DATE = "ISSUE_DATE"
    CREATED_AT = "CREATED_AT"
    NUMBER = "NUMBER"


@strawberry.input(description="Ties are broken by the id, so pages are stable.")
class InvoiceOrder:
    field: InvoiceOrderField
    direction: OrderDirection = OrderDirection.DESC


@strawberry.input(description="Ties are broken by the id, so pages are stable.")
class PurchaseOrderOrder:
    field: InvoiceOrderField
    direction: OrderDirection = OrderDirection.DESC


@strawberry.type(description="Amounts computed by the server: subtotal = quantity × unit "
                 "price, tax = subtotal × rate / 100, each rounded half-up to the cent.")
class InvoiceLine:
    position: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal = strawberry.field(description="Percent.")
    subtotal: Decimal
    tax: Decimal
    total: Decimal

    @classmethod
    def from_model(cls, row) -> "InvoiceLine":
        return cls(position=row.position, description=row.description, quantity=row.quantity,
                   unit_price=row.unit_price, tax_rate=row.tax_rate, subtotal=row.subtotal,
                   tax=row.tax, total=row.total)


@strawberry.type
class InvoicePayment:
    amount: Decimal
    date: date
    created_at: datetime


async def lines_of(
    info: Info, model: type, parent_field: str, parent_id: int, order: str = "position"
) -> list:
    """Lines (or payments) of a parent, batched across every parent the request shows."""
    org_id = info.context.org_id

    async def batch(parent_ids: list[int]) -> list[list]:
        rows = await model.filter(
            organization_id=org_id, **{f"{parent_field}__in": parent_ids}
        ).order_by(parent_field, order, "id")
        grouped: dict[int, list] = {pid: [] for pid in parent_ids}
        for row in rows:
            grouped[getattr(row, parent_field)].append(row)
        return [grouped[pid] for pid in parent_ids]

    return await info.context.loaders.get(("lines", model), batch).load(parent_id)


@strawberry.type
class Invoice(ModelNode):
    _model = models.Invoice

    id: relay.NodeID[int]
    kind: InvoiceKind
    number: str
    status: InvoiceStatus
    issue_date: date
    due_date: date | None
    currency: str
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal
    amount_paid: Decimal
    authorized_at: datetime | None
    created_at: datetime
    row: strawberry.Private[models.Invoice]

    @classmethod
    def from_model(cls, row: models.Invoice) -> "Invoice":
        return cls(id=row.id, kind=row.kind, number=row.number, status=row.status,
                   issue_date=row.issue_date, due_date=row.due_date, currency=row.currency,
                   subtotal=row.subtotal, tax_total=row.tax_total, total=row.total,
                   amount_paid=row.amount_paid, authorized_at=row.authorized_at,
                   created_at=row.created_at, row=row)

    @strawberry.field(description="Total minus payments, while AUTHORIZED; else 0.")
    def amount_due(self) -> Decimal:
        if self.status != models.InvoiceStatus.AUTHORIZED:
            return Decimal("0.00")
        return self.total - self.amount_paid

    @strawberry.field
    def state(self, info: Info) -> InvoiceState:
        if self.status == models.InvoiceStatus.AUTHORIZED:
            late = self.due_date is not None and self.due_date < info.context.today
            return summary.InvoiceState.OVERDUE if late else summary.InvoiceState.PENDING
        return summary.InvoiceState(self.status.value)

    @strawberry.field
    async def client(self, info: Info) -> ClientRef | None:
        return await load_client(info, self.row.client_id)

    @strawberry.field
    async def lines(self, info: Info) -> list[InvoiceLine]:
        rows = await lines_of(info, models.InvoiceLine, "invoice_id", self.row.id)
        return [InvoiceLine.from_model(row) for row in rows]

    @strawberry.field(description="Oldest first.")
    async def payments(self, info: Info) -> list[InvoicePayment]:
        rows = await lines_of(info, models.InvoicePayment, "invoice_id", self.row.id, "date")
        return [InvoicePayment(amount=r.amount, date=r.date, created_at=r.created_at)
                for r in rows]


InvoiceConnection = counted_connection(Invoice, "A page of invoices.")


@strawberry.type
class PurchaseOrder(ModelNode):
    _model = models.PurchaseOrder

    id: relay.NodeID[int]
    number: str
    status: PurchaseOrderStatus
    issue_date: date
    total: Money
    description: str
    created_at: datetime
    row: strawberry.Private[models.PurchaseOrder]

    @classmethod
    def from_model(cls, row: models.PurchaseOrder) -> "PurchaseOrder":
        return cls(id=row.id, number=row.number, status=row.status, issue_date=row.issue_date,
                   total=Money(amount=row.total, currency=row.currency),
                   description=row.description, created_at=row.created_at, row=row)

    @strawberry.field
    async def client(self, info: Info) -> ClientRef | None:
        return await load_client(info, self.row.client_id)


PurchaseOrderConnection = counted_connection(PurchaseOrder, "A page of purchase orders.")


def invoice_filters(kind, states) -> profile.TabFilter:
    return profile.TabFilter(
        invoice_kind=models.InvoiceKind(kind.value) if kind else None,
        invoice_states=None if states is None
        else tuple(summary.InvoiceState(s.value) for s in states),
    )


@strawberry.type
class InvoicePayload:
    invoice: Invoice | None
    errors: list[UserError]


@strawberry.type
class PurchaseOrderPayload:
    purchase_order: PurchaseOrder | None
    errors: list[UserError]
