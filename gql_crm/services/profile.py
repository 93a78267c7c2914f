"""The lists nested under a parent: a client's profile tabs, a project's tasks and time
logs, a deal's quotes. Each kind's filters and orders are querysets, so the API pages them
with keyset cursors and counts them with one grouped query per page (api/core/nested.py)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

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
class NestedFilter:
    """The filters any nested list may take; each kind reads the ones that apply to it."""

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


class NestedList(StrEnum):
    PROJECTS = "PROJECTS"
    TASKS = "TASKS"
    INVOICES = "INVOICES"
    PURCHASE_ORDERS = "PURCHASE_ORDERS"
    DEALS = "DEALS"
    QUOTES = "QUOTES"
    FILES = "FILES"
    ACTIVITY = "ACTIVITY"
    TIME_LOGS = "TIME_LOGS"


def _among(field: str) -> Callable[[tuple, date], Q]:
    def condition(values: tuple, today: date) -> Q:
        lookup: dict[str, Any] = {f"{field}__in": list(values)}
        return Q(**lookup)

    return condition


def _any_state(state_q: Callable[[Any, date], Q]) -> Callable[[tuple, date], Q]:
    return lambda states, today: _any([state_q(state, today) for state in states])


def _open_tasks_due(due: TaskDue, today: date) -> Q:
    return Q(Q(status__in=OPEN_TASK_STATUSES), task_due_q(due, today))


# Each kind of list: its model, the condition of the rows it shows (None: all of them), and
# its filters, by the NestedFilter field each reads, with the condition the value makes.
_LISTS: dict[NestedList, tuple[type[Model], Q | None, dict[str, Callable[[Any, date], Q]]]] = {
    NestedList.PROJECTS: (Project, None, {"project_statuses": _among("status")}),
    NestedList.TASKS: (
        Task,
        None,
        {"task_statuses": _among("status"), "task_due": _open_tasks_due},
    ),
    NestedList.INVOICES: (
        Invoice,
        None,
        {
            "invoice_kind": lambda kind, today: Q(kind=kind),
            "invoice_states": _any_state(invoice_state_q),
        },
    ),
    NestedList.PURCHASE_ORDERS: (
        PurchaseOrder,
        None,
        {"purchase_order_statuses": _among("status")},
    ),
    NestedList.DEALS: (Deal, None, {"deal_stages": _among("stage")}),
    NestedList.QUOTES: (Quote, None, {"quote_states": _any_state(quote_state_q)}),
    NestedList.FILES: (
        File,
        Q(deleted_at__isnull=True, purpose=FilePurpose.ATTACHMENT),
        {},
    ),
    NestedList.TIME_LOGS: (TimeLog, None, {}),
    NestedList.ACTIVITY: (
        Activity,
        None,
        {
            "activity_target_types": _among("target_type"),
            "activity_verbs": _among("verb"),
            "activity_actor_id": lambda actor_id, today: Q(actor_id=actor_id),
            "activity_from": lambda moment, today: Q(created_at__gte=moment),
            "activity_before": lambda moment, today: Q(created_at__lt=moment),
        },
    ),
}


def nested_queryset(
    kind: NestedList,
    org_id: int,
    parent_ids: list[int],
    filters: NestedFilter,
    today: date,
    parent: str = "client_id",
) -> QuerySet:
    """The rows of the `kind` of list under the given parents: clients for the profile's
    tabs, projects or deals for their own lists (one parent for a page, several for batched
    pages)."""
    model = _LISTS[kind][0]
    if parent == "client_id":
        qs = of_clients(model, org_id, parent_ids)
    else:
        qs = model.filter(organization_id=org_id, **{f"{parent}__in": parent_ids})
    return nested_rows(kind, qs, filters, today)


def nested_model(kind: NestedList) -> type[Model]:
    return _LISTS[kind][0]


def nested_rows(kind: NestedList, qs: QuerySet, filters: NestedFilter, today: date) -> QuerySet:
    """`qs` (rows of the kind's model under some parents) narrowed to what the list shows
    and its filters; the planned path gives it the parent as a column of its own query."""
    _, shown, conditions = _LISTS[kind]
    if shown is not None:
        qs = qs.filter(shown)
    for name, condition in conditions.items():
        value = getattr(filters, name)
        if value is not None:
            qs = qs.filter(condition(value, today))
    return qs


async def nested_counts(queryset: QuerySet, parent: str, parent_ids: list[int]) -> dict[int, int]:
    """Each parent's number of rows of `queryset` (a `nested_queryset` of those parents):
    one grouped query for a whole page of them."""
    rows = await queryset.annotate(n=Count("id")).group_by(parent).values(parent, "n")
    found = {row[parent]: row["n"] for row in rows}
    return {parent_id: found.get(parent_id, 0) for parent_id in parent_ids}


class NestedOrderField(StrEnum):
    """Sort fields a nested list may offer: non-null columns only (keyset cursors need values), and
    no amounts (SQLite keeps decimals as text, so ORDER BY and cursors would compare text)."""

    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    NAME = "name"
    TITLE = "title"
    NUMBER = "number"
    ISSUE_DATE = "issue_date"
    DATE = "date"
    PRIORITY = "priority"


def nested_sort_keys(field: NestedOrderField, descending: bool) -> list[SortKey]:
    if field in (NestedOrderField.CREATED_AT, NestedOrderField.UPDATED_AT):
        key = datetime_key(field.value, descending)
    elif field in (NestedOrderField.ISSUE_DATE, NestedOrderField.DATE):
        key = date_key(field.value, descending)
    elif field == NestedOrderField.PRIORITY:
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
