"""A task's status change is recorded as `updated` (its `changes` name the status), as every
other field change; it was written as `status_changed`, a verb ActivityVerb does not have,
which broke every activity page holding one. And an index on a quote's deal, for a deal's
quotes and their count."""

from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0015_import_job_attempt")]

    initial = False

    operations = [
        ops.RunSQL(
            'UPDATE "activity" SET "verb" = \'updated\' WHERE "verb" = \'status_changed\'',
            # `updated` is a valid verb for the older code too.
            reverse_sql=ops.RunSQL.noop,
        ),
        ops.AddIndex(model_name="Quote", index=Index(fields=["deal_id", "id"])),
    ]
