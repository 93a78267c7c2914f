"""Indexes the clients' folded `search_text` for substring search (the list's `search`).

PostgreSQL: a pg_trgm GIN index serves `search_text LIKE '%term%'` as it is.
SQLite: an FTS5 trigram table over the same column. It is kept in sync by triggers, not by
the services, so that every writer (the client mutations, the company refresh, the import's
batches, an import's roll-back, a cascade from a deleted organization) updates it without
knowing it exists. Neither index can serve a term of fewer than 3 characters; the search
condition (services.clients.search_condition) scans for those.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    'CREATE INDEX "client_search_text_trgm" ON "client" USING gin ("search_text" gin_trgm_ops)',
]
POSTGRES_BACKWARD = ['DROP INDEX IF EXISTS "client_search_text_trgm"']

SQLITE_FORWARD = [
    # External content: the text stays in "client" only; the table holds just the index.
    """CREATE VIRTUAL TABLE "client_search" USING fts5(
        search_text, content='client', content_rowid='id', tokenize='trigram'
    )""",
    """CREATE TRIGGER "client_search_insert" AFTER INSERT ON "client" BEGIN
        INSERT INTO "client_search"(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    """CREATE TRIGGER "client_search_delete" AFTER DELETE ON "client" BEGIN
        INSERT INTO "client_search"("client_search", rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    END""",
    # A save rewrites every column; only a changed text needs re-indexing.
    """CREATE TRIGGER "client_search_update" AFTER UPDATE OF search_text ON "client"
    WHEN old.search_text IS NOT new.search_text BEGIN
        INSERT INTO "client_search"("client_search", rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
        INSERT INTO "client_search"(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    """INSERT INTO "client_search"("client_search") VALUES ('rebuild')""",
]
SQLITE_BACKWARD = [
    'DROP TRIGGER IF EXISTS "client_search_insert"',
    'DROP TRIGGER IF EXISTS "client_search_delete"',
    'DROP TRIGGER IF EXISTS "client_search_update"',
    'DROP TABLE IF EXISTS "client_search"',
]


def _per_dialect(postgres: list[str], sqlite: list[str]):
    async def run(apps, schema_editor) -> None:
        client = schema_editor.client
        statements = postgres if client.capabilities.dialect == "postgres" else sqlite
        for statement in statements:
            await client.execute_script(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("models", "0004_persisted_queries")]

    initial = False

    operations = [
        ops.RunPython(
            _per_dialect(POSTGRES_FORWARD, SQLITE_FORWARD),
            _per_dialect(POSTGRES_BACKWARD, SQLITE_BACKWARD),
        ),
    ]
