"""The number of clients of each organization and status, kept by the database itself
(PostgreSQL), so that the total of the plain clients list is a sum over a few rows instead
of a count over every client (services/client_counts.py).

A statement that inserts, updates or deletes clients adds one row per organization and
status it changed, with the difference (statement triggers over transition tables: one row
for an import batch of 1,000 clients). Writers only ever add rows, so they never wait for
each other on a counter; `client_counts.compact` folds the rows into one per organization
and status. No foreign key to the organization: deleting one deletes its clients, whose
trigger then adds the rows that bring its total back to 0, which compaction drops.

The existing clients are counted under a lock that keeps writers out until the migration
commits, so no change falls between the count and the triggers.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

from gql_crm.migrations import on_postgres

_ADD = """
INSERT INTO "client_count" ("organization_id", "status", "delta")
SELECT "organization_id", "status", sum("delta") FROM ({rows}) "changed"
GROUP BY "organization_id", "status" HAVING sum("delta") <> 0
"""
_INSERTED = 'SELECT "organization_id", "status", 1 AS "delta" FROM "inserted"'
_DELETED = 'SELECT "organization_id", "status", -1 AS "delta" FROM "deleted"'

POSTGRES_FORWARD = [
    'LOCK TABLE "client" IN SHARE ROW EXCLUSIVE MODE',
    """CREATE TABLE "client_count" (
        "organization_id" INT NOT NULL,
        "status" VARCHAR(16) NOT NULL,
        "delta" BIGINT NOT NULL
    )""",
    'CREATE INDEX "client_count_organization_status" ON "client_count" '
    '("organization_id", "status") INCLUDE ("delta")',
    f"""CREATE FUNCTION "client_count_inserted"() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {_ADD.format(rows=_INSERTED)}; RETURN NULL; END $$""",
    f"""CREATE FUNCTION "client_count_deleted"() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {_ADD.format(rows=_DELETED)}; RETURN NULL; END $$""",
    f"""CREATE FUNCTION "client_count_updated"() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {_ADD.format(rows=f"{_INSERTED} UNION ALL {_DELETED}")}; RETURN NULL; END $$""",
    # One trigger per event: a trigger with transition tables may have only one.
    'CREATE TRIGGER "client_count_inserted" AFTER INSERT ON "client" '
    'REFERENCING NEW TABLE AS "inserted" '
    'FOR EACH STATEMENT EXECUTE FUNCTION "client_count_inserted"()',
    'CREATE TRIGGER "client_count_deleted" AFTER DELETE ON "client" '
    'REFERENCING OLD TABLE AS "deleted" '
    'FOR EACH STATEMENT EXECUTE FUNCTION "client_count_deleted"()',
    'CREATE TRIGGER "client_count_updated" AFTER UPDATE ON "client" '
    'REFERENCING OLD TABLE AS "deleted" NEW TABLE AS "inserted" '
    'FOR EACH STATEMENT EXECUTE FUNCTION "client_count_updated"()',
    'INSERT INTO "client_count" ("organization_id", "status", "delta") '
    'SELECT "organization_id", "status", count(*) FROM "client" '
    'GROUP BY "organization_id", "status"',
]
POSTGRES_BACKWARD = [
    'DROP TRIGGER "client_count_inserted" ON "client"',
    'DROP TRIGGER "client_count_deleted" ON "client"',
    'DROP TRIGGER "client_count_updated" ON "client"',
    'DROP FUNCTION "client_count_inserted"()',
    'DROP FUNCTION "client_count_deleted"()',
    'DROP FUNCTION "client_count_updated"()',
    'DROP TABLE "client_count"',
]


class Migration(migrations.Migration):
    dependencies = [("models", "0017_foreign_key_indexes")]

    initial = False

    operations = [
        ops.RunPython(on_postgres(POSTGRES_FORWARD), on_postgres(POSTGRES_BACKWARD)),
    ]
