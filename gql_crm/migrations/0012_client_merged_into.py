"""Client.merged_into: the client a merged-away client was merged into (mergeClients)."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0011_import_job_columns")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Client",
            name="merged_into",
            field=fields.ForeignKeyField(
                "models.Client",
                source_field="merged_into_id",
                null=True,
                db_index=True,
                db_constraint=True,
                to_field="id",
                related_name=False,
                on_delete=OnDelete.SET_NULL,
            ),
        ),
    ]
