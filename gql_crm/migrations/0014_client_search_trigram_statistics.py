"""Statistics on the trigrams of the clients' `search_text` (PostgreSQL), which tell the
search which trigrams most rows hold, so that it looks up the rarer part of a word in the
trigram index (services/trigrams.py). ANALYZE gathers them, with the table's own; the
first one runs here, so a database migrated with its rows has them at once.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

from gql_crm.migrations import on_postgres

POSTGRES_FORWARD = [
    'CREATE STATISTICS "client_search_trigrams" ON (show_trgm("search_text")) FROM "client"',
    'ANALYZE "client"',
]
POSTGRES_BACKWARD = ['DROP STATISTICS IF EXISTS "client_search_trigrams"']


class Migration(migrations.Migration):
    dependencies = [("models", "0013_billing_client_nullable")]

    initial = False

    operations = [
        ops.RunPython(on_postgres(POSTGRES_FORWARD), on_postgres(POSTGRES_BACKWARD)),
    ]
