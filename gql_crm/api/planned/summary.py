"""`Client.summary` on the planned path: the database writes the profile's cards as JSON.

Each card is one correlated subquery: an aggregate over the client's rows of its model
(grouped by currency when the card has amounts) with one conditional count, and exact sum,
per figure asked for, from whose rows ("g") the database writes the card's JSON. The
conditions are the ones the executor's cards and the profile's filters use
(services.summary, services.profile), rendered to SQL by Tortoise. They depend on the
organization's today, and invoices on their kind, so a summary's SQL is rendered once per
(today, kinds) and kept; its values, dates and enum values only, are inlined.
"""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from functools import lru_cache
from typing import Any

from graphql import FieldNode, GraphQLObjectType
from graphql.execution.values import get_argument_values
from tortoise.expressions import Q, RawSQL
from tortoise.functions import Count
from tortoise.models import Model

from gql_crm import models
from gql_crm.api.planned.compiler import Fields, Request, Selection, Unplannable, _table
from gql_crm.api.planned.sql import Dialect, literal
from gql_crm.services.deals import CLOSED_STAGES, QuoteState
from gql_crm.services.profile import TaskDue, invoice_state_q, quote_state_q, task_due_q
from gql_crm.services.summary import (
    CENTS_SUFFIX,
    ISSUED_STATES,
    LIVE_ORDER_STATUSES,
    OPEN_TASK_STATUSES,
    InvoiceState,
    exact_sums,
    past_due,
)

# The row depth of the nested objects oldestOverdue's invoice reads ("r6", ...): clear of
# the tabs' rows around it.
OVERDUE_DEPTH = 5

# Renderings kept per summary of a compiled query: one per day and kinds asked for.
RENDERINGS_KEPT = 8


@dataclass
class _Card:
    """One card's aggregate over the client's rows of `model`: its figures, each a count
    (and the exact sum of a column) of the rows meeting a condition."""

    model: type[Model]
    base: list[Q]
    by_currency: bool
    figures: list[tuple[str, Q | None, str | None]] = field(default_factory=list)

    def figure(self, condition: Q | None, column: str | None = None) -> str:
        name = f"f{len(self.figures)}"
        self.figures.append((name, condition, column))
        return name

    def count(self, condition: Q | None) -> str:
        return f'coalesce(sum("g"."{self.figure(condition)}"), 0)'

    def sql(self, json: str) -> str:
        if not self.figures:
            # Nothing of the rows is asked (a card's __typename, kind or hours alone): one
            # object, not one per row.
            return f"(SELECT {json})"
        annotations: dict = {}
        for name, condition, column in self.figures:
            annotations[name] = Count("id", _filter=condition)
            if column:
                spec = column if condition is None else (column, condition)
                annotations.update(exact_sums(self.model, **{name + "_sum": spec}))
        # The client is the one of the statement around: "c", as compiler.ClientObject names it.
        rows = self.model.filter(*self.base, client_id=RawSQL('"c"."id"')).annotate(**annotations)
        columns = list(annotations)
        if self.by_currency:
            rows = rows.group_by("currency").order_by("currency")
            columns.insert(0, "currency")
        return f'(SELECT {json} FROM ({rows.values(*columns).sql(params_inline=True)}) "g")'


def decimal_text(dialect: Dialect, plus: str, minus: str | None = None) -> tuple[str, str]:
    """The text of an exact sum of "g" (less another), as the executor writes a Decimal of
    cents, and the condition that it is not zero.

    On PostgreSQL the sums are NUMERIC. On SQLite they are an integer part and cents
    (services.summary.exact_sums), carried into units and cents without multiplying by
    100, which could overflow 64 bits where the sums themselves do not."""
    if dialect.name == "postgres":
        value = _numeric(plus, minus)
        return f"round({value}, 2)::text", f"({value}) <> 0"
    whole, rest = _units_and_cents(plus, minus)
    text = (
        f"(CASE WHEN {whole} < 0 OR {rest} < 0 THEN '-' ELSE '' END || abs({whole}) || '.' "
        f"|| substr('0' || abs({rest}), -2))"
    )
    return text, f"NOT ({rest} = 0 AND {whole} = 0)"


