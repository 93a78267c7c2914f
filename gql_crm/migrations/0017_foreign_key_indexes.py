"""Indexes on the foreign keys a parent is looked up or deleted by: a document's lines and
payments, a project's tasks, a task's time logs, and the clients of a company or merged into
a client (on PostgreSQL, deleting a parent checks its children; without an index that is a
scan of the child table per deleted row, minutes for an import's roll-back of 20,000 rows)."""

from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0016_task_status_verb_quote_deal_index")]

    initial = False

    operations = [
        ops.AddIndex(
            model_name="Client",
            index=Index(fields=["company_id"]),
        ),
        ops.AddIndex(
            model_name="Client",
            index=Index(fields=["merged_into_id"]),
        ),
        ops.AddIndex(
            model_name="InvoiceLine",
            index=Index(fields=["invoice_id", "id"]),
        ),
        ops.AddIndex(
            model_name="InvoicePayment",
            index=Index(fields=["invoice_id", "id"]),
        ),
        ops.AddIndex(
            model_name="PurchaseOrderLine",
            index=Index(fields=["purchase_order_id", "id"]),
        ),
        ops.AddIndex(
            model_name="QuoteLine",
            index=Index(fields=["quote_id", "id"]),
        ),
        ops.AddIndex(
            model_name="Task",
            index=Index(fields=["project_id"]),
        ),
        ops.AddIndex(
            model_name="TimeLog",
            index=Index(fields=["task_id"]),
        ),
    ]
