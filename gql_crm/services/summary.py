"""The figures of a client's profile cards, computed by the database.

Each function runs ONE grouped aggregate for a whole batch of clients (a page of the list or
a single profile) and returns the figures by client id: the cost of a summary never grows
with the number of clients shown, and no row is ever loaded into Python, only group totals.
Amounts are kept apart by currency; they are never added across currencies.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from pypika_tortoise.functions import Cast
from pypika_tortoise.terms import Function as SqlFunction
from pypika_tortoise.terms import Term
from tortoise.expressions import Case, Function, Q, When
from tortoise.functions import Count, Sum
from tortoise.models import Model

from gql_crm.models import (
    Deal,
    DealStage,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Project,
    ProjectStatus,
    PurchaseOrder,
    PurchaseOrderStatus,
    Quote,
    Task,
    TaskStatus,
    TimeLog,
)
from gql_crm.services.deals import CLOSED_STAGES, EXPIRING, QuoteState
from gql_crm.services.pagination import SortKey, date_key, first_pages
from gql_crm.services.records import CENT, money, of_clients

UPCOMING_DAYS = 7
OPEN_TASK_STATUSES = [status for status in TaskStatus if status != TaskStatus.DONE]


# When a task or an invoice is late, and when a quote has expired: the summary's cards count
# with these conditions, and the profile's lists filter with them, so both always agree.
def past_due(today: date) -> Q:
    """An open task, or an AUTHORIZED invoice, that reads OVERDUE."""
    return Q(due_date__lt=today)


def not_past_due(today: date) -> Q:
    """Due today or later, or with no due date: PENDING."""
    return Q(due_date__gte=today) | Q(due_date__isnull=True)


def due_soon(today: date) -> Q:
    """Due from today to UPCOMING_DAYS ahead, both included."""
    return Q(due_date__gte=today, due_date__lte=today + timedelta(days=UPCOMING_DAYS))


def expired(today: date) -> Q:
    """A quote still waiting for an answer past its validUntil: EXPIRED."""
    return Q(status__in=list(EXPIRING), valid_until__lt=today)


def not_expired(today: date) -> Q:
    return Q(valid_until__gte=today) | Q(valid_until__isnull=True)


CENTS_SUFFIX = "_cents"


def _text(term: Term) -> Term:
    """The column itself: Tortoise hands functions a SQLite decimal as CAST(... AS NUMERIC),
    a floating-point value past 15 digits."""
    return term.args[0] if isinstance(term, Cast) else term


class _SqlIntegerPart(SqlFunction):
    def __init__(self, term: Term) -> None:
        super().__init__("CAST", _text(term))

    def get_function_sql(self, ctx) -> str:
        # CAST of text to INTEGER reads the longest integer prefix: nothing is rounded.
        return f"CAST({self.get_arg_sql(self.args[0], ctx)} AS INTEGER)"


class _SqlCents(SqlFunction):
    def __init__(self, term: Term) -> None:
        super().__init__("CENTS", _text(term))

    def get_function_sql(self, ctx) -> str:
        x = self.get_arg_sql(self.args[0], ctx)
        return (
            f"(CASE WHEN INSTR({x}, '.') = 0 THEN 0 ELSE "
            f"CAST(SUBSTR(SUBSTR({x}, INSTR({x}, '.') + 1) || '00', 1, 2) AS INTEGER)"
            f" * (CASE WHEN SUBSTR({x}, 1, 1) = '-' THEN -1 ELSE 1 END) END)"
        )


class IntegerPart(Function):
    """On SQLite, where Tortoise stores decimals as text, a decimal column's integer part
    ("-12.5" -> -12), read exactly from the text."""

    database_func = _SqlIntegerPart


class Cents(Function):
    """On SQLite, a decimal column's cents ("-12.5" -> -50), read exactly from the text."""

    database_func = _SqlCents


def exact_sums(model: type[Model], **columns: str | tuple[str, Q]) -> dict[str, Sum]:
    """Annotations summing decimal columns exactly on both databases (`name=column` or
    `name=(column, filter)`); read each back with `summed(row, name)`. PostgreSQL sums
    NUMERIC exactly; on SQLite the integer parts and the cents are summed apart, as
    integers (apart, so that a sum of large amounts stays within 64 bits)."""
    sqlite = model._meta.db.capabilities.dialect == "sqlite"
    annotations: dict[str, Sum] = {}
    for name, spec in columns.items():
        column, condition = (spec, None) if isinstance(spec, str) else spec
        if not sqlite:
            annotations[name] = Sum(column, _filter=condition)
            continue
        for key, part in ((name, IntegerPart), (name + CENTS_SUFFIX, Cents)):
            term = part(column)
            # Sum takes any expression; Tortoise's annotation names fewer.
            summed = Case(When(condition, then=term)) if condition else term
            annotations[key] = Sum(summed)  # type: ignore[arg-type]
    return annotations


def summed(row: dict, name: str) -> Decimal:
    if name + CENTS_SUFFIX not in row:
        return money(row[name])
    units, cents = row[name] or 0, row[name + CENTS_SUFFIX] or 0
    return (Decimal(units) + Decimal(cents).scaleb(-2)).quantize(CENT)


