"""`Client.summary`: the profile's cards and pie charts. Each card is one DataLoader whose
batch runs one grouped aggregate for every client of the request, so a page of 50 clients
costs the same statements as a page of 5."""

from datetime import date
from decimal import Decimal

import strawberry
from strawberry.types import Info

from gql_crm import models
from gql_crm.api import docs
from gql_crm.api.billing.types import Invoice, InvoiceKind, InvoiceStatus, PurchaseOrderStatus
from gql_crm.api.core.money import Money, money_list
from gql_crm.api.deals.types import DealStage, QuoteStatus
from gql_crm.api.projects.types import ProjectStatus, UserHours
from gql_crm.services import projects, summary


@strawberry.type(description="A number of records and their amounts, one per currency.")
class CountAndAmounts:
    count: int = strawberry.field(description="How many records.")
    amounts: list[Money] = strawberry.field(description="One entry per currency.")

    @classmethod
    def of(cls, figure: summary.Figure) -> "CountAndAmounts":
        return cls(count=figure.count, amounts=money_list(figure.amounts))


@strawberry.type(description="How many projects have one status.")
class ProjectStatusFigure:
    status: ProjectStatus = strawberry.field(description="The status.")
    count: int = strawberry.field(description="Projects in it.")


@strawberry.type(description="The projects card.")
class ProjectSummary:
    client_id: strawberry.Private[int]
    count: int = strawberry.field(description="Projects of every status.")
    by_status: list[ProjectStatusFigure] = strawberry.field(
        description="One entry per status, zeros included, in the enum's order."
    )
    hours_logged: Decimal = strawberry.field(description="Every hour logged on its projects.")

    @strawberry.field(
        description="The hours logged on its projects by each user, most hours first (then by "
        "user); a user since deleted reads as a null user."
    )
    async def hours_by_user(self, info: Info) -> list[UserHours]:
        entries = await _load(info, "hours_by_user", projects.client_hours_per_user, self.client_id)
        return await UserHours.of(info, entries)


@strawberry.type(description="Tasks not DONE, by due date; today is the organization's.")
class TaskSummary:
    overdue: int = strawberry.field(description="Due before today.")
    pending: int = strawberry.field(description="Due today or later, or with no due date.")
    upcoming: int = strawberry.field(
        description=f"Due from today to today + {summary.UPCOMING_DAYS} days, both included."
    )


@strawberry.type(description="Purchase orders of one status and their totals.")
class PurchaseOrderStatusFigure:
    status: PurchaseOrderStatus = strawberry.field(description="The status.")
    count: int = strawberry.field(description="Orders in it.")
    amounts: list[Money] = strawberry.field(description="Their totals, one per currency.")


@strawberry.type(description="The purchase orders card.")
class PurchaseOrderSummary:
    count: int = strawberry.field(description="OPEN and CLOSED orders (not CANCELED).")
    total: list[Money] = strawberry.field(description="Their total, one entry per currency.")
    closed_count: int = strawberry.field(description="CLOSED orders.")
    by_status: list[PurchaseOrderStatusFigure] = strawberry.field(
        description="OPEN, CLOSED and CANCELED, zeros included."
    )


@strawberry.type(description="Invoices of one status and their totals.")
class InvoiceStatusFigure:
    status: InvoiceStatus = strawberry.field(description="The status.")
    count: int = strawberry.field(description="Invoices in it.")
    amounts: list[Money] = strawberry.field(description="Invoice totals, one per currency.")


@strawberry.type(description="An OVERDUE invoice: when it was due and what is still owed.")
class OverdueInvoice:
    invoice: Invoice = strawberry.field(description="The invoice.")
    due_date: date = strawberry.field(description="Its due date.")
    days_overdue: int = strawberry.field(
        description="Days since the due date (1 the day after it, organization's today)."
    )
    amount_due: Money = strawberry.field(description="Its total minus its payments.")

    @classmethod
    def of(cls, row: models.Invoice, today: date) -> "OverdueInvoice":
        assert row.due_date is not None
        return cls(
            invoice=Invoice.from_model(row),
            due_date=row.due_date,
            days_overdue=summary.days_overdue(row, today),
            amount_due=Money(amount=row.total - row.amount_paid, currency=row.currency),
        )


