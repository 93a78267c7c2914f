from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from gql_crm.models.deals import DealStage


class Migration(migrations.Migration):
    dependencies = [("models", "0005_client_search")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Deal",
            name="previous_close_stage",
            field=fields.CharEnumField(
                null=True,
                description="LEAD: LEAD\nQUALIFIED: QUALIFIED\nPROPOSAL: PROPOSAL\nNEGOTIATION: NEGOTIATION\nWON: WON\nLOST: LOST",
                enum_type=DealStage,
                max_length=16,
            ),
        ),
        ops.AddField(
            model_name="Deal",
            name="previous_close_value",
            field=fields.DecimalField(null=True, max_digits=18, decimal_places=2),
        ),
        ops.AddField(
            model_name="Deal",
            name="previous_closed_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="Deal",
            name="reopened_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
