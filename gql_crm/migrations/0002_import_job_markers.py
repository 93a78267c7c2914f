from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Activity",
            name="import_job",
            field=fields.ForeignKeyField(
                "models.ImportJob",
                source_field="import_job_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name=False,
                on_delete=OnDelete.SET_NULL,
            ),
        ),
        ops.AddIndex(
            model_name="Activity",
            index=Index(fields=["import_job_id", "verb"]),
        ),
        ops.AddField(
            model_name="Client",
            name="import_job",
            field=fields.ForeignKeyField(
                "models.ImportJob",
                source_field="import_job_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name=False,
                on_delete=OnDelete.SET_NULL,
            ),
        ),
        ops.AddIndex(
            model_name="Client",
            index=Index(fields=["organization_id", "company_id"]),
        ),
        ops.AddField(
            model_name="Company",
            name="import_job",
            field=fields.ForeignKeyField(
                "models.ImportJob",
                source_field="import_job_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name=False,
                on_delete=OnDelete.SET_NULL,
            ),
        ),
    ]
