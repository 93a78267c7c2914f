from decimal import Decimal

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0008_deal_owner_quote_dates")]

    initial = False

    operations = [
        ops.CreateModel(
            name="PurchaseOrderLine",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "organization",
                    fields.ForeignKeyField(
                        "models.Organization",
                        source_field="organization_id",
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("position", fields.IntField()),
                ("description", fields.CharField(max_length=500)),
                ("quantity", fields.DecimalField(max_digits=14, decimal_places=4)),
                ("unit_price", fields.DecimalField(max_digits=18, decimal_places=4)),
                (
                    "tax_rate",
                    fields.DecimalField(description="percent", max_digits=6, decimal_places=3),
                ),
                (
                    "subtotal",
                    fields.DecimalField(default=Decimal("0"), max_digits=18, decimal_places=2),
                ),
                ("tax", fields.DecimalField(default=Decimal("0"), max_digits=18, decimal_places=2)),
                (
                    "total",
                    fields.DecimalField(default=Decimal("0"), max_digits=18, decimal_places=2),
                ),
                (
                    "purchase_order",
                    fields.ForeignKeyField(
                        "models.PurchaseOrder",
                        source_field="purchase_order_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
            ],
            options={"table": "purchaseorderline", "app": "models", "pk_attr": "id"},
            bases=["DocumentLine"],
        ),
        ops.AddField(
            model_name="Invoice",
            name="paid_at",
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name="PurchaseOrder",
            name="expected_delivery_date",
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name="PurchaseOrder",
            name="subtotal",
            field=fields.DecimalField(null=True, max_digits=18, decimal_places=2),
        ),
        ops.AddField(
            model_name="PurchaseOrder",
            name="tax_total",
            field=fields.DecimalField(null=True, max_digits=18, decimal_places=2),
        ),
    ]
