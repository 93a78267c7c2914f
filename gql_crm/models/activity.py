from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.indexes import Index

from gql_crm.models.base import OrgScoped

if TYPE_CHECKING:
    from gql_crm.models.accounts import User
    from gql_crm.models.clients import Client
    from gql_crm.models.imports import ImportJob


class Activity(OrgScoped):
    """One entry of a client's history: who did what to which record, and what changed."""

    client: fields.ForeignKeyNullableRelation["Client"] = fields.ForeignKeyField(
        "models.Client", related_name=False, null=True, on_delete=fields.CASCADE
    )
    client_id: int | None
    actor: fields.ForeignKeyNullableRelation["User"] = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    actor_id: int | None
    verb = fields.CharField(max_length=50)
    target_type = fields.CharField(max_length=50)
    target_id = fields.IntField()
    # {"field": {"old": ..., "new": ...}} with JSON-safe values.
    changes: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    # Set on the entries an import wrote: a dead import is rolled back from them.
    import_job: fields.ForeignKeyNullableRelation["ImportJob"] = fields.ForeignKeyField(
        "models.ImportJob", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    import_job_id: int | None

    class Meta:
        indexes = (
            Index(fields=("client_id", "created_at")),
            Index(fields=("import_job_id", "verb")),
        )
