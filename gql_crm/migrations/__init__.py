"""Tortoise's migrations of the models, and what several of them share."""

from tortoise.migrations import operations as ops


def on_postgres(statements: list[str]):
    """A RunPython step that runs `statements` on PostgreSQL and nothing on SQLite."""

    async def run(apps, schema_editor) -> None:
        client = schema_editor.client
        if client.capabilities.dialect == "postgres":
            for statement in statements:
                await client.execute_script(statement)

    return run


class OnPostgresOnly(ops.TortoiseOperation):
    """`operation`'s change of the models' state everywhere, of the schema on PostgreSQL
    only: for a schema change SQLite cannot make in place (a unique constraint written into
    its CREATE TABLE) and has no need of."""

    def __init__(self, operation: ops.TortoiseOperation) -> None:
        self.operation = operation

    def describe(self) -> str:
        return f"{self.operation.describe()} (PostgreSQL only)"

    def state_forward(self, app_label: str, state) -> None:
        self.operation.state_forward(app_label, state)

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor is not None and state_editor.client.capabilities.dialect == "postgres":
            await self.operation.database_forward(app_label, old_state, new_state, state_editor)

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor is not None and state_editor.client.capabilities.dialect == "postgres":
            await self.operation.database_backward(app_label, old_state, new_state, state_editor)