@strawberry.type(
    description="Amounts are invoice totals (tax included), one per currency; "
    "today is the organization's."
)
class InvoiceSummary:
    client_id: strawberry.Private[int]
    kind: InvoiceKind = strawberry.field(description="Sales or purchase invoices.")
    authorized: CountAndAmounts = strawberry.field(
        description="Every issued invoice: authorized, paid or not (PENDING + OVERDUE + PAID)."
    )
    pending: CountAndAmounts = strawberry.field(
        description="Authorized, unpaid or partly paid, due today or later or undated."
    )
    overdue: CountAndAmounts = strawberry.field(
        description="Authorized, not fully paid, due before today."
    )
    paid: CountAndAmounts = strawberry.field(description="Fully paid.")
    amount_due: list[Money] = strawberry.field(
        description="What is still to be paid of PENDING and OVERDUE invoices, per currency."
    )
    by_status: list[InvoiceStatusFigure] = strawberry.field(
        description="A partition of every invoice by state (DRAFT, PENDING, OVERDUE, PAID, "
        "CANCELED), zeros included: ready for a pie chart."
    )

    @strawberry.field(
        description="The OVERDUE invoice with the earliest due date (of equal dates, the "
        "first created), whatever its currency; null when none is overdue."
    )
    async def oldest_overdue(self, info: Info) -> OverdueInvoice | None:
        today, kind = info.context.today, self.kind
        row = await _load(
            info,
            f"oldest_overdue.{kind}",
            lambda org, ids: summary.oldest_overdue(org, ids, kind, today),
            self.client_id,
        )
        return OverdueInvoice.of(row, today) if row else None


@strawberry.type(description="Deals in one stage and their values.")
class DealStageFigure:
    stage: DealStage = strawberry.field(description="The stage.")
    count: int = strawberry.field(description="Deals in it.")
    amounts: list[Money] = strawberry.field(description="Their values, one per currency.")


@strawberry.type(description="The deals card: the pipeline.")
class DealSummary:
    open: CountAndAmounts = strawberry.field(
        description="Deals not WON or LOST; their amounts are the pipeline value."
    )
    won: CountAndAmounts = strawberry.field(description="Deals in the WON stage, by value.")
    lost: CountAndAmounts = strawberry.field(description="Deals in the LOST stage, by value.")
    weighted_open: list[Money] = strawberry.field(
        description="The weighted pipeline: the open deals' weighted values (value × "
        "probability / 100, each rounded to the cent) summed, one entry per currency of the "
        "open deals; a deal without a probability adds nothing."
    )
    by_stage: list[DealStageFigure] = strawberry.field(
        description="Every stage in pipeline order, zeros included."
    )


@strawberry.type(description="Quotes of one status and their totals.")
class QuoteStatusFigure:
    status: QuoteStatus = strawberry.field(description="The status.")
    count: int = strawberry.field(description="Quotes in it.")
    amounts: list[Money] = strawberry.field(description="Their totals, one per currency.")


@strawberry.type(description="The quotes card.")
class QuoteSummary:
    by_status: list[QuoteStatusFigure] = strawberry.field(
        description="Every quote by status (EXPIRED: DRAFT or SENT past validUntil), zeros "
        "included."
    )


def _load(info: Info, name: str, compute, client_id: int):
    """The figures of `client_id`, computed with every other client of the request at once."""
    return info.context.loaders.figures(("summary", name), compute).load(client_id)


