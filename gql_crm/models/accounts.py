from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Role(StrEnum):
    """Ordered from least to most powerful: each role can do what the ones before it can."""

    VIEWER = "VIEWER"
    MEMBER = "MEMBER"
    MANAGER = "MANAGER"
    ADMIN = "ADMIN"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


class Organization(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    slug = fields.CharField(max_length=64, unique=True)
    timezone = fields.CharField(max_length=64, default="Europe/Madrid")
    default_country = fields.CharField(max_length=2, null=True)
    default_currency = fields.CharField(max_length=3, default="EUR")
    created_at = fields.DatetimeField(auto_now_add=True)


class User(Model):
    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation["Organization"] = fields.ForeignKeyField(
        "models.Organization", related_name=False
    )
    organization_id: int
    email = fields.CharField(max_length=254)
    role = fields.CharEnumField(Role, max_length=16, default=Role.VIEWER)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        unique_together = (("organization", "email"),)


class ApiToken(Model):
    """Only the SHA-256 of a token is stored: a leaked database does not leak credentials."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation["Organization"] = fields.ForeignKeyField(
        "models.Organization", related_name=False
    )
    organization_id: int
    user: fields.ForeignKeyRelation["User"] = fields.ForeignKeyField(
        "models.User", related_name=False
    )
    user_id: int
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)
