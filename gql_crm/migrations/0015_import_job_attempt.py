"""ImportJob.attempt: the fencing token of the job's runner (services/imports/jobs.py). Jobs
that exist already start at 0, as a new job does."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0014_client_search_trigram_statistics")]

    initial = False

    operations = [
        ops.AddField(
            model_name="ImportJob",
            name="attempt",
            field=fields.IntField(default=0, db_default=0),
        ),
    ]