@strawberry.type(description="The profile's cards, computed by the database.")
class ClientSummary:
    client_id: strawberry.Private[int]

    @strawberry.field(description="Projects by status and the hours logged on them.")
    async def projects(self, info: Info) -> ProjectSummary:
        figures = await _load(info, "projects", summary.project_figures, self.client_id)
        hours = await _load(info, "hours", summary.hours_logged, self.client_id)
        return ProjectSummary(
            client_id=self.client_id,
            count=sum(figures.by_status.values()),
            by_status=[
                ProjectStatusFigure(status=s, count=figures.by_status.get(s, 0))
                for s in models.ProjectStatus
            ],
            hours_logged=hours,
        )

    @strawberry.field(description="Open tasks by due date.")
    async def tasks(self, info: Info) -> TaskSummary:
        today = info.context.today
        figures = await _load(
            info, "tasks", lambda org, ids: summary.task_figures(org, ids, today), self.client_id
        )
        return TaskSummary(
            overdue=figures.overdue, pending=figures.pending, upcoming=figures.upcoming
        )

    @strawberry.field(description="Purchase orders and their totals.")
    async def purchase_orders(self, info: Info) -> PurchaseOrderSummary:
        figures = await _load(
            info, "purchase_orders", summary.purchase_order_figures, self.client_id
        )
        live = figures.live
        return PurchaseOrderSummary(
            count=live.count,
            total=money_list(live.amounts),
            closed_count=figures.by_status[models.PurchaseOrderStatus.CLOSED].count,
            by_status=[
                PurchaseOrderStatusFigure(status=s, count=f.count, amounts=money_list(f.amounts))
                for s, f in figures.by_status.items()
            ],
        )

    @strawberry.field(description="Sales or purchase invoices.")
    async def invoices(
        self,
        info: Info,
        kind: docs.argument(
            InvoiceKind, "SALE: what the client owes us; PURCHASE: what we owe the client."
        ),
    ) -> InvoiceSummary:
        today, stored_kind = info.context.today, models.InvoiceKind(kind.value)
        figures = await _load(
            info,
            f"invoices.{stored_kind.value}",
            lambda org, ids: summary.invoice_figures(org, ids, stored_kind, today),
            self.client_id,
        )
        state = figures.by_state
        return InvoiceSummary(
            client_id=self.client_id,
            kind=stored_kind,
            authorized=CountAndAmounts.of(figures.authorized),
            pending=CountAndAmounts.of(state[summary.InvoiceState.PENDING]),
            overdue=CountAndAmounts.of(state[summary.InvoiceState.OVERDUE]),
            paid=CountAndAmounts.of(state[summary.InvoiceState.PAID]),
            amount_due=money_list(figures.amount_due),
            by_status=[
                InvoiceStatusFigure(status=s, count=f.count, amounts=money_list(f.amounts))
                for s, f in state.items()
            ],
        )

    @strawberry.field(description="The pipeline: open, won and lost deals.")
    async def deals(self, info: Info) -> DealSummary:
        figures = await _load(info, "deals", summary.deal_figures, self.client_id)
        stages = figures.by_stage
        return DealSummary(
            open=CountAndAmounts.of(figures.open),
            won=CountAndAmounts.of(stages[models.DealStage.WON]),
            lost=CountAndAmounts.of(stages[models.DealStage.LOST]),
            weighted_open=money_list(figures.weighted_open),
            by_stage=[
                DealStageFigure(stage=s, count=f.count, amounts=money_list(f.amounts))
                for s, f in stages.items()
            ],
        )

    @strawberry.field(description="Quotes by status.")
    async def quotes(self, info: Info) -> QuoteSummary:
        today = info.context.today
        figures = await _load(
            info,
            "quotes",
            lambda org, ids: summary.quote_figures(org, ids, today),
            self.client_id,
        )
        return QuoteSummary(
            by_status=[
                QuoteStatusFigure(status=s, count=f.count, amounts=money_list(f.amounts))
                for s, f in figures.by_state.items()
            ]
        )
