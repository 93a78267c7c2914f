import functools
from decimal import Decimal
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from gql_crm.models.accounts import Role
from gql_crm.models.billing import InvoiceKind, InvoiceStatus, PurchaseOrderStatus
from gql_crm.models.clients import ClientStatus, Gender
from gql_crm.models.deals import DealStage, QuoteStatus
from gql_crm.models.files import FilePurpose
from gql_crm.models.imports import ImportJobStatus
from gql_crm.models.projects import ProjectStatus, TaskStatus


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="Organization",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(max_length=200)),
                ("slug", fields.CharField(unique=True, max_length=64)),
                ("timezone", fields.CharField(default="Europe/Madrid", max_length=64)),
                ("default_country", fields.CharField(null=True, max_length=2)),
                ("default_currency", fields.CharField(default="EUR", max_length=3)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "organization", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ClientCategory",
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
                ("name", fields.CharField(max_length=100)),
                (
                    "name_key",
                    fields.CharField(description="casefolded, accent-free name", max_length=100),
                ),
            ],
            options={
                "table": "clientcategory",
                "app": "models",
                "unique_together": (("organization", "name_key"),),
                "pk_attr": "id",
            },
            bases=["OrgScoped"],
        ),
        ops.CreateModel(
            name="Company",
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
                ("name", fields.CharField(max_length=200)),
                (
                    "name_key",
                    fields.CharField(description="casefolded, accent-free name", max_length=200),
                ),
                ("legal_name", fields.CharField(null=True, max_length=200)),
                ("tax_id", fields.CharField(null=True, description="compact form", max_length=32)),
                ("website", fields.CharField(null=True, max_length=500)),
                ("office_phone", fields.CharField(null=True, description="E.164", max_length=20)),
                ("street", fields.CharField(null=True, max_length=300)),
                ("city", fields.CharField(null=True, max_length=100)),
                ("state", fields.CharField(null=True, max_length=100)),
                ("postal_code", fields.CharField(null=True, max_length=20)),
                ("country", fields.CharField(null=True, max_length=2)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "company",
                "app": "models",
                "indexes": [
                    Index(fields=["organization_id", "tax_id"]),
                    Index(fields=["organization_id", "name_key"]),
                ],
                "pk_attr": "id",
            },
            bases=["OrgScoped"],
        ),
        ops.CreateModel(
            name="Client",
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
                ("name", fields.CharField(max_length=200)),
                (
                    "name_key",
                    fields.CharField(description="casefolded, accent-free name", max_length=200),
                ),
                ("email", fields.CharField(null=True, max_length=254)),
                ("active_email_key", fields.CharField(null=True, max_length=254)),
                ("mobile", fields.CharField(null=True, description="E.164", max_length=20)),
                ("country", fields.CharField(null=True, max_length=2)),
                (
                    "gender",
                    fields.CharEnumField(
                        null=True,
                        description="FEMALE: FEMALE\nMALE: MALE\nOTHER: OTHER\nUNDISCLOSED: UNDISCLOSED",
                        enum_type=Gender,
                        max_length=16,
                    ),
                ),
                ("language", fields.CharField(null=True, max_length=2)),
                (
                    "category",
                    fields.ForeignKeyField(
                        "models.ClientCategory",
                        source_field="category_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "company",
                    fields.ForeignKeyField(
                        "models.Company",
                        source_field="company_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        default=ClientStatus.ACTIVE,
                        description="ACTIVE: ACTIVE\nARCHIVED: ARCHIVED",
                        enum_type=ClientStatus,
                        max_length=16,
                    ),
                ),
                ("search_text", fields.TextField(default="", unique=False)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "client",
                "app": "models",
                "unique_together": (("organization", "active_email_key"),),
                "indexes": [
                    Index(fields=["organization_id", "status", "created_at"]),
                    Index(fields=["organization_id", "status", "name_key"]),
                    Index(fields=["organization_id", "status", "updated_at"]),
                    Index(fields=["organization_id", "country"]),
                    Index(fields=["organization_id", "category_id"]),
                ],
                "pk_attr": "id",
            },
            bases=["OrgScoped"],
        ),
        ops.CreateModel(
            name="Deal",
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
                (
                    "client",
                    fields.ForeignKeyField(
                        "models.Client",
                        source_field="client_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("title", fields.CharField(max_length=300)),
                (
                    "value",
                    fields.DecimalField(default=Decimal("0"), max_digits=18, decimal_places=2),
                ),
                ("currency", fields.CharField(default="EUR", max_length=3)),
                (
                    "stage",
                    fields.CharEnumField(
                        default=DealStage.LEAD,
                        description="LEAD: LEAD\nQUALIFIED: QUALIFIED\nPROPOSAL: PROPOSAL\nNEGOTIATION: NEGOTIATION\nWON: WON\nLOST: LOST",
                        enum_type=DealStage,
                        max_length=16,
                    ),
                ),
                ("expected_close_date", fields.DateField(null=True)),
                ("closed_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "deal",
                "app": "models",
                "indexes": [Index(fields=["client_id", "stage"])],
                "pk_attr": "id",
            },
            bases=["OrgScoped"],
        ),
        ops.CreateModel(
            name="Invoice",
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
                (
                    "client",
                    fields.ForeignKeyField(
                        "models.Client",
                        source_field="client_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "kind",
                    fields.CharEnumField(
                        description="SALE: SALE\nPURCHASE: PURCHASE",
                        enum_type=InvoiceKind,
                        max_length=16,
                    ),
                ),
                ("number", fields.CharField(max_length=50)),
                (
                    "status",
                    fields.CharEnumField(
                        default=InvoiceStatus.DRAFT,
                        description="DRAFT: DRAFT\nAUTHORIZED: AUTHORIZED\nPAID: PAID\nCANCELED: CANCELED",
                        enum_type=InvoiceStatus,
                        max_length=16,
                    ),
                ),
                ("issue_date", fields.DateField()),
                ("due_date", fields.DateField(null=True)),
                ("currency", fields.CharField(default="EUR", max_length=3)),
                (
                    "subtotal",
                    fields.DecimalField(default=Decimal("0"), max_digits=18, decimal_places=2),
                ),
                (
                    "tax_total",
                    fields.DecimalField(default=Decimal("0"), max_digits=18, decimal_places=2),
                ),
                (
                    "total",
                    fields.DecimalField(default=Decimal("0"), max_digits=18, decimal_places=2),
                ),
                (
                    "amount_paid",
                    fields.DecimalField(default=Decimal("0"), max_digits=18, decimal_places=2),
                ),
                (
                    "authorized_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "invoice",
                "app": "models",
                "unique_together": (("organization", "kind", "number"),),
                "indexes": [Index(fields=["client_id", "kind", "status", "due_date"])],
                "pk_attr": "id",
            },
            bases=["OrgScoped"],
        ),
        ops.CreateModel(
            name="InvoiceLine",
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
                (
                    "invoice",
                    fields.ForeignKeyField(
                        "models.Invoice",
                        source_field="invoice_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
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
            ],
            options={"table": "invoiceline", "app": "models", "pk_attr": "id"},
            bases=["OrgScoped"],
        ),
        ops.CreateModel(
            name="InvoicePayment",
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
                (
                    "invoice",
                    fields.ForeignKeyField(
                        "models.Invoice",
                        source_field="invoice_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "amount",
                    fields.DecimalField(default=Decimal("0"), max_digits=18, decimal_places=2),
                ),
                ("date", fields.DateField()),
            ],
            options={"table": "invoicepayment", "app": "models", "pk_attr": "id"},
            bases=["OrgScoped"],
        ),
        ops.CreateModel(
            name="Project",
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
                (
                    "client",
                    fields.ForeignKeyField(
                        "models.Client",
                        source_field="client_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("name", fields.CharField(max_length=200)),
                (
                    "status",
                    fields.CharEnumField(
                        default=ProjectStatus.PLANNED,
                        description="PLANNED: PLANNED\nACTIVE: ACTIVE\nON_HOLD: ON_HOLD\nCOMPLETED: COMPLETED\nCANCELED: CANCELED",
                        enum_type=ProjectStatus,
                        max_length=16,
                    ),
                ),
                ("start_date", fields.DateField(null=True)),
                ("deadline", fields.DateField(null=True)),
                (
                    "budget",
                    fields.DecimalField(
                        null=True, default=Decimal("0"), max_digits=18, decimal_places=2
                    ),
                ),
                ("currency", fields.CharField(default="EUR", max_length=3)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "project",
                "app": "models",
                "indexes": [Index(fields=["client_id", "status"])],
                "pk_attr": "id",
            },
            bases=["OrgScoped"],
        ),
        ops.CreateModel(
            name="PurchaseOrder",
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
                (
                    "client",
                    fields.ForeignKeyField(
                        "models.Client",
                        source_field="client_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("number", fields.CharField(max_length=50)),
                (
                    "status",
                    fields.CharEnumField(
                        default=PurchaseOrderStatus.OPEN,
                        description="OPEN: OPEN\nCLOSED: CLOSED\nCANCELED: CANCELED",
                        enum_type=PurchaseOrderStatus,
                        max_length=16,
                    ),
                ),
                ("issue_date", fields.DateField()),
                ("currency", fields.CharField(default="EUR", max_length=3)),
                (
                    "total",
                    fields.DecimalField(default=Decimal("0"), max_digits=18, decimal_places=2),
                ),
                ("description", fields.TextField(default="", unique=False)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "purchaseorder",
                "app": "models",
                "unique_together": (("organization", "number"),),
                "indexes": [Index(fields=["client_id", "status"])],
                "pk_attr": "id",
            },
            bases=["OrgScoped"],
        ),
        ops.CreateModel(
            name="Quote",
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
                (
                    "client",
                    fields.ForeignKeyField(
                        "models.Client",
                        source_field="client_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "deal",
                    fields.ForeignKeyField(
                        "models.Deal",
                        source_field="deal_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("number", fields.CharField(max_length=50)),
                (
                    "status",
                    fields.CharEnumField(
                        default=QuoteStatus.DRAFT,
                        description="DRAFT: DRAFT\nSENT: SENT\nACCEPTED: ACCEPTED\nDECLINED: DECLINED",
                        enum_type=QuoteStatus,
                        max_length=16,
                    ),
                ),
                ("valid_until", fields.DateField(null=True)),
                ("currency", fields.CharField(default="EUR", max_length=3)),
                (
                    "subtotal",
                    fields.DecimalField(default=Decimal("0"), max_digits=18, decimal_places=2),
                ),
                (
                    "tax_total",
                    fields.DecimalField(default=Decimal("0"), max_digits=18, decimal_places=2),
                ),
                (
                    "total",
                    fields.DecimalField(default=Decimal("0"), max_digits=18, decimal_places=2),
                ),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "quote",
                "app": "models",
                "unique_together": (("organization", "number"),),
                "indexes": [Index(fields=["client_id", "status"])],
                "pk_attr": "id",
            },
            bases=["OrgScoped"],
        ),
        ops.CreateModel(
            name="QuoteLine",
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
                (
                    "quote",
                    fields.ForeignKeyField(
                        "models.Quote",
                        source_field="quote_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
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
            ],
            options={"table": "quoteline", "app": "models", "pk_attr": "id"},
            bases=["OrgScoped"],
        ),
        ops.CreateModel(
            name="User",
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
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("email", fields.CharField(max_length=254)),
                (
                    "role",
                    fields.CharEnumField(
                        default=Role.VIEWER,
                        description="VIEWER: VIEWER\nMEMBER: MEMBER\nMANAGER: MANAGER\nADMIN: ADMIN",
                        enum_type=Role,
                        max_length=16,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "user",
                "app": "models",
                "unique_together": (("organization", "email"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Activity",
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
                (
                    "client",
                    fields.ForeignKeyField(
                        "models.Client",
                        source_field="client_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "actor",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="actor_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("verb", fields.CharField(max_length=50)),
                ("target_type", fields.CharField(max_length=50)),
                ("target_id", fields.IntField()),
                (
                    "changes",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
            ],
            options={
                "table": "activity",
                "app": "models",
                "indexes": [Index(fields=["client_id", "created_at"])],
                "pk_attr": "id",
                "table_description": "One entry of a client's history: who did what to which record, and what changed.",
            },
            bases=["OrgScoped"],
        ),
        ops.CreateModel(
            name="ApiToken",
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
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("token_hash", fields.CharField(unique=True, max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("revoked_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "apitoken",
                "app": "models",
                "pk_attr": "id",
                "table_description": "Only the SHA-256 of a token is stored: a leaked database does not leak credentials.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="File",
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
                (
                    "client",
                    fields.ForeignKeyField(
                        "models.Client",
                        source_field="client_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "purpose",
                    fields.CharEnumField(
                        default=FilePurpose.ATTACHMENT,
                        description="ATTACHMENT: ATTACHMENT\nPHOTO: PHOTO\nPHOTO_THUMBNAIL: PHOTO_THUMBNAIL",
                        enum_type=FilePurpose,
                        max_length=20,
                    ),
                ),
                (
                    "name",
                    fields.CharField(description="sanitized original file name", max_length=255),
                ),
                ("description", fields.TextField(default="", unique=False)),
                ("size", fields.BigIntField()),
                ("content_type", fields.CharField(max_length=127)),
                ("sha256", fields.CharField(max_length=64)),
                ("storage_key", fields.CharField(max_length=200)),
                (
                    "uploaded_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="uploaded_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("width", fields.IntField(null=True)),
                ("height", fields.IntField(null=True)),
                ("deleted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "file",
                "app": "models",
                "indexes": [Index(fields=["client_id", "purpose", "created_at"])],
                "pk_attr": "id",
                "table_description": "A stored blob's metadata. Bytes live in storage under `storage_key` (the content hash).",
            },
            bases=["OrgScoped"],
        ),
        ops.CreateModel(
            name="ImportJob",
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
                (
                    "created_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="created_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("file_name", fields.CharField(max_length=255)),
                ("file_path", fields.CharField(null=True, max_length=500)),
                ("file_sha256", fields.CharField(null=True, max_length=64)),
                (
                    "status",
                    fields.CharEnumField(
                        default=ImportJobStatus.QUEUED,
                        description="QUEUED: QUEUED\nRUNNING: RUNNING\nSUCCEEDED: SUCCEEDED\nFAILED: FAILED\nCANCELED: CANCELED",
                        enum_type=ImportJobStatus,
                        max_length=16,
                    ),
                ),
                (
                    "options",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "mapping",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "unknown_columns",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("dry_run", fields.BooleanField(default=False)),
                ("total_rows", fields.IntField(default=0)),
                ("processed_rows", fields.IntField(default=0)),
                ("created_count", fields.IntField(default=0)),
                ("updated_count", fields.IntField(default=0)),
                ("skipped_count", fields.IntField(default=0)),
                ("failed_count", fields.IntField(default=0)),
                ("failure_reason", fields.TextField(null=True, unique=False)),
                ("started_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "finished_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={"table": "importjob", "app": "models", "pk_attr": "id"},
            bases=["OrgScoped"],
        ),
        ops.CreateModel(
            name="ImportRowError",
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
                (
                    "job",
                    fields.ForeignKeyField(
                        "models.ImportJob",
                        source_field="job_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("row", fields.IntField()),
                ("column", fields.CharField(null=True, max_length=200)),
                ("field", fields.CharField(null=True, max_length=100)),
                ("code", fields.CharField(max_length=50)),
                ("message", fields.TextField(unique=False)),
                ("value", fields.TextField(null=True, unique=False)),
                (
                    "cells",
                    fields.JSONField(
                        null=True,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
            ],
            options={"table": "importrowerror", "app": "models", "pk_attr": "id"},
            bases=["OrgScoped"],
        ),
        ops.CreateModel(
            name="Task",
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
                (
                    "project",
                    fields.ForeignKeyField(
                        "models.Project",
                        source_field="project_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "client",
                    fields.ForeignKeyField(
                        "models.Client",
                        source_field="client_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("title", fields.CharField(max_length=300)),
                ("description", fields.TextField(default="", unique=False)),
                (
                    "status",
                    fields.CharEnumField(
                        default=TaskStatus.TODO,
                        description="TODO: TODO\nIN_PROGRESS: IN_PROGRESS\nDONE: DONE",
                        enum_type=TaskStatus,
                        max_length=16,
                    ),
                ),
                ("due_date", fields.DateField(null=True)),
                (
                    "assignee",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="assignee_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "task",
                "app": "models",
                "indexes": [Index(fields=["client_id", "status", "due_date"])],
                "pk_attr": "id",
            },
            bases=["OrgScoped"],
        ),
        ops.CreateModel(
            name="TimeLog",
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
                (
                    "project",
                    fields.ForeignKeyField(
                        "models.Project",
                        source_field="project_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "client",
                    fields.ForeignKeyField(
                        "models.Client",
                        source_field="client_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "task",
                    fields.ForeignKeyField(
                        "models.Task",
                        source_field="task_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("date", fields.DateField()),
                ("hours", fields.DecimalField(max_digits=8, decimal_places=2)),
                ("note", fields.TextField(default="", unique=False)),
            ],
            options={
                "table": "timelog",
                "app": "models",
                "indexes": [Index(fields=["client_id"]), Index(fields=["project_id"])],
                "pk_attr": "id",
            },
            bases=["OrgScoped"],
        ),
    ]
