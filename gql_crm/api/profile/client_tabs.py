"""The tabs of a client's profile, as resolvers of Client's connection fields."""

from strawberry.types import Info

from gql_crm.api.activity.types import Activity, ActivityConnection, ActivityOrder
from gql_crm.api.billing.types import (
    Invoice,
    InvoiceConnection,
    InvoiceKind,
    InvoiceOrder,
    InvoiceStatus,
    PurchaseOrder,
    PurchaseOrderConnection,
    PurchaseOrderOrder,
    PurchaseOrderStatus,
    invoice_filters,
)
from gql_crm.api.deals.types import (
    Deal,
    DealConnection,
    DealOrder,
    DealStage,
    Quote,
    QuoteConnection,
    QuoteOrder,
    QuoteStatus,
    quote_filters,
)
from gql_crm.api.files.types import File, FileConnection, FileOrder
from gql_crm.api.profile.summary import ClientSummary
from gql_crm.api.profile.tabs import enum_values, tab_connection, tab_order
from gql_crm.api.projects.types import (
    Project,
    ProjectConnection,
    ProjectOrder,
    ProjectStatus,
    Task,
    TaskConnection,
    TaskDue,
    TaskOrder,
    TaskStatus,
    task_filters,
)
from gql_crm.models import DealStage as StoredDealStage
from gql_crm.models import ProjectStatus as StoredProjectStatus
from gql_crm.models import PurchaseOrderStatus as StoredPurchaseOrderStatus
from gql_crm.services.profile import Tab, TabFilter


def issue_date_order(order_by) -> tuple:
    return tab_order(order_by, "ISSUE_DATE")


def client_summary(root) -> ClientSummary:
    return ClientSummary(client_id=root.id)


async def client_projects(
    root, info: Info, status: list[ProjectStatus] | None = None,
    order_by: ProjectOrder | None = None, first: int | None = None, after: str | None = None,
    last: int | None = None, before: str | None = None,
) -> ProjectConnection:
    filters = TabFilter(project_statuses=enum_values(status, StoredProjectStatus))
    return await tab_connection(info, ProjectConnection, Project.from_model, Tab.PROJECTS,
                                root.id, filters, tab_order(order_by),
                                first, after, last, before)


async def client_tasks(
    root, info: Info, status: list[TaskStatus] | None = None, due: TaskDue | None = None,
    order_by: TaskOrder | None = None, first: int | None = None, after: str | None = None,
    last: int | None = None, before: str | None = None,
) -> TaskConnection:
    return await tab_connection(info, TaskConnection, Task.from_model, Tab.TASKS, root.id,
                                task_filters(status, due), tab_order(order_by),
                                first, after, last, before)


async def client_invoices(
    root, info: Info, kind: InvoiceKind | None = None, status: list[InvoiceStatus] | None = None,
    order_by: InvoiceOrder | None = None, first: int | None = None, after: str | None = None,
    last: int | None = None, before: str | None = None,
) -> InvoiceConnection:
    return await tab_connection(info, InvoiceConnection, Invoice.from_model, Tab.INVOICES,
                                root.id, invoice_filters(kind, status), issue_date_order(order_by),
                                first, after, last, before)


async def client_purchase_orders(
    root, info: Info, status: list[PurchaseOrderStatus] | None = None,
    order_by: PurchaseOrderOrder | None = None, first: int | None = None,
    after: str | None = None, last: int | None = None, before: str | None = None,
) -> PurchaseOrderConnection:
    filters = TabFilter(purchase_order_statuses=enum_values(status, StoredPurchaseOrderStatus))
    return await tab_connection(info, PurchaseOrderConnection, PurchaseOrder.from_model,
                                Tab.PURCHASE_ORDERS, root.id, filters, issue_date_order(order_by),
                                first, after, last, before)


async def client_deals(
    root, info: Info, stage: list[DealStage] | None = None, order_by: DealOrder | None = None,
    first: int | None = None, after: str | None = None, last: int | None = None,
    before: str | None = None,
) -> DealConnection:
    filters = TabFilter(deal_stages=enum_values(stage, StoredDealStage))
    return await tab_connection(info, DealConnection, Deal.from_model, Tab.DEALS, root.id,
                                filters, tab_order(order_by), first, after, last, before)


async def client_quotes(
    root, info: Info, status: list[QuoteStatus] | None = None,
    order_by: QuoteOrder | None = None, first: int | None = None, after: str | None = None,
    last: int | None = None, before: str | None = None,
) -> QuoteConnection:
    return await tab_connection(info, QuoteConnection, Quote.from_model, Tab.QUOTES, root.id,
                                quote_filters(status), tab_order(order_by),
                                first, after, last, before)


async def client_files(
    root, info: Info, order_by: FileOrder | None = None, first: int | None = None,
    after: str | None = None, last: int | None = None, before: str | None = None,
) -> FileConnection:
    return await tab_connection(info, FileConnection, File.from_model, Tab.FILES, root.id,
                                TabFilter(), tab_order(order_by), first, after, last, before)


async def client_activity(
    root, info: Info, order_by: ActivityOrder | None = None, first: int | None = None,
    after: str | None = None, last: int | None = None, before: str | None = None,
) -> ActivityConnection:
    return await tab_connection(info, ActivityConnection, Activity.from_model, Tab.ACTIVITY,
                                root.id, TabFilter(), tab_order(order_by),
                                first, after, last, before)
