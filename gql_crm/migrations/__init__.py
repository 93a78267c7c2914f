"""Tortoise's migrations of the models, and what several of them share."""


def on_postgres(statements: list[str]):
    """A RunPython step that runs `statements` on PostgreSQL and nothing on SQLite."""

    async def run(apps, schema_editor) -> None:
        client = schema_editor.client
        if client.capabilities.dialect == "postgres":
            for statement in statements:
                await client.execute_script(statement)

    return run
