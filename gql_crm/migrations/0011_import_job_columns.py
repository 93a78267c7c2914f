"""ImportJob.options held the user's options, the file's kind and the job's owner (a process,
or the queue engine) in one JSON object; the kind and the owner get columns of their own,
and `options` keeps only what the user asked for. `heartbeat_at` starts as the job's last
write (`updated_at`), which is what served as its heartbeat until now.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

POSTGRES_FORWARD = """
UPDATE "importjob" SET
    "file_format" = COALESCE("options"->>'format', 'CSV'),
    "file_encoding" = "options"->>'encoding',
    "file_delimiter" = "options"->>'delimiter',
    "header_row" = COALESCE(("options"->>'header_row')::int, 1),
    "owner_host" = "options"->'owner'->>'host',
    "owner_pid" = ("options"->'owner'->>'pid')::int,
    "queue_engine" = "options"->'owner'->>'queue',
    "heartbeat_at" = "updated_at",
    "options" = "options" - ARRAY['format', 'encoding', 'delimiter', 'header_row', 'owner']
"""
POSTGRES_BACKWARD = """
UPDATE "importjob" SET "options" = "options" || jsonb_build_object(
    'format', "file_format",
    'encoding', "file_encoding",
    'delimiter', "file_delimiter",
    'header_row', "header_row",
    'owner', CASE WHEN "queue_engine" IS NULL
        THEN jsonb_build_object('host', "owner_host", 'pid', "owner_pid")
        ELSE jsonb_build_object('queue', "queue_engine") END
)
"""
SQLITE_FORWARD = """
UPDATE "importjob" SET
    "file_format" = COALESCE(json_extract("options", '$.format'), 'CSV'),
    "file_encoding" = json_extract("options", '$.encoding'),
    "file_delimiter" = json_extract("options", '$.delimiter'),
    "header_row" = COALESCE(json_extract("options", '$.header_row'), 1),
    "owner_host" = json_extract("options", '$.owner.host'),
    "owner_pid" = json_extract("options", '$.owner.pid'),
    "queue_engine" = json_extract("options", '$.owner.queue'),
    "heartbeat_at" = "updated_at",
    "options" = json_remove(
        "options", '$.format', '$.encoding', '$.delimiter', '$.header_row', '$.owner'
    )
"""
SQLITE_BACKWARD = """
UPDATE "importjob" SET "options" = json_set(
    "options",
    '$.format', "file_format",
    '$.encoding', "file_encoding",
    '$.delimiter', "file_delimiter",
    '$.header_row', "header_row",
    '$.owner', CASE WHEN "queue_engine" IS NULL
        THEN json_object('host', "owner_host", 'pid', "owner_pid")
        ELSE json_object('queue', "queue_engine") END
)
"""


def _per_dialect(postgres: str, sqlite: str):
    async def run(apps, schema_editor) -> None:
        client = schema_editor.client
        await client.execute_script(
            postgres if client.capabilities.dialect == "postgres" else sqlite
        )

    return run


class Migration(migrations.Migration):
    dependencies = [("models", "0010_task_priority_project_rate")]

    initial = False

    operations = [
        ops.AddField(
            model_name="ImportJob",
            name="file_format",
            field=fields.CharField(db_default="CSV", max_length=4),
        ),
        ops.AddField(
            model_name="ImportJob",
            name="file_encoding",
            field=fields.CharField(null=True, max_length=40),
        ),
        ops.AddField(
            model_name="ImportJob",
            name="file_delimiter",
            field=fields.CharField(null=True, max_length=1),
        ),
        ops.AddField(
            model_name="ImportJob",
            name="header_row",
            field=fields.IntField(db_default=1),
        ),
        ops.AddField(
            model_name="ImportJob",
            name="owner_host",
            field=fields.CharField(null=True, max_length=255),
        ),
        ops.AddField(
            model_name="ImportJob",
            name="owner_pid",
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name="ImportJob",
            name="queue_engine",
            field=fields.CharField(null=True, max_length=32),
        ),
        ops.AddField(
            model_name="ImportJob",
            name="heartbeat_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.RunPython(
            _per_dialect(POSTGRES_FORWARD, SQLITE_FORWARD),
            _per_dialect(POSTGRES_BACKWARD, SQLITE_BACKWARD),
        ),
    ]