def decimal_descending(dialect: Dialect, plus: str) -> str:
    """ORDER BY terms putting the greatest exact sum of "g" first."""
    if dialect.name == "postgres":
        return f"{_numeric(plus)} DESC"
    # Units and cents of one sign: ordered as the amount they make.
    whole, rest = _units_and_cents(plus)
    return f"{whole} DESC, {rest} DESC"


def _numeric(plus: str, minus: str | None = None) -> str:
    value = f'coalesce("g"."{plus}", 0)'
    if minus:
        value += f' - coalesce("g"."{minus}", 0)'
    return value


def _units_and_cents(plus: str, minus: str | None = None) -> tuple[str, str]:
    """SQLite: an exact sum's units and cents (of one sign, the cents under 100)."""
    units = f'coalesce("g"."{plus}", 0)'
    cents = f'coalesce("g"."{plus}{CENTS_SUFFIX}", 0)'
    if minus:
        units += f' - coalesce("g"."{minus}", 0)'
        cents += f' - coalesce("g"."{minus}{CENTS_SUFFIX}", 0)'
    whole, rest = f"({units} + ({cents}) / 100)", f"(({cents}) % 100)"
    # Of opposite signs (a difference, a negative amount): one unit is borrowed.
    borrow = f"(({whole} > 0 AND {rest} < 0) - ({whole} < 0 AND {rest} > 0))"
    return f"({whole} - {borrow})", f"({rest} + 100 * {borrow})"


def _name(nodes: list[FieldNode]) -> str:
    return nodes[0].name.value


