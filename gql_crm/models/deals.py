from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index

from gql_crm.models.base import ClientRecord, DocumentLine, currency_field, money_field

if TYPE_CHECKING:
    from gql_crm.models.accounts import User
    from gql_crm.models.clients import Client


class DealStage(StrEnum):
    LEAD = "LEAD"
    QUALIFIED = "QUALIFIED"
    PROPOSAL = "PROPOSAL"
    NEGOTIATION = "NEGOTIATION"
    WON = "WON"
    LOST = "LOST"


class QuoteStatus(StrEnum):
    """Stored states. EXPIRED is derived from valid_until, never stored."""

    DRAFT = "DRAFT"
    SENT = "SENT"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"


class Deal(ClientRecord):
    client: fields.ForeignKeyRelation["Client"] = fields.ForeignKeyField(
        "models.Client", related_name=False
    )
    client_id: int
    title = fields.CharField(max_length=300)
    value = money_field()
    currency = currency_field()
    stage = fields.CharEnumField(DealStage, max_length=16, default=DealStage.LEAD)
    expected_close_date = fields.DateField(null=True)
    closed_at = fields.DatetimeField(null=True)
    # The last close undone by moving the deal back to an open stage: a WON deal's amount
    # and date stay on record after it is reopened.
    previous_close_stage = fields.CharEnumField(DealStage, max_length=16, null=True)
    previous_closed_at = fields.DatetimeField(null=True)
    previous_close_value = fields.DecimalField(max_digits=18, decimal_places=2, null=True)
    reopened_at = fields.DatetimeField(null=True)
    owner: fields.ForeignKeyNullableRelation["User"] = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    owner_id: int | None
    # Percent, 0 to 100; null while nobody has estimated it.
    probability = fields.SmallIntField(null=True)
    # value x probability / 100 to the cent, kept beside them so the summary sums it exactly
    # (SQLite holds decimals as text: it cannot multiply them exactly in a query).
    weighted_value = fields.DecimalField(max_digits=18, decimal_places=2, null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        indexes = (Index(fields=("client_id", "stage")),)


class Quote(ClientRecord):
    client: fields.ForeignKeyRelation["Client"] = fields.ForeignKeyField(
        "models.Client", related_name=False
    )
    client_id: int
    deal: fields.ForeignKeyNullableRelation["Deal"] = fields.ForeignKeyField(
        "models.Deal", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    deal_id: int | None
    number = fields.CharField(max_length=50)
    status = fields.CharEnumField(QuoteStatus, max_length=16, default=QuoteStatus.DRAFT)
    valid_until = fields.DateField(null=True)
    currency = currency_field()
    subtotal = money_field()
    tax_total = money_field()
    total = money_field()
    sent_at = fields.DatetimeField(null=True)
    accepted_at = fields.DatetimeField(null=True)
    declined_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        unique_together = (("organization", "number"),)
        # A deal's quotes are listed and counted by deal and organization (Deal.quotes):
        # SQLite, with no statistics, chose the organization's own index for the pair
        # (every quote of the organization, per deal) unless one index has both.
        indexes = (
            Index(fields=("client_id", "status")),
            Index(fields=("deal_id", "organization_id", "id")),
        )


class QuoteLine(DocumentLine):
    quote: fields.ForeignKeyRelation["Quote"] = fields.ForeignKeyField(
        "models.Quote", related_name=False
    )
    quote_id: int

    class Meta:
        # Lines are read by their document (Quote.lines) and deleted with it.
        indexes = (Index(fields=("quote_id", "id")),)
