from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0003_import_indexes")]

    initial = False

    operations = [
        ops.CreateModel(
            name="PersistedQuery",
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
                ("sha256", fields.CharField(max_length=64)),
                ("query", fields.TextField(unique=False)),
            ],
            options={
                "table": "persistedquery",
                "app": "models",
                "unique_together": (("organization_id", "sha256"),),
                "pk_attr": "id",
                "table_description": "A GraphQL document an organization's client registered under its SHA-256 hash",
            },
            bases=["OrgScoped"],
        ),
    ]
