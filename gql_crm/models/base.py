from decimal import Decimal
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from gql_crm.models.accounts import Organization


def money_field(**kwargs) -> fields.DecimalField:
    """Amounts are exact decimals; the currency lives in a sibling `currency` column."""
    return fields.DecimalField(max_digits=18, decimal_places=2, default=Decimal("0"), **kwargs)


def currency_field() -> fields.CharField:
    return fields.CharField(max_length=3, default="EUR")


class OrgScoped(Model):
    """Base of every row that belongs to an organization."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation["Organization"] = fields.ForeignKeyField(
        "models.Organization", related_name=False, db_index=True
    )
    organization_id: int
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        abstract = True


class ClientRecord(OrgScoped):
    """Base of the records of a client's profile (projects, invoices, deals...); each
    declares its `client` foreign key itself."""

    client_id: int

    class Meta:
        abstract = True


class DocumentLine(OrgScoped):
    """A priced line of an invoice, a quote or a purchase order; amounts computed by the
    services (services.billing.clean_lines), never sent by a client."""

    position = fields.IntField()
    description = fields.CharField(max_length=500)
    quantity = fields.DecimalField(max_digits=14, decimal_places=4)
    unit_price = fields.DecimalField(max_digits=18, decimal_places=4)
    tax_rate = fields.DecimalField(max_digits=6, decimal_places=3, description="percent")
    subtotal = money_field()
    tax = money_field()
    total = money_field()

    class Meta:
        abstract = True
