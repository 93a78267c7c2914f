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
InvoiceStatus = strawberry.enum(
    summary.InvoiceState, name="InvoiceStatus",
    description="An invoice's status as the tab shows it: an authorized invoice is OVERDUE "
    "when due before today (organization's time zone) and not fully paid, PENDING otherwise.",
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


@strawberry.enum
class PurchaseOrderOrderField(Enum):
    ISSUE_DATE = "ISSUE_DATE"
    CREATED_AT = "CREATED_AT"
    NUMBER = "NUMBER"


@strawberry.input(description="Ties are broken by the id, so pages are stable.")
class PurchaseOrderOrder:
    field: PurchaseOrderOrderField
    direction: OrderDirection = OrderDirection.DESC


@strawberry.type(description="Amounts computed by the server: subtotal = quantity × unit "
                 "price, tax = subtotal × rate / 100, each rounded half-up to the cent.")
class InvoiceLine:
    position: int
    description: str
    quantity: Decimal
    unit_price: Money
    tax_rate: Decimal = strawberry.field(description="Percent.")
    subtotal: Money
    tax: Money
    total: Money

    @classmethod
    def from_model(cls, row, currency: str) -> "InvoiceLine":
        return cls(position=row.position, description=row.description, quantity=row.quantity,
                   unit_price=Money(amount=row.unit_price, currency=currency),
                   tax_rate=row.tax_rate, subtotal=Money(amount=row.subtotal, currency=currency),
                   tax=Money(amount=row.tax, currency=currency),
                   total=Money(amount=row.total, currency=currency))


@strawberry.type
class InvoicePayment:
    amount: Money
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
    issue_date: date
    due_date: date | None
    subtotal: Money
    tax_total: Money
    total: Money
    amount_paid: Money
    authorized_at: datetime | None
    created_at: datetime
    row: strawberry.Private[models.Invoice]

    @classmethod
    def from_model(cls, row: models.Invoice) -> "Invoice":
        currency = row.currency
        return cls(id=row.id, kind=row.kind, number=row.number,
                   issue_date=row.issue_date, due_date=row.due_date,
                   subtotal=Money(amount=row.subtotal, currency=currency),
                   tax_total=Money(amount=row.tax_total, currency=currency),
                   total=Money(amount=row.total, currency=currency),
                   amount_paid=Money(amount=row.amount_paid, currency=currency),
                   authorized_at=row.authorized_at, created_at=row.created_at, row=row)

    @strawberry.field(description="Total minus payments while PENDING or OVERDUE; else 0.")
    def amount_due(self) -> Money:
        due = Decimal("0.00")
        if self.row.status == models.InvoiceStatus.AUTHORIZED:
            due = self.row.total - self.row.amount_paid
        return Money(amount=due, currency=self.row.currency)

    @strawberry.field
    def status(self, info: Info) -> InvoiceStatus:
        if self.row.status == models.InvoiceStatus.AUTHORIZED:
            late = self.due_date is not None and self.due_date < info.context.today
            return summary.InvoiceState.OVERDUE if late else summary.InvoiceState.PENDING
        return summary.InvoiceState(self.row.status.value)

    @strawberry.field
    async def client(self, info: Info) -> ClientRef | None:
        return await load_client(info, self.row.client_id)

    @strawberry.field
    async def lines(self, info: Info) -> list[InvoiceLine]:
        rows = await lines_of(info, models.InvoiceLine, "invoice_id", self.row.id)
        return [InvoiceLine.from_model(row, self.row.currency) for row in rows]

    @strawberry.field(description="Oldest first.")
    async def payments(self, info: Info) -> list[InvoicePayment]:
        rows = await lines_of(info, models.InvoicePayment, "invoice_id", self.row.id, "date")
        return [InvoicePayment(amount=Money(amount=r.amount, currency=self.row.currency),
                               date=r.date, created_at=r.created_at)
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
