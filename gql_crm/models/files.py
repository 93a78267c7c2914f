from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index

from gql_crm.models.base import OrgScoped

if TYPE_CHECKING:
    from gql_crm.models.accounts import User
    from gql_crm.models.clients import Client


class FilePurpose(StrEnum):
    ATTACHMENT = "ATTACHMENT"
    PHOTO = "PHOTO"
    PHOTO_THUMBNAIL = "PHOTO_THUMBNAIL"


class File(OrgScoped):
    """A stored blob's metadata. Bytes live in storage under `storage_key` (the content hash).

    A client's photo is its newest non-deleted PHOTO file (and PHOTO_THUMBNAIL beside it),
    which keeps clients and files free of a foreign-key cycle.
    """

    client: fields.ForeignKeyNullableRelation["Client"] = fields.ForeignKeyField(
        "models.Client", related_name=False, null=True, on_delete=fields.CASCADE
    )
    client_id: int | None
    purpose = fields.CharEnumField(FilePurpose, max_length=20, default=FilePurpose.ATTACHMENT)
    name = fields.CharField(max_length=255, description="sanitized original file name")
    description = fields.TextField(default="")
    size = fields.BigIntField()
    content_type = fields.CharField(max_length=127)
    sha256 = fields.CharField(max_length=64)
    storage_key = fields.CharField(max_length=200)
    uploaded_by: fields.ForeignKeyNullableRelation["User"] = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    uploaded_by_id: int | None
    width = fields.IntField(null=True)
    height = fields.IntField(null=True)
    deleted_at = fields.DatetimeField(null=True)

    class Meta:
        indexes = (Index(fields=("client_id", "purpose", "created_at")),)
