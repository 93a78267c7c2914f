"""The indexes an import probes once per key lead with the key: the active email's (still
unique per organization) and the company's tax ID and name key.

Led by the organization, each probe could be planned as a walk of the organization's rows
through any index that starts with it: PostgreSQL did so whenever its statistics were older
than the organization's growth (an import into a new organization, autovacuum off or late),
47 s for one batch of 1,000 emails at 200,000 clients. The import's probe names only the key
(imports/writer.select_in) and checks the organization on the row found, so these are the
only indexes it can use. Equality look-ups by both columns use them as before.

Rebuilt in the migration's transaction: writes to the tables wait for it. SQLite keeps the
email's unique constraint as it was: written into its CREATE TABLE, it could only change
with the table rebuilt, and SQLite, with no statistics, plans the import's look-up of emails
(an IN list) with it all the same.
"""

from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import UniqueConstraint

from gql_crm.migrations import OnPostgresOnly


class Migration(migrations.Migration):
    dependencies = [("models", "0020_quote_deal_organization_index")]

    initial = False

    operations = [
        OnPostgresOnly(
            ops.RemoveConstraint(
                model_name="Client", name=None, fields=["organization", "active_email_key"]
            )
        ),
        OnPostgresOnly(
            ops.AddConstraint(
                model_name="Client",
                constraint=UniqueConstraint(fields=("active_email_key", "organization"), name=None),
            )
        ),
        ops.RemoveIndex(
            model_name="Company",
            name=None,
            fields=["organization_id", "tax_id"],
        ),
        ops.RemoveIndex(
            model_name="Company",
            name=None,
            fields=["organization_id", "name_key"],
        ),
        ops.AddIndex(
            model_name="Company",
            index=Index(fields=["tax_id", "organization_id"]),
        ),
        ops.AddIndex(
            model_name="Company",
            index=Index(fields=["name_key", "organization_id"]),
        ),
    ]