class InvoiceState(StrEnum):
    """What an invoice reads as. PENDING and OVERDUE split AUTHORIZED by the due date."""

    DRAFT = "DRAFT"
    PENDING = "PENDING"
    OVERDUE = "OVERDUE"
    PAID = "PAID"
    CANCELED = "CANCELED"


def invoice_state(invoice: Invoice, today: date) -> InvoiceState:
    if invoice.status == InvoiceStatus.AUTHORIZED:
        late = invoice.due_date is not None and invoice.due_date < today
        return InvoiceState.OVERDUE if late else InvoiceState.PENDING
    return InvoiceState(invoice.status.value)


def days_overdue(invoice: Invoice, today: date) -> int:
    """Days past the due date of an OVERDUE invoice; 0 for any other."""
    if invoice_state(invoice, today) != InvoiceState.OVERDUE:
        return 0
    assert invoice.due_date is not None
    return (today - invoice.due_date).days


@dataclass
class Figure:
    """A count, and the amounts of the counted records, one per currency."""

    count: int = 0
    amounts: dict[str, Decimal] = field(default_factory=dict)

    def add(self, count: int, currency: str, amount: Decimal) -> None:
        if not count:
            return
        self.count += count
        self.amounts[currency] = self.amounts.get(currency, Decimal("0.00")) + amount


def _combine(*figures: Figure) -> Figure:
    result = Figure()
    for figure in figures:
        result.count += figure.count
        for currency, amount in figure.amounts.items():
            result.amounts[currency] = result.amounts.get(currency, Decimal("0.00")) + amount
    return result


@dataclass
class ProjectFigures:
    by_status: dict[ProjectStatus, int] = field(default_factory=dict)


@dataclass
class TaskFigures:
    overdue: int = 0
    pending: int = 0
    upcoming: int = 0


# The orders the card counts and totals: canceled ones never count.
LIVE_ORDER_STATUSES = (PurchaseOrderStatus.OPEN, PurchaseOrderStatus.CLOSED)


@dataclass
class PurchaseOrderFigures:
    by_status: dict[PurchaseOrderStatus, Figure] = field(
        default_factory=lambda: {status: Figure() for status in PurchaseOrderStatus}
    )

    @property
    def live(self) -> Figure:
        return _combine(*(self.by_status[status] for status in LIVE_ORDER_STATUSES))


# Every invoice issued (authorized at some point, not canceled): paid or not.
ISSUED_STATES = (InvoiceState.PENDING, InvoiceState.OVERDUE, InvoiceState.PAID)


@dataclass
class InvoiceFigures:
    by_state: dict[InvoiceState, Figure] = field(
        default_factory=lambda: {state: Figure() for state in InvoiceState}
    )
    amount_due: dict[str, Decimal] = field(default_factory=dict)

    @property
    def authorized(self) -> Figure:
        return _combine(*(self.by_state[state] for state in ISSUED_STATES))


@dataclass
class DealFigures:
    by_stage: dict[DealStage, Figure] = field(
        default_factory=lambda: {stage: Figure() for stage in DealStage}
    )
    # Open deals' weighted values (value x probability), per currency; deals without a
    # probability weigh nothing.
    weighted_open: dict[str, Decimal] = field(default_factory=dict)

    @property
    def open(self) -> Figure:
        return _combine(*(f for s, f in self.by_stage.items() if s not in CLOSED_STAGES))


@dataclass
class QuoteFigures:
    by_state: dict[QuoteState, Figure] = field(
        default_factory=lambda: {state: Figure() for state in QuoteState}
    )


async def project_figures(org_id: int, client_ids: list[int]) -> dict[int, ProjectFigures]:
    result = {client_id: ProjectFigures() for client_id in client_ids}
    rows = await (
        of_clients(Project, org_id, client_ids)
        .annotate(n=Count("id"))
        .group_by("client_id", "status")
        .values("client_id", "status", "n")
    )
    for row in rows:
        result[row["client_id"]].by_status[ProjectStatus(row["status"])] = row["n"]
    return result


async def hours_logged(org_id: int, client_ids: list[int]) -> dict[int, Decimal]:
    sums = exact_sums(TimeLog, hours_sum="hours")
    rows = await (
        of_clients(TimeLog, org_id, client_ids)
        .annotate(**sums)
        .group_by("client_id")
        .values("client_id", *sums)
    )
    found = {row["client_id"]: summed(row, "hours_sum") for row in rows}
    return {client_id: found.get(client_id, Decimal("0.00")) for client_id in client_ids}


async def task_figures(org_id: int, client_ids: list[int], today: date) -> dict[int, TaskFigures]:
    rows = await (
        of_clients(Task, org_id, client_ids)
        .filter(status__in=OPEN_TASK_STATUSES)
        .annotate(
            overdue=Count("id", _filter=past_due(today)),
            pending=Count("id", _filter=not_past_due(today)),
            upcoming=Count("id", _filter=due_soon(today)),
        )
        .group_by("client_id")
        .values("client_id", "overdue", "pending", "upcoming")
    )
    result = {client_id: TaskFigures() for client_id in client_ids}
    for row in rows:
        result[row["client_id"]] = TaskFigures(row["overdue"], row["pending"], row["upcoming"])
    return result


