"""The rows of a client's profile tabs: each tab's filters and orders as querysets, so the
API pages them with keyset cursors and counts them with one grouped query per page."""

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from tortoise.expressions import Q
from tortoise.functions import Count, Max
from tortoise.models import Model
from tortoise.queryset import QuerySet

from gql_crm.models import (
    Activity,
    Deal,
    DealStage,
    File,
    FilePurpose,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Project,
    ProjectStatus,
    PurchaseOrder,
    PurchaseOrderStatus,
    Quote,
    QuoteStatus,
    Task,
    TaskPriority,
    TaskStatus,
    TimeLog,
)
from gql_crm.services.deals import EXPIRING, QuoteState
from gql_crm.services.pagination import SortKey, date_key, datetime_key
from gql_crm.services.records import of_clients
from gql_crm.services.summary import (
    OPEN_TASK_STATUSES,
    InvoiceState,
    due_soon,
    expired,
    not_expired,
    not_past_due,
    past_due,
)


class TaskDue(StrEnum):
    """The task cards of the summary, as filters (never DONE tasks)."""

    OVERDUE = "OVERDUE"
    PENDING = "PENDING"
    UPCOMING = "UPCOMING"


@dataclass(frozen=True)
class TabFilter:
    """The filters any tab may take; each tab reads the ones that apply to it."""

    project_statuses: tuple[ProjectStatus, ...] | None = None
    task_statuses: tuple[TaskStatus, ...] | None = None
    task_due: TaskDue | None = None
    invoice_kind: InvoiceKind | None = None
    invoice_states: tuple[InvoiceState, ...] | None = None
    purchase_order_statuses: tuple[PurchaseOrderStatus, ...] | None = None
    deal_stages: tuple[DealStage, ...] | None = None
    quote_states: tuple[QuoteState, ...] | None = None
    activity_target_types: tuple[str, ...] | None = None
    activity_verbs: tuple[str, ...] | None = None
    # 0 (no user) for an actor ID that names no user of the organization: nothing matches.
    activity_actor_id: int | None = None
    activity_from: datetime | None = None
    activity_before: datetime | None = None


def _any(conditions: list[Q]) -> Q:
    return Q(*conditions, join_type="OR") if conditions else Q(id__in=[])


def invoice_state_q(state: InvoiceState, today: date) -> Q:
    if state == InvoiceState.PENDING:
        return Q(Q(status=InvoiceStatus.AUTHORIZED), not_past_due(today))
    if state == InvoiceState.OVERDUE:
        return Q(Q(status=InvoiceStatus.AUTHORIZED), past_due(today))
    return Q(status=InvoiceStatus(state.value))


def quote_state_q(state: QuoteState, today: date) -> Q:
    if state == QuoteState.EXPIRED:
        return expired(today)
    status = QuoteStatus(state.value)
    if status in EXPIRING:
        return Q(Q(status=status), not_expired(today))
    return Q(status=status)


def task_due_q(due: TaskDue, today: date) -> Q:
    if due == TaskDue.OVERDUE:
        return past_due(today)
    if due == TaskDue.UPCOMING:
        return due_soon(today)
    return not_past_due(today)


class Tab(StrEnum):
    PROJECTS = "PROJECTS"
    TASKS = "TASKS"
    INVOICES = "INVOICES"
    PURCHASE_ORDERS = "PURCHASE_ORDERS"
    DEALS = "DEALS"
    QUOTES = "QUOTES"
    FILES = "FILES"
    ACTIVITY = "ACTIVITY"
    TIME_LOGS = "TIME_LOGS"


