from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from gql_crm.models.imports import ImportJobStatus


class Migration(migrations.Migration):
    dependencies = [("models", "0006_deal_previous_close")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ImportUndo",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "organization",
                    fields.ForeignKeyField(
                        "models.Organization",
                        source_field="organization_id",
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "job",
                    fields.OneToOneField(
                        "models.ImportJob",
                        source_field="job_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "created_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="created_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("total_items", fields.IntField(default=0)),
                ("processed_items", fields.IntField(default=0)),
                ("removed_clients", fields.IntField(default=0)),
                ("removed_companies", fields.IntField(default=0)),
                ("restored_clients", fields.IntField(default=0)),
                ("restored_companies", fields.IntField(default=0)),
                ("kept_clients", fields.IntField(default=0)),
                ("kept_companies", fields.IntField(default=0)),
                ("conflicts", fields.IntField(default=0)),
                ("cursor", fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                (
                    "finished_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "importundo",
                "app": "models",
                "pk_attr": "id",
                "table_description": "The undo of a SUCCEEDED import: its progress and what it did.",
            },
            bases=["OrgScoped"],
        ),
        ops.CreateModel(
            name="ImportUndoIssue",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "organization",
                    fields.ForeignKeyField(
                        "models.Organization",
                        source_field="organization_id",
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "job",
                    fields.ForeignKeyField(
                        "models.ImportJob",
                        source_field="job_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("reason", fields.CharField(max_length=32)),
                ("target_type", fields.CharField(max_length=50)),
                ("target_id", fields.IntField()),
                ("client_id", fields.IntField(null=True)),
                ("field", fields.CharField(null=True, max_length=100)),
            ],
            options={
                "table": "importundoissue",
                "app": "models",
                "indexes": [Index(fields=["job_id", "id"])],
                "pk_attr": "id",
                "table_description": "What an undo left as it was, and why: a created client kept, a field not restored.",
            },
            bases=["OrgScoped"],
        ),
        ops.AlterField(
            model_name="ImportJob",
            name="status",
            field=fields.CharEnumField(
                default=ImportJobStatus.QUEUED,
                description="QUEUED: QUEUED\nRUNNING: RUNNING\nSUCCEEDED: SUCCEEDED\nFAILED: FAILED\nCANCELED: CANCELED\nUNDOING: UNDOING\nUNDONE: UNDONE",
                enum_type=ImportJobStatus,
                max_length=16,
            ),
        ),
    ]