async def purchase_order_figures(
    org_id: int, client_ids: list[int]
) -> dict[int, PurchaseOrderFigures]:
    result = {client_id: PurchaseOrderFigures() for client_id in client_ids}
    for row in await _counted(PurchaseOrder, "status", org_id, client_ids, amount="total"):
        figures = result[row["client_id"]].by_status[PurchaseOrderStatus(row["status"])]
        figures.add(row["n"], row["currency"], summed(row, "amount"))
    return result


async def _counted(
    model: type[Model], group: str, org_id: int, client_ids: list[int], **amounts: str
) -> list[dict]:
    """Each client's rows of `model` by `group` and currency: `n` of them, and the sums of
    the columns `amounts` names (see `exact_sums`)."""
    sums = exact_sums(model, **amounts)
    return await (
        of_clients(model, org_id, client_ids)
        .annotate(n=Count("id"), **sums)
        .group_by("client_id", group, "currency")
        .values("client_id", group, "currency", "n", *sums)
    )


async def invoice_figures(
    org_id: int, client_ids: list[int], kind: InvoiceKind, today: date
) -> dict[int, InvoiceFigures]:
    late = past_due(today)
    sums = exact_sums(Invoice, amount="total", paid="amount_paid", late_amount=("total", late))
    rows = await (
        of_clients(Invoice, org_id, client_ids)
        .filter(kind=kind)
        .annotate(n=Count("id"), late_n=Count("id", _filter=late), **sums)
        .group_by("client_id", "status", "currency")
        .values("client_id", "status", "currency", "n", "late_n", *sums)
    )
    result = {client_id: InvoiceFigures() for client_id in client_ids}
    for row in rows:
        figures = result[row["client_id"]]
        status, currency = InvoiceStatus(row["status"]), row["currency"]
        amount = summed(row, "amount")
        if status == InvoiceStatus.AUTHORIZED:
            _split_late(figures.by_state, InvoiceState.OVERDUE, InvoiceState.PENDING, row)
            due = amount - summed(row, "paid")
            if due:
                figures.amount_due[currency] = figures.amount_due.get(currency, 0) + due
        else:
            figures.by_state[InvoiceState(status.value)].add(row["n"], currency, amount)
    return result


async def oldest_overdue(
    org_id: int, client_ids: list[int], kind: InvoiceKind, today: date
) -> dict[int, Invoice | None]:
    """Each client's OVERDUE invoice of `kind` with the earliest due date (the lowest id
    among equals): two statements for the whole batch of clients."""
    overdue = of_clients(Invoice, org_id, client_ids).filter(
        past_due(today), kind=kind, status=InvoiceStatus.AUTHORIZED
    )
    firsts = await first_pages(overdue, "client_id", [date_key("due_date"), SortKey("id")], 0)
    return {client_id: (firsts.get(client_id) or [None])[0] for client_id in client_ids}


async def deal_figures(org_id: int, client_ids: list[int]) -> dict[int, DealFigures]:
    result = {client_id: DealFigures() for client_id in client_ids}
    for row in await _counted(
        Deal, "stage", org_id, client_ids, amount="value", weighted="weighted_value"
    ):
        figures, stage, currency = (
            result[row["client_id"]],
            DealStage(row["stage"]),
            row["currency"],
        )
        figures.by_stage[stage].add(row["n"], currency, summed(row, "amount"))
        if stage not in CLOSED_STAGES:
            weighted = figures.weighted_open
            weighted[currency] = weighted.get(currency, Decimal("0.00")) + summed(row, "weighted")
    return result


async def quote_figures(org_id: int, client_ids: list[int], today: date) -> dict[int, QuoteFigures]:
    late = expired(today)
    sums = exact_sums(Quote, amount="total", late_amount=("total", late))
    rows = await (
        of_clients(Quote, org_id, client_ids)
        .annotate(n=Count("id"), late_n=Count("id", _filter=late), **sums)
        .group_by("client_id", "status", "currency")
        .values("client_id", "status", "currency", "n", "late_n", *sums)
    )
    result = {client_id: QuoteFigures() for client_id in client_ids}
    for row in rows:
        by_state = result[row["client_id"]].by_state
        _split_late(by_state, QuoteState.EXPIRED, QuoteState(row["status"]), row)
    return result


def _split_late(by_state: dict, late_state: StrEnum, other_state: StrEnum, row: dict) -> None:
    """A group's rows and amounts (`n`, `amount`), of which `late_n` and `late_amount` are
    late, counted in the late state and the rest in the other."""
    currency, late_amount = row["currency"], summed(row, "late_amount")
    by_state[late_state].add(row["late_n"], currency, late_amount)
    by_state[other_state].add(
        row["n"] - row["late_n"], currency, summed(row, "amount") - late_amount
    )
