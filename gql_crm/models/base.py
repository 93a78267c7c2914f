from decimal import Decimal

from tortoise import fields
from tortoise.models import Model


def money_field(**kwargs) -> fields.DecimalField:
    """Amounts are exact decimals; the currency lives in a sibling `currency` column."""
    return fields.DecimalField(max_digits=18, decimal_places=2, default=Decimal("0"), **kwargs)


def currency_field() -> fields.CharField:
    return fields.CharField(max_length=3, default="EUR")


class OrgScoped(Model):
    """Base of every row that belongs to an organization."""

    id = fields.IntField(primary_key=True)
    organization = fields.ForeignKeyField("models.Organization", related_name=False, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        abstract = True
