from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index

from gql_crm.models.base import ClientRecord, DocumentLine, OrgScoped, currency_field, money_field

if TYPE_CHECKING:
    from gql_crm.models.clients import Client


class InvoiceKind(StrEnum):
    SALE = "SALE"
    PURCHASE = "PURCHASE"


class InvoiceStatus(StrEnum):
    """Stored states. Overdue is derived from the due date, never stored."""

    DRAFT = "DRAFT"
    AUTHORIZED = "AUTHORIZED"
    PAID = "PAID"
    CANCELED = "CANCELED"


class PurchaseOrderStatus(StrEnum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"
    CANCELED = "CANCELED"


class Invoice(ClientRecord):
    # Null once the client's personal data was erased: the law keeps the invoice.
    client: fields.ForeignKeyNullableRelation["Client"] = fields.ForeignKeyField(
        "models.Client", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    client_id: int | None  # type: ignore[assignment]
    kind = fields.CharEnumField(InvoiceKind, max_length=16)
    number = fields.CharField(max_length=50)
    status = fields.CharEnumField(InvoiceStatus, max_length=16, default=InvoiceStatus.DRAFT)
    issue_date = fields.DateField()
    due_date = fields.DateField(null=True)
    currency = currency_field()
    subtotal = money_field()
    tax_total = money_field()
    total = money_field()
    amount_paid = money_field()
    authorized_at = fields.DatetimeField(null=True)
    # The day the payment that completed it was made (the latest payment's date).
    paid_at = fields.DateField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        unique_together = (("organization", "kind", "number"),)
        indexes = (Index(fields=("client_id", "kind", "status", "due_date")),)


class InvoiceLine(DocumentLine):
    invoice: fields.ForeignKeyRelation["Invoice"] = fields.ForeignKeyField(
        "models.Invoice", related_name=False
    )
    invoice_id: int

    class Meta:
        indexes = (Index(fields=("invoice_id", "id")),)


class InvoicePayment(OrgScoped):
    invoice: fields.ForeignKeyRelation["Invoice"] = fields.ForeignKeyField(
        "models.Invoice", related_name=False
    )
    invoice_id: int
    amount = money_field()
    date = fields.DateField()

    class Meta:
        indexes = (Index(fields=("invoice_id", "id")),)


class PurchaseOrder(ClientRecord):
    # Null once the client's personal data was erased, as for invoices.
    client: fields.ForeignKeyNullableRelation["Client"] = fields.ForeignKeyField(
        "models.Client", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    client_id: int | None  # type: ignore[assignment]
    number = fields.CharField(max_length=50)
    status = fields.CharEnumField(
        PurchaseOrderStatus, max_length=16, default=PurchaseOrderStatus.OPEN
    )
    issue_date = fields.DateField()
    expected_delivery_date = fields.DateField(null=True)
    currency = currency_field()
    # From the lines when it has some, as an invoice's; an order without lines has a total only.
    subtotal = fields.DecimalField(max_digits=18, decimal_places=2, null=True)
    tax_total = fields.DecimalField(max_digits=18, decimal_places=2, null=True)
    total = money_field()
    description = fields.TextField(default="")
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        unique_together = (("organization", "number"),)
        indexes = (Index(fields=("client_id", "status")),)


class PurchaseOrderLine(DocumentLine):
    purchase_order: fields.ForeignKeyRelation["PurchaseOrder"] = fields.ForeignKeyField(
        "models.PurchaseOrder", related_name=False
    )
    purchase_order_id: int

    class Meta:
        indexes = (Index(fields=("purchase_order_id", "id")),)
