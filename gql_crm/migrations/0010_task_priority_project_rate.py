from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from gql_crm.models.projects import TaskPriority


class Migration(migrations.Migration):
    dependencies = [("models", "0009_invoice_paid_purchase_order_lines")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Project",
            name="hourly_rate",
            field=fields.DecimalField(null=True, max_digits=18, decimal_places=2),
        ),
        ops.AddField(
            model_name="Task",
            name="priority",
            field=fields.IntEnumField(
                default=TaskPriority.NORMAL,
                description="LOW: 1\nNORMAL: 2\nHIGH: 3\nURGENT: 4",
                enum_type=TaskPriority,
                generated=False,
            ),
        ),
    ]
