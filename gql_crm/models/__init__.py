"""Tortoise models of the whole domain. Every row belongs to an organization."""

from gql_crm.models.accounts import ApiToken, Organization, Role, User
from gql_crm.models.activity import Activity
from gql_crm.models.billing import (
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoicePayment,
    InvoiceStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
)
from gql_crm.models.clients import Client, ClientCategory, ClientStatus, Company, Gender
from gql_crm.models.deals import Deal, DealStage, Quote, QuoteLine, QuoteStatus
from gql_crm.models.files import File, FilePurpose
from gql_crm.models.imports import (
    ImportJob,
    ImportJobStatus,
    ImportRowError,
    ImportUndo,
    ImportUndoIssue,
)
from gql_crm.models.persisted_queries import PersistedQuery
from gql_crm.models.projects import (
    Project,
    ProjectStatus,
    Task,
    TaskPriority,
    TaskStatus,
    TimeLog,
)

__all__ = [
    "Activity",
    "ApiToken",
    "Client",
    "ClientCategory",
    "ClientStatus",
    "Company",
    "Deal",
    "DealStage",
    "File",
    "FilePurpose",
    "Gender",
    "ImportJob",
    "ImportJobStatus",
    "ImportRowError",
    "ImportUndo",
    "ImportUndoIssue",
    "Invoice",
    "InvoiceKind",
    "InvoiceLine",
    "InvoicePayment",
    "InvoiceStatus",
    "Organization",
    "PersistedQuery",
    "Project",
    "ProjectStatus",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "PurchaseOrderStatus",
    "Quote",
    "QuoteLine",
    "QuoteStatus",
    "Role",
    "Task",
    "TaskPriority",
    "TaskStatus",
    "TimeLog",
    "User",
]