@dataclass
class _Render:
    """The SQL of one summary selection for one day and the kinds of its invoice cards."""

    dialect: Dialect
    selection: Selection
    today: date
    kinds: Iterator[models.InvoiceKind]

    def object(self, pairs: list[tuple[str, str]]) -> str:
        if len(pairs) > self.dialect.max_object_keys:
            raise Unplannable("too many keys")
        return self.dialect.json_object(pairs)

    def fields(self, type_name: str, nodes: list[FieldNode]) -> Fields:
        return self.selection.sub(type_name, nodes)

    def summary(self, nodes: list[FieldNode]) -> str:
        cards: dict[str, Callable[[list[FieldNode]], str]] = {
            "projects": self.projects,
            "tasks": self.tasks,
            "purchaseOrders": self.purchase_orders,
            "invoices": lambda sub: self.invoices(sub, next(self.kinds)),
            "deals": self.deals,
            "quotes": self.quotes,
        }
        pairs = []
        for key, sub in self.fields("ClientSummary", nodes).items():
            name = _name(sub)
            if name == "__typename":
                pairs.append((key, literal("ClientSummary")))
            elif name in cards:
                pairs.append((key, cards[name](sub)))
            else:
                raise Unplannable(f"ClientSummary.{name}")
        return self.object(pairs)

    def card(self, card: _Card, pairs: list[tuple[str, str]]) -> str:
        """A card's object, written by its aggregate's subquery."""
        return self.dialect.nested(card.sql(self.object(pairs)))

    def figure(
        self,
        card: _Card,
        type_name: str,
        nodes,
        condition: Q | None,
        column: str | None,
        status: Enum | None = None,
    ) -> str:
        """A count and the amounts of `column` (CountAndAmounts, or the figure of `status`;
        a project status's has no amounts)."""
        pairs = []
        for key, sub in self.fields(type_name, nodes).items():
            name = _name(sub)
            if name == "__typename":
                value = literal(type_name)
            elif name == "count":
                value = card.count(condition)
            elif name == "amounts" and column:
                value = self.amounts(card, sub, condition, column)
            elif name in ("status", "stage") and status is not None:
                value = literal(status.name)
            else:
                raise Unplannable(f"{type_name}.{name}")
            pairs.append((key, value))
        return self.object(pairs)

    def by_status(
        self,
        card: _Card,
        type_name: str,
        nodes,
        states: Sequence[Enum],
        condition_of: Callable[[Any], Q],
        column: str | None,
    ) -> str:
        """One figure per state, in the enum's order, zeros included."""
        items = [
            self.figure(card, type_name, nodes, condition_of(state), column, status=state)
            for state in states
        ]
        return self.dialect.json_array(items)

    def amounts(self, card: _Card, nodes, condition: Q | None, column: str) -> str:
        """The amounts of the rows meeting `condition` as api.core.money.money_list writes
        them: one per currency that has one of those rows, by currency code."""
        name = card.figure(condition, column)
        text, _ = decimal_text(self.dialect, name + "_sum")
        return self.money_list(nodes, text, f'"g"."{name}" > 0')

    def money_list(self, nodes, amount: str, where: str) -> str:
        pairs = []
        for key, sub in self.fields("Money", nodes).items():
            name = _name(sub)
            if name == "__typename":
                value = literal("Money")
            elif name == "amount":
                value = amount
            elif name == "currency":
                value = '"g"."currency"'
            else:
                raise Unplannable(f"Money.{name}")
            pairs.append((key, value))
        # The card's rows come by currency (three capital letters, ordered alike by every
        # collation, as Python sorts them).
        return self.dialect.json_list(self.object(pairs), '"g"."currency"', where)

    def projects(self, nodes: list[FieldNode]) -> str:
        card = _Card(models.Project, [], by_currency=False)
        pairs = []
        for key, sub in self.fields("ProjectSummary", nodes).items():
            name = _name(sub)
            if name == "__typename":
                value = literal("ProjectSummary")
            elif name == "count":
                value = card.count(None)
            elif name == "byStatus":
                value = self.by_status(
                    card,
                    "ProjectStatusFigure",
                    sub,
                    list(models.ProjectStatus),
                    lambda s: Q(status=s),
                    None,
                )
            elif name == "hoursLogged":
                hours = _Card(models.TimeLog, [], by_currency=False)
                text, _ = decimal_text(self.dialect, hours.figure(None, "hours") + "_sum")
                value = hours.sql(text)
            elif name == "hoursByUser":
                value = self.hours_by_user(sub)
            else:
                raise Unplannable(f"ProjectSummary.{name}")
            pairs.append((key, value))
        return self.card(card, pairs)

    def hours_by_user(self, nodes: list[FieldNode]) -> str:
        """services.projects.client_hours_per_user: the exact sum of each user's hours over
        the client's time logs, most first, then by user with a deleted one (null) last;
        each user read as load_node reads one (another organization's is null)."""
        from gql_crm.api.planned.tabs import Builder

        d, user_row = self.dialect, '"hu"'
        # A user's node reads no rows of its own: no depth to keep clear of.
        builder = Builder(d, self.selection, 0)
        pairs = []
        for key, sub in self.fields("UserHours", nodes).items():
            name = _name(sub)
            if name == "__typename":
                value = literal("UserHours")
            elif name == "hours":
                value, _ = decimal_text(d, "hours_sum")
            else:
                user = builder.node("User", sub, user_row)
                value = d.nested(
                    f'(SELECT {user} FROM {_table(models.User)} {user_row} WHERE {user_row}."id" '
                    f'= "g"."user_id" AND {user_row}."organization_id" = "c"."organization_id")'
                )
            pairs.append((key, value))
        if builder.fragments:
            raise Unplannable("a request-dependent part in hoursByUser")
        sums = exact_sums(models.TimeLog, hours_sum="hours")
        rows = (
            models.TimeLog.filter(client_id=RawSQL('"c"."id"'))
            .annotate(**sums)
            .group_by("user_id")
            .values("user_id", *sums)
        )
        order = f'{decimal_descending(d, "hours_sum")}, "g"."user_id" IS NULL, "g"."user_id"'
        return d.nested(
            f"(SELECT {d.json_list(self.object(pairs), order)} FROM (SELECT * FROM "
            f'({rows.sql(params_inline=True)}) "g" ORDER BY {order}) "g")'
        )

    def tasks(self, nodes: list[FieldNode]) -> str:
        card = _Card(models.Task, [Q(status__in=OPEN_TASK_STATUSES)], by_currency=False)
        pairs = []
        for key, sub in self.fields("TaskSummary", nodes).items():
            name = _name(sub)
            if name == "__typename":
                value = literal("TaskSummary")
            elif name in ("overdue", "pending", "upcoming"):
                value = card.count(task_due_q(TaskDue(name.upper()), self.today))
            else:
                raise Unplannable(f"TaskSummary.{name}")
            pairs.append((key, value))
        return self.card(card, pairs)

    def purchase_orders(self, nodes: list[FieldNode]) -> str:
        card = _Card(models.PurchaseOrder, [], by_currency=True)
        live = Q(status__in=list(LIVE_ORDER_STATUSES))
        pairs = []
        for key, sub in self.fields("PurchaseOrderSummary", nodes).items():
            name = _name(sub)
            if name == "__typename":
                value = literal("PurchaseOrderSummary")
            elif name == "count":
                value = card.count(live)
            elif name == "total":
                value = self.amounts(card, sub, live, "total")
            elif name == "closedCount":
                value = card.count(Q(status=models.PurchaseOrderStatus.CLOSED))
            elif name == "byStatus":
                value = self.by_status(
                    card,
                    "PurchaseOrderStatusFigure",
                    sub,
                    list(models.PurchaseOrderStatus),
                    lambda s: Q(status=s),
                    "total",
                )
            else:
                raise Unplannable(f"PurchaseOrderSummary.{name}")
            pairs.append((key, value))
        return self.card(card, pairs)

    def invoices(self, nodes: list[FieldNode], kind: models.InvoiceKind) -> str:
        card = _Card(models.Invoice, [Q(kind=kind)], by_currency=True)

        def state_q(state) -> Q:
            return invoice_state_q(state, self.today)

        states = {
            "pending": [InvoiceState.PENDING],
            "overdue": [InvoiceState.OVERDUE],
            "paid": [InvoiceState.PAID],
            "authorized": list(ISSUED_STATES),
        }
        pairs = []
        for key, sub in self.fields("InvoiceSummary", nodes).items():
            name = _name(sub)
            if name == "__typename":
                value = literal("InvoiceSummary")
            elif name == "kind":
                value = literal(kind.name)
            elif name in states:
                condition = Q(*map(state_q, states[name]), join_type="OR")
                value = self.figure(card, "CountAndAmounts", sub, condition, "total")
            elif name == "amountDue":
                # What is owed of PENDING and OVERDUE invoices: the AUTHORIZED status.
                owed = Q(status=models.InvoiceStatus.AUTHORIZED)
                total, paid = card.figure(owed, "total"), card.figure(owed, "amount_paid")
                text, nonzero = decimal_text(self.dialect, total + "_sum", paid + "_sum")
                value = self.money_list(sub, text, f'"g"."{total}" > 0 AND {nonzero}')
            elif name == "byStatus":
                value = self.by_status(
                    card, "InvoiceStatusFigure", sub, list(InvoiceState), state_q, "total"
                )
            elif name == "oldestOverdue":
                value = self.oldest_overdue(sub, kind)
            else:
                raise Unplannable(f"InvoiceSummary.{name}")
            pairs.append((key, value))
        return self.card(card, pairs)

    def oldest_overdue(self, nodes: list[FieldNode], kind: models.InvoiceKind) -> str:
        """The OVERDUE invoice with the earliest due date (then the lowest id), as
        services.summary.oldest_overdue picks it, read into the row "oo"."""
        from gql_crm.api.planned.tabs import Builder, Today

        d, row = self.dialect, '"oo"'
        today = literal(self.today.isoformat())
        # The invoice's own fields as the tabs write them, today inlined like the cards'.
        builder = Builder(d, self.selection, OVERDUE_DEPTH)
        pairs = []
        for key, sub in self.fields("OverdueInvoice", nodes).items():
            name = _name(sub)
            if name == "__typename":
                value = literal("OverdueInvoice")
            elif name == "invoice":
                value = builder.node("Invoice", sub, row)
            elif name == "dueDate":
                value = d.date(f'{row}."due_date"')
            elif name == "daysOverdue":
                value = d.days_between(today, f'{row}."due_date"')
            else:
                due = d.money_difference(f'{row}."total"', f'{row}."amount_paid"')
                value = builder.money(sub, due, f'{row}."currency"')
            pairs.append((key, value))
        json = self.object(pairs)
        for number, fragment in enumerate(builder.fragments):
            if not isinstance(fragment, Today):
                raise Unplannable("a request-dependent part in oldestOverdue")
            json = json.replace(f"@@slot{number}@@", today)
        overdue = (
            models.Invoice.filter(
                past_due(self.today),
                kind=kind,
                status=models.InvoiceStatus.AUTHORIZED,
                client_id=RawSQL('"c"."id"'),
            )
            .order_by("due_date", "id")
            .limit(1)
        )
        rows = overdue.sql(params_inline=True)
        return self.dialect.nested(f"(SELECT {json} FROM ({rows}) {row})")

    def deals(self, nodes: list[FieldNode]) -> str:
        card = _Card(models.Deal, [], by_currency=True)
        open_ = Q(stage__in=[s for s in models.DealStage if s not in CLOSED_STAGES])
        figures = {
            "open": open_,
            "won": Q(stage=models.DealStage.WON),
            "lost": Q(stage=models.DealStage.LOST),
        }
        pairs = []
        for key, sub in self.fields("DealSummary", nodes).items():
            name = _name(sub)
            if name == "__typename":
                value = literal("DealSummary")
            elif name in figures:
                value = self.figure(card, "CountAndAmounts", sub, figures[name], "value")
            elif name == "weightedOpen":
                # A currency of the open deals, even when none has a probability (0.00).
                weighted = card.figure(open_, "weighted_value")
                text, _ = decimal_text(self.dialect, weighted + "_sum")
                value = self.money_list(sub, text, f'"g"."{weighted}" > 0')
            elif name == "byStage":
                value = self.by_status(
                    card,
                    "DealStageFigure",
                    sub,
                    list(models.DealStage),
                    lambda s: Q(stage=s),
                    "value",
                )
            else:
                raise Unplannable(f"DealSummary.{name}")
            pairs.append((key, value))
        return self.card(card, pairs)

    def quotes(self, nodes: list[FieldNode]) -> str:
        card = _Card(models.Quote, [], by_currency=True)
        pairs = []
        for key, sub in self.fields("QuoteSummary", nodes).items():
            name = _name(sub)
            if name == "__typename":
                value = literal("QuoteSummary")
            elif name == "byStatus":
                value = self.by_status(
                    card,
                    "QuoteStatusFigure",
                    sub,
                    list(QuoteState),
                    lambda s: quote_state_q(s, self.today),
                    "total",
                )
            else:
                raise Unplannable(f"QuoteSummary.{name}")
            pairs.append((key, value))
        return self.card(card, pairs)


