from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0002_import_job_markers")]

    initial = False

    operations = [
        ops.AddIndex(
            model_name="Client",
            index=Index(fields=["import_job_id", "id"]),
        ),
        ops.AddIndex(
            model_name="Company",
            index=Index(fields=["import_job_id", "id"]),
        ),
        ops.AddIndex(
            model_name="ImportRowError",
            index=Index(fields=["job_id", "row", "id"]),
        ),
    ]