def tab_queryset(
    tab: Tab,
    org_id: int,
    parent_ids: list[int],
    filters: TabFilter,
    today: date,
    parent: str = "client_id",
) -> QuerySet:
    """The rows of `tab` under the given parents: clients for the profile's tabs, projects
    or deals for their own lists (one parent for a page, several for batched pages)."""
    f = filters

    def rows(model: type[Model]) -> QuerySet:
        if parent == "client_id":
            return of_clients(model, org_id, parent_ids)
        return model.filter(organization_id=org_id, **{f"{parent}__in": parent_ids})

    if tab == Tab.PROJECTS:
        qs = rows(Project)
        if f.project_statuses is not None:
            qs = qs.filter(status__in=list(f.project_statuses))
    elif tab == Tab.TASKS:
        qs = rows(Task)
        if f.task_statuses is not None:
            qs = qs.filter(status__in=list(f.task_statuses))
        if f.task_due is not None:
            qs = qs.filter(status__in=OPEN_TASK_STATUSES).filter(task_due_q(f.task_due, today))
    elif tab == Tab.INVOICES:
        qs = rows(Invoice)
        if f.invoice_kind is not None:
            qs = qs.filter(kind=f.invoice_kind)
        if f.invoice_states is not None:
            qs = qs.filter(_any([invoice_state_q(s, today) for s in f.invoice_states]))
    elif tab == Tab.PURCHASE_ORDERS:
        qs = rows(PurchaseOrder)
        if f.purchase_order_statuses is not None:
            qs = qs.filter(status__in=list(f.purchase_order_statuses))
    elif tab == Tab.DEALS:
        qs = rows(Deal)
        if f.deal_stages is not None:
            qs = qs.filter(stage__in=list(f.deal_stages))
    elif tab == Tab.QUOTES:
        qs = rows(Quote)
        if f.quote_states is not None:
            qs = qs.filter(_any([quote_state_q(s, today) for s in f.quote_states]))
    elif tab == Tab.FILES:
        qs = rows(File).filter(deleted_at__isnull=True, purpose=FilePurpose.ATTACHMENT)
    elif tab == Tab.TIME_LOGS:
        qs = rows(TimeLog)
    else:
        qs = rows(Activity)
        if f.activity_target_types is not None:
            qs = qs.filter(target_type__in=list(f.activity_target_types))
        if f.activity_verbs is not None:
            qs = qs.filter(verb__in=list(f.activity_verbs))
        if f.activity_actor_id is not None:
            qs = qs.filter(actor_id=f.activity_actor_id)
        if f.activity_from is not None:
            qs = qs.filter(created_at__gte=f.activity_from)
        if f.activity_before is not None:
            qs = qs.filter(created_at__lt=f.activity_before)
    return qs


async def tab_counts(
    tab: Tab,
    org_id: int,
    parent_ids: list[int],
    filters: TabFilter,
    today: date,
    parent: str = "client_id",
) -> dict[int, int]:
    """Each parent's number of rows in `tab`: one grouped query for a whole page of them."""
    rows = await (
        tab_queryset(tab, org_id, parent_ids, filters, today, parent)
        .annotate(n=Count("id"))
        .group_by(parent)
        .values(parent, "n")
    )
    found = {row[parent]: row["n"] for row in rows}
    return {parent_id: found.get(parent_id, 0) for parent_id in parent_ids}


class TabOrderField(StrEnum):
    """Sort fields a tab may offer: non-null columns only (keyset cursors need values), and
    no amounts (SQLite keeps decimals as text, so ORDER BY and cursors would compare text)."""

    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    NAME = "name"
    TITLE = "title"
    NUMBER = "number"
    ISSUE_DATE = "issue_date"
    DATE = "date"
    PRIORITY = "priority"


def tab_sort_keys(field: TabOrderField, descending: bool) -> list[SortKey]:
    if field in (TabOrderField.CREATED_AT, TabOrderField.UPDATED_AT):
        key = datetime_key(field.value, descending)
    elif field in (TabOrderField.ISSUE_DATE, TabOrderField.DATE):
        key = date_key(field.value, descending)
    elif field == TabOrderField.PRIORITY:
        # A cursor's value must be a priority's number: anything else is a bad cursor.
        key = SortKey(field.value, descending, lambda value: TaskPriority(int(value)).value)
    else:
        key = SortKey(field.value, descending)
    return [key, SortKey("id", descending, int)]


async def last_activity(org_id: int, client_ids: list[int]) -> dict[int, datetime | None]:
    """When each client or one of its records last changed (its newest activity entry): one
    grouped statement for a whole page of clients, served by the (client_id, created_at)
    index."""
    rows = await (
        of_clients(Activity, org_id, client_ids)
        .annotate(last=Max("created_at"))
        .group_by("client_id")
        .values("client_id", "last")
    )
    found = {row["client_id"]: row["last"] for row in rows}
    return {client_id: found.get(client_id) for client_id in client_ids}
