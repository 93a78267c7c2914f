from tortoise import fields
from tortoise.indexes import Index

from gql_crm.models.base import OrgScoped


class Activity(OrgScoped):
    """One entry of a client's history: who did what to which record, and what changed."""

    client = fields.ForeignKeyField(
        "models.Client", related_name=False, null=True, on_delete=fields.CASCADE
    )
    actor = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    verb = fields.CharField(max_length=50)
    target_type = fields.CharField(max_length=50)
    target_id = fields.IntField()
    # {"field": {"old": ..., "new": ...}} with JSON-safe values.
    changes = fields.JSONField(default=dict)
    # Set on the entries an import wrote: a dead import is rolled back from them.
    import_job = fields.ForeignKeyField(
        "models.ImportJob", related_name=False, null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        indexes = (
            Index(fields=("client_id", "created_at")),
            Index(fields=("import_job_id", "verb")),
        )
