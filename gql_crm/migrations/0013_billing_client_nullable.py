"""Invoices and purchase orders outlive their client: `client_id` may be NULL (an erased
client's are kept, detached) and deleting a client sets it NULL instead of deleting them.

Tortoise's AlterField cannot do this faithfully: on SQLite it rebuilds the table without its
unique constraint and indexes, on PostgreSQL it leaves the foreign key's ON DELETE as it was.
So the state is Tortoise's and the schema change is written here, per dialect. SQLite edits
the table's declaration in place, the procedure SQLite documents for changes that leave the
stored rows as they are (dropping NOT NULL, changing a foreign key's action): a rebuild
would have to copy every invoice with foreign keys off.
"""

from typing import Any

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

TABLES = ("invoice", "purchaseorder")
SQLITE_BEFORE = '"client_id" INT NOT NULL REFERENCES "client" ("id") ON DELETE CASCADE'
SQLITE_AFTER = '"client_id" INT REFERENCES "client" ("id") ON DELETE SET NULL'


class AlterFieldState(ops.AlterField):
    """AlterField's new state only; the RunPython beside it changes the database."""

    async def database_forward(self, *args, **kwargs) -> None:
        return None

    async def database_backward(self, *args, **kwargs) -> None:
        return None


def _postgres(nullable: bool) -> list[str]:
    statements = []
    for table in TABLES:
        statements += [
            f'ALTER TABLE "{table}" ALTER COLUMN "client_id" '
            + ("DROP NOT NULL" if nullable else "SET NOT NULL"),
            f'ALTER TABLE "{table}" DROP CONSTRAINT "{table}_client_id_fkey"',
            f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_client_id_fkey" FOREIGN KEY '
            f'("client_id") REFERENCES "client" ("id") ON DELETE '
            + ("SET NULL" if nullable else "CASCADE"),
        ]
    return statements


def _sqlite(before: str, after: str) -> list[str]:
    names = ", ".join(f"'{table}'" for table in TABLES)
    return [
        "PRAGMA writable_schema = ON",
        f"UPDATE sqlite_master SET sql = replace(sql, '{before}', '{after}') "
        f"WHERE type = 'table' AND name IN ({names})",
        "PRAGMA writable_schema = OFF",
    ]


def _migrate(nullable: bool):
    async def run(apps, schema_editor) -> None:
        client = schema_editor.client
        if client.capabilities.dialect == "postgres":
            statements = _postgres(nullable)
        else:
            before, after = (
                (SQLITE_BEFORE, SQLITE_AFTER) if nullable else (SQLITE_AFTER, SQLITE_BEFORE)
            )
            statements = _sqlite(before, after)
            # The connection reads the edited declarations again once the version moves.
            version = (await client.execute_query_dict("PRAGMA schema_version"))[0]
            statements.append(f"PRAGMA schema_version = {next(iter(version.values())) + 1}")
        for statement in statements:
            await client.execute_script(statement)
        if client.capabilities.dialect == "sqlite":
            declared = await client.execute_query_dict(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name IN (?, ?)",
                list(TABLES),
            )
            expected = SQLITE_AFTER if nullable else SQLITE_BEFORE
            if not all(expected in row["sql"] for row in declared):
                raise RuntimeError("the invoice tables are not declared as this migration expects")

    return run


def _nullable_client() -> fields.ForeignKeyNullableRelation[Any]:
    return fields.ForeignKeyField(
        "models.Client",
        source_field="client_id",
        null=True,
        db_constraint=True,
        to_field="id",
        related_name=False,
        on_delete=OnDelete.SET_NULL,
    )


class Migration(migrations.Migration):
    dependencies = [("models", "0012_client_merged_into")]

    initial = False

    operations = [
        ops.RunPython(_migrate(nullable=True), _migrate(nullable=False)),
        AlterFieldState(model_name="Invoice", name="client", field=_nullable_client()),
        AlterFieldState(model_name="PurchaseOrder", name="client", field=_nullable_client()),
    ]
