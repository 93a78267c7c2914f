"""The tabs of a client's profile, as resolvers of Client's connection fields."""

from datetime import date

from strawberry import relay
from strawberry.types import Info

from gql_crm.api import docs
from gql_crm.api.activity.types import (
    Activity,
    ActivityConnection,
    ActivityOrder,
    ActivityTargetType,
    ActivityVerb,
)
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
from gql_crm.api.core.nested import NestedConnection, enum_values, nested_order
from gql_crm.api.core.relay import decode_id
from gql_crm.api.deals.types import (
    Deal,
    DealConnection,
    DealOrder,
    DealStage,
    Quote,
    QuoteConnection,
    QuoteOrderArgument,
    QuoteStatuses,
    quote_filters,
)
from gql_crm.api.docs import After, Before, First, Last
from gql_crm.api.files.types import File, FileConnection, FileOrder
from gql_crm.api.profile.summary import ClientSummary
from gql_crm.api.projects.types import (
    Project,
    ProjectConnection,
    ProjectOrder,
    ProjectStatus,
    Task,
    TaskConnection,
    TaskDueArgument,
    TaskOrder,
    TaskStatuses,
    task_filters,
)
from gql_crm.models import DealStage as StoredDealStage
from gql_crm.models import ProjectStatus as StoredProjectStatus
from gql_crm.models import PurchaseOrderStatus as StoredPurchaseOrderStatus
from gql_crm.services.profile import NestedFilter, NestedList
from gql_crm.services.records import day_bounds

ProjectStatuses = docs.argument(
    list[ProjectStatus] | None, "Only projects in one of these statuses."
)
ProjectOrderArgument = docs.argument(ProjectOrder | None, docs.NEWEST_FIRST)
TaskOrderArgument = docs.argument(TaskOrder | None, docs.NEWEST_FIRST)
InvoiceKindArgument = docs.argument(
    InvoiceKind | None, "Only sales or only purchase invoices; both when omitted."
)
InvoiceStatuses = docs.argument(
    list[InvoiceStatus] | None, "Only invoices in one of these statuses."
)
InvoiceOrderArgument = docs.argument(InvoiceOrder | None, "Newest issue date first when omitted.")
PurchaseOrderStatuses = docs.argument(
    list[PurchaseOrderStatus] | None, "Only orders in one of these statuses."
)
PurchaseOrderOrderArgument = docs.argument(
    PurchaseOrderOrder | None, "Newest issue date first when omitted."
)
DealStages = docs.argument(list[DealStage] | None, "Only deals in one of these stages.")
DealOrderArgument = docs.argument(DealOrder | None, docs.NEWEST_FIRST)
FileOrderArgument = docs.argument(FileOrder | None, docs.NEWEST_FIRST)
ActivityOrderArgument = docs.argument(ActivityOrder | None, docs.NEWEST_FIRST)
ActivityTargetTypes = docs.argument(
    list[ActivityTargetType] | None, "Only entries about records of these types."
)
ActivityVerbs = docs.argument(list[ActivityVerb] | None, "Only entries of these verbs.")
ActivityActor = docs.argument(
    relay.GlobalID | None,
    "Only entries by this User (global ID); an ID that names no user of your organization "
    "matches nothing.",
)
ActivitySince = docs.argument(
    date | None, "Only entries from this day on (included), in the organization's time zone."
)
ActivityUntil = docs.argument(
    date | None, "Only entries up to this day (included), in the organization's time zone."
)


# The tabs: which list, and the connection and node types it answers with.
PROJECTS_TAB = NestedConnection(NestedList.PROJECTS, ProjectConnection, Project.from_model)
TASKS_TAB = NestedConnection(NestedList.TASKS, TaskConnection, Task.from_model)
INVOICES_TAB = NestedConnection(NestedList.INVOICES, InvoiceConnection, Invoice.from_model)
PURCHASE_ORDERS_TAB = NestedConnection(
    NestedList.PURCHASE_ORDERS, PurchaseOrderConnection, PurchaseOrder.from_model
)
DEALS_TAB = NestedConnection(NestedList.DEALS, DealConnection, Deal.from_model)
QUOTES_TAB = NestedConnection(NestedList.QUOTES, QuoteConnection, Quote.from_model)
FILES_TAB = NestedConnection(NestedList.FILES, FileConnection, File.from_model)
ACTIVITY_TAB = NestedConnection(NestedList.ACTIVITY, ActivityConnection, Activity.from_model)


