from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0007_import_undo")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Deal",
            name="owner",
            field=fields.ForeignKeyField(
                "models.User",
                source_field="owner_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name=False,
                on_delete=OnDelete.SET_NULL,
            ),
        ),
        ops.AddField(
            model_name="Deal",
            name="probability",
            field=fields.SmallIntField(null=True),
        ),
        ops.AddField(
            model_name="Deal",
            name="weighted_value",
            field=fields.DecimalField(null=True, max_digits=18, decimal_places=2),
        ),
        ops.AddField(
            model_name="Quote",
            name="accepted_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="Quote",
            name="declined_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="Quote",
            name="sent_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