class SummaryExpression:
    """`Client.summary` selected by `nodes`, over the client "c": a fragment of its SQL."""

    def __init__(self, dialect: Dialect, selection: Selection, nodes: list[FieldNode]):
        self.dialect, self.selection, self.nodes = dialect, selection, nodes
        summary_type = selection.schema.get_type("ClientSummary")
        assert isinstance(summary_type, GraphQLObjectType)
        self.invoices_field = summary_type.fields["invoices"]
        self.kind_nodes = [
            sub[0]
            for sub in selection.sub("ClientSummary", nodes).values()
            if _name(sub) == "invoices"
        ]
        self._rendered = lru_cache(maxsize=RENDERINGS_KEPT)(self._render)
        # Rendered once now, so that a field it does not cover leaves the whole query to
        # the executor at compile time (the kinds do not change which fields it covers).
        self._render(date.today(), tuple(models.InvoiceKind.SALE for _ in self.kind_nodes))

    def _render(self, today: date, kinds: tuple[models.InvoiceKind, ...]) -> str:
        return _Render(self.dialect, self.selection, today, iter(kinds)).summary(self.nodes)

    def sql(self, request: Request) -> tuple[str, list]:
        """Its SQL (a compiler.Fragment's), whose values are inlined: no parameters."""
        kinds = tuple(
            models.InvoiceKind(
                get_argument_values(self.invoices_field, node, request.variables)["kind"]
            )
            for node in self.kind_nodes
        )
        return self._rendered(request.today, kinds), []
