"""On PostgreSQL the clients' creation-date index (organization, status, created_at) also
holds the id, as a key, and the folded `search_text`, as a payload, so that a search whose
words are each common (`lucia nunez`: 5% and 9% of the rows, 0.4% together) walks it
without reading the table: the page is the first 50 rows of that walk that hold every word,
14,500 rows checked at 1,000,000 clients. Read through the table, each of those rows cost
a heap fetch and the unpacking of the 13 columns before `search_text`; read from the index
(an index-only scan, once VACUUM has marked the pages all-visible) the walk took 9-10 ms
instead of 14-16 in the same session. The trigram index cannot serve such a page: it reads
3,636 matches scattered over the table and sorts them (40 ms).

The index keeps its name and its leading columns, so everything that used it still does;
it is rebuilt in place, in the migration's transaction (writes to the clients wait for it:
7 s at 1,000,000 clients). SQLite keeps the plain index (it has no INCLUDE, and its FTS5
table serves the search).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

from gql_crm.migrations import on_postgres

# Tortoise's name for the model's Index(fields=("organization_id", "status", "created_at")),
# created by migration 0001.
INDEX = "idx_client_organiz_831c60"

POSTGRES_FORWARD = [
    f'DROP INDEX "{INDEX}"',
    f'CREATE INDEX "{INDEX}" ON "client" ("organization_id", "status", "created_at", "id") '
    'INCLUDE ("search_text")',
]
POSTGRES_BACKWARD = [
    f'DROP INDEX "{INDEX}"',
    f'CREATE INDEX "{INDEX}" ON "client" ("organization_id", "status", "created_at")',
]


class Migration(migrations.Migration):
    dependencies = [("models", "0018_client_counts")]

    initial = False

    operations = [
        ops.RunPython(on_postgres(POSTGRES_FORWARD), on_postgres(POSTGRES_BACKWARD)),
    ]