def issue_date_order(order_by) -> tuple:
    return nested_order(order_by, "ISSUE_DATE")


# Each tab's arguments as its list's filters: the resolvers below and the planned path
# (api/planned/tabs.py) read them alike.
def project_filters(status) -> NestedFilter:
    return NestedFilter(project_statuses=enum_values(status, StoredProjectStatus))


def purchase_order_filters(status) -> NestedFilter:
    return NestedFilter(purchase_order_statuses=enum_values(status, StoredPurchaseOrderStatus))


def deal_filters(stage) -> NestedFilter:
    return NestedFilter(deal_stages=enum_values(stage, StoredDealStage))


def activity_filters(organization, target_type, verb, actor_id, since, until) -> NestedFilter:
    start, end = day_bounds(organization, since, until)
    return NestedFilter(
        activity_target_types=enum_values(target_type, str),
        activity_verbs=enum_values(verb, str),
        activity_actor_id=None if actor_id is None else decode_id(actor_id, "User") or 0,
        activity_from=start,
        activity_before=end,
    )


def client_summary(root) -> ClientSummary:
    return ClientSummary(client_id=root.id)


async def client_projects(
    root,
    info: Info,
    status: ProjectStatuses = None,
    order_by: ProjectOrderArgument = None,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
) -> ProjectConnection:
    return await PROJECTS_TAB.page(
        info, root.id, project_filters(status), nested_order(order_by), first, after, last, before
    )


async def client_tasks(
    root,
    info: Info,
    status: TaskStatuses = None,
    due: TaskDueArgument = None,
    order_by: TaskOrderArgument = None,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
) -> TaskConnection:
    return await TASKS_TAB.page(
        info, root.id, task_filters(status, due), nested_order(order_by), first, after, last, before
    )


async def client_invoices(
    root,
    info: Info,
    kind: InvoiceKindArgument = None,
    status: InvoiceStatuses = None,
    order_by: InvoiceOrderArgument = None,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
) -> InvoiceConnection:
    return await INVOICES_TAB.page(
        info,
        root.id,
        invoice_filters(kind, status),
        issue_date_order(order_by),
        first,
        after,
        last,
        before,
    )


async def client_purchase_orders(
    root,
    info: Info,
    status: PurchaseOrderStatuses = None,
    order_by: PurchaseOrderOrderArgument = None,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
) -> PurchaseOrderConnection:
    return await PURCHASE_ORDERS_TAB.page(
        info,
        root.id,
        purchase_order_filters(status),
        issue_date_order(order_by),
        first,
        after,
        last,
        before,
    )


async def client_deals(
    root,
    info: Info,
    stage: DealStages = None,
    order_by: DealOrderArgument = None,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
) -> DealConnection:
    return await DEALS_TAB.page(
        info, root.id, deal_filters(stage), nested_order(order_by), first, after, last, before
    )


async def client_quotes(
    root,
    info: Info,
    status: QuoteStatuses = None,
    order_by: QuoteOrderArgument = None,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
) -> QuoteConnection:
    return await QUOTES_TAB.page(
        info, root.id, quote_filters(status), nested_order(order_by), first, after, last, before
    )


async def client_files(
    root,
    info: Info,
    order_by: FileOrderArgument = None,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
) -> FileConnection:
    return await FILES_TAB.page(
        info, root.id, NestedFilter(), nested_order(order_by), first, after, last, before
    )


async def client_activity(
    root,
    info: Info,
    target_type: ActivityTargetTypes = None,
    verb: ActivityVerbs = None,
    actor_id: ActivityActor = None,
    since: ActivitySince = None,
    until: ActivityUntil = None,
    order_by: ActivityOrderArgument = None,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
) -> ActivityConnection:
    return await ACTIVITY_TAB.page(
        info,
        root.id,
        activity_filters(
            info.context.actor.organization, target_type, verb, actor_id, since, until
        ),
        nested_order(order_by),
        first,
        after,
        last,
        before,
    )
