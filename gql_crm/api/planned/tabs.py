"""A client's profile tabs on the planned path: each tab (projects, tasks, invoices, ...) is a
subquery of the client's statement that writes the whole connection, its count, page info,
cursors and nodes (with their lines, payments, quotes and related users), in JSON.

A tab's rows come from the executor's own code: the list's filters (services/profile.py),
its order and cursors (services/pagination.page_query), with the parent client as a column
of the enclosing query. Each row of a page is read once, and every value is formatted by
the database as the executor writes it; what is not covered raises Unplannable.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from functools import lru_cache
from typing import Any

from graphql import FieldNode, GraphQLList, GraphQLNonNull, GraphQLObjectType
from tortoise.expressions import RawSQL
from tortoise.models import Model

from gql_crm import models
from gql_crm.api.billing.types import invoice_filters
from gql_crm.api.core.nested import nested_order
from gql_crm.api.deals.types import quote_filters
from gql_crm.api.planned.compiler import (
    Fragment,
    Request,
    Selection,
    Unplannable,
    _name,
    _sql,
    _table,
    converted_arguments,
    expand,
    raw_arguments,
    render,
)
from gql_crm.api.planned.links import Link
from gql_crm.api.planned.sql import Dialect, literal
from gql_crm.api.profile.client_tabs import (
    activity_filters,
    deal_filters,
    project_filters,
    purchase_order_filters,
)
from gql_crm.api.projects.types import task_filters
from gql_crm.services import activity, profile
from gql_crm.services.imports.options import ImportMode
from gql_crm.services.pagination import PaginationError, SortKey, page_query
from gql_crm.services.profile import NestedFilter, NestedList, NestedOrderField


@dataclass(frozen=True)
class ListKind:
    """A nested list as the API offers it: its rows, its filters from its arguments, its
    default order."""

    kind: NestedList
    filters: Callable[[dict, Request], NestedFilter]
    default_order: str = "CREATED_AT"


CLIENT_TABS: dict[str, ListKind] = {
    "projects": ListKind(NestedList.PROJECTS, lambda a, r: project_filters(a.get("status"))),
    "tasks": ListKind(NestedList.TASKS, lambda a, r: task_filters(a.get("status"), a.get("due"))),
    "invoices": ListKind(
        NestedList.INVOICES,
        lambda a, r: invoice_filters(a.get("kind"), a.get("status")),
        "ISSUE_DATE",
    ),
    "purchaseOrders": ListKind(
        NestedList.PURCHASE_ORDERS,
        lambda a, r: purchase_order_filters(a.get("status")),
        "ISSUE_DATE",
    ),
    "deals": ListKind(NestedList.DEALS, lambda a, r: deal_filters(a.get("stage"))),
    "quotes": ListKind(NestedList.QUOTES, lambda a, r: quote_filters(a.get("status"))),
    "files": ListKind(NestedList.FILES, lambda a, r: NestedFilter()),
    "activity": ListKind(
        NestedList.ACTIVITY,
        lambda a, r: activity_filters(
            r.organization,
            a.get("target_type"),
            a.get("verb"),
            a.get("actor_id"),
            a.get("since"),
            a.get("until"),
        ),
    ),
}
# A deal's own list of quotes, the one nested list a tab's nodes offer.
DEAL_QUOTES = ListKind(NestedList.QUOTES, lambda a, r: quote_filters(a.get("status")))


@dataclass
class Fixed:
    """A fragment already made for this request."""

    text: str
    params: list

    def sql(self, request: Request) -> tuple[str, list]:
        return self.text, self.params


@dataclass
class Today:
    """The organization's date, one placeholder."""

    dialect: Dialect

    def sql(self, request: Request) -> tuple[str, list]:
        return self.dialect.placeholder(1), [request.today]


# How each node type's plain fields read from its row: (kind, column).
TEXT, INT, BOOL, DATE, DATETIME, DECIMAL, MONEY, MONEY_OR_NULL = (
    "text",
    "int",
    "bool",
    "date",
    "datetime",
    "decimal",
    "money",
    "money_or_null",
)
LINE_FIELDS = {
    "position": (INT, "position"),
    "description": (TEXT, "description"),
    "quantity": (DECIMAL, "quantity"),
    "unitPrice": (MONEY, "unit_price"),
    "taxRate": (DECIMAL, "tax_rate"),
    "subtotal": (MONEY, "subtotal"),
    "tax": (MONEY, "tax"),
    "total": (MONEY, "total"),
}
PAYMENT_FIELDS = {
    "amount": (MONEY, "amount"),
    "date": (DATE, "date"),
    "createdAt": (DATETIME, "created_at"),
}
NODE_FIELDS: dict[str, dict[str, tuple[Any, str]]] = {
    "Project": {
        "name": (TEXT, "name"),
        "status": (TEXT, "status"),
        "startDate": (DATE, "start_date"),
        "deadline": (DATE, "deadline"),
        "budget": (MONEY_OR_NULL, "budget"),
        "hourlyRate": (MONEY_OR_NULL, "hourly_rate"),
        "createdAt": (DATETIME, "created_at"),
        "updatedAt": (DATETIME, "updated_at"),
    },
    "Task": {
        "title": (TEXT, "title"),
        "description": (TEXT, "description"),
        "status": (TEXT, "status"),
        "priority": (models.TaskPriority, "priority"),
        "dueDate": (DATE, "due_date"),
        "createdAt": (DATETIME, "created_at"),
        "updatedAt": (DATETIME, "updated_at"),
    },
    "Invoice": {
        "kind": (TEXT, "kind"),
        "number": (TEXT, "number"),
        "issueDate": (DATE, "issue_date"),
        "dueDate": (DATE, "due_date"),
        "subtotal": (MONEY, "subtotal"),
        "taxTotal": (MONEY, "tax_total"),
        "total": (MONEY, "total"),
        "amountPaid": (MONEY, "amount_paid"),
        "authorizedAt": (DATETIME, "authorized_at"),
        "paidAt": (DATE, "paid_at"),
        "createdAt": (DATETIME, "created_at"),
    },
    "PurchaseOrder": {
        "number": (TEXT, "number"),
        "status": (TEXT, "status"),
        "issueDate": (DATE, "issue_date"),
        "expectedDeliveryDate": (DATE, "expected_delivery_date"),
        "subtotal": (MONEY_OR_NULL, "subtotal"),
        "taxTotal": (MONEY_OR_NULL, "tax_total"),
        "total": (MONEY, "total"),
        "description": (TEXT, "description"),
        "createdAt": (DATETIME, "created_at"),
    },
    "Deal": {
        "title": (TEXT, "title"),
        "value": (MONEY, "value"),
        "stage": (TEXT, "stage"),
        "expectedCloseDate": (DATE, "expected_close_date"),
        "closedAt": (DATETIME, "closed_at"),
        "probability": (INT, "probability"),
        "weightedValue": (MONEY_OR_NULL, "weighted_value"),
        "createdAt": (DATETIME, "created_at"),
        "updatedAt": (DATETIME, "updated_at"),
    },
    "Quote": {
        "number": (TEXT, "number"),
        "validUntil": (DATE, "valid_until"),
        "subtotal": (MONEY, "subtotal"),
        "taxTotal": (MONEY, "tax_total"),
        "total": (MONEY, "total"),
        "sentAt": (DATETIME, "sent_at"),
        "acceptedAt": (DATETIME, "accepted_at"),
        "declinedAt": (DATETIME, "declined_at"),
        "createdAt": (DATETIME, "created_at"),
    },
    "File": {
        "name": (TEXT, "name"),
        "description": (TEXT, "description"),
        "size": (INT, "size"),
        "contentType": (TEXT, "content_type"),
        "sha256": (TEXT, "sha256"),
        "createdAt": (DATETIME, "created_at"),
    },
    "Activity": {
        "verb": (activity.Verb, "verb"),
        "targetType": (activity.TargetType, "target_type"),
        "createdAt": (DATETIME, "created_at"),
    },
    "User": {
        "email": (TEXT, "email"),
        "role": (TEXT, "role"),
        "createdAt": (DATETIME, "created_at"),
    },
    "ImportJob": {
        # Stored as the enum's name.
        "status": (TEXT, "status"),
        "fileName": (TEXT, "file_name"),
        "dryRun": (BOOL, "dry_run"),
        "totalRows": (INT, "total_rows"),
        "processedRows": (INT, "processed_rows"),
        "created": (INT, "created_count"),
        "updated": (INT, "updated_count"),
        "skipped": (INT, "skipped_count"),
        "failed": (INT, "failed_count"),
        "failureReason": (TEXT, "failure_reason"),
        "createdAt": (DATETIME, "created_at"),
        "startedAt": (DATETIME, "started_at"),
        "finishedAt": (DATETIME, "finished_at"),
    },
}
NODE_MODELS: dict[str, type[Model]] = {
    "Project": models.Project,
    "Task": models.Task,
    "Invoice": models.Invoice,
    "PurchaseOrder": models.PurchaseOrder,
    "Deal": models.Deal,
    "Quote": models.Quote,
    "File": models.File,
    "Activity": models.Activity,
    "User": models.User,
    "ImportJob": models.ImportJob,
}
# Related nodes a node shows, loaded like load_node: (its type, the foreign key column).
RELATED: dict[tuple[str, str], tuple[str, str]] = {
    ("Task", "project"): ("Project", "project_id"),
    ("Task", "assignee"): ("User", "assignee_id"),
    ("Deal", "owner"): ("User", "owner_id"),
    ("Quote", "deal"): ("Deal", "deal_id"),
    ("File", "uploadedBy"): ("User", "uploaded_by_id"),
    ("Activity", "actor"): ("User", "actor_id"),
    ("Activity", "importJob"): ("ImportJob", "import_job_id"),
}
# An import job's fields read from its JSON columns: (column, member, JSON without one).
IMPORT_JOB_SETTINGS: dict[str, tuple[str, str | None, str]] = {
    "mode": ("options", "mode", json.dumps(ImportMode.SKIP_EXISTING.value)),
    "matchOn": ("options", "match_on", "[]"),
    "unknownColumns": ("unknown_columns", None, "[]"),
    "ignoredColumns": ("mapping", "ignored", "[]"),
}
# Lines and payments: (item type, model, parent column, order).
CHILDREN: dict[tuple[str, str], tuple[str, type[Model], str, tuple[str, ...]]] = {
    ("Invoice", "lines"): ("InvoiceLine", models.InvoiceLine, "invoice_id", ("position", "id")),
    ("Invoice", "payments"): (
        "InvoicePayment",
        models.InvoicePayment,
        "invoice_id",
        ("invoice_id", "date", "id"),
    ),
    ("PurchaseOrder", "lines"): (
        "PurchaseOrderLine",
        models.PurchaseOrderLine,
        "purchase_order_id",
        ("position", "id"),
    ),
    ("Quote", "lines"): ("QuoteLine", models.QuoteLine, "quote_id", ("position", "id")),
}


def _unwrap(graphql_type: Any) -> Any:
    while isinstance(graphql_type, (GraphQLNonNull, GraphQLList)):
        graphql_type = graphql_type.of_type
    return graphql_type


def _stored(value: Any) -> str:
    return str(value) if isinstance(value, int) else literal(str(value))


def _row_columns(model: type[Model]) -> list[str]:
    meta = model._meta
    foreign_keys = [str(meta.fields_map[fk].source_field) for fk in meta.fk_fields]
    return list(dict.fromkeys([*meta.fields_db_projection, *foreign_keys]))


@dataclass
class Builder:
    """Writes the JSON of objects read from a row alias; request-dependent parts (today, a
    nested list's page) go to `fragments`, behind slots."""

    dialect: Dialect
    selection: Selection
    depth: int
    fragments: list[Fragment] = field(default_factory=list)

    def slot(self, fragment: Fragment) -> str:
        self.fragments.append(fragment)
        return f"@@slot{len(self.fragments) - 1}@@"

    def object(self, pairs: list[tuple[str, str]]) -> str:
        if len(pairs) > self.dialect.max_object_keys:
            raise Unplannable("too many keys")
        return self.dialect.json_object(pairs)

    def value(
        self,
        kind: Any,
        model: type[Model],
        row: str,
        column: str,
        currency: str,
        nodes: list[FieldNode],
    ) -> str:
        d = self.dialect
        ref = f'{row}."{column}"'
        if kind in (TEXT, INT):
            return ref
        if kind == BOOL:
            return d.boolean(ref)
        if kind == DATE:
            return d.date(ref)
        if kind == DATETIME:
            return d.datetime(ref)
        if isinstance(kind, type) and issubclass(kind, Enum):
            # The enum's names, from the values stored.
            cases = " ".join(f"WHEN {_stored(m.value)} THEN {literal(m.name)}" for m in kind)
            return f"CASE {ref} {cases} END"
        amount = d.decimal(ref, model._meta.fields_map[column].decimal_places)  # type: ignore[attr-defined]
        if kind == DECIMAL:
            return amount
        money = self.money(nodes, amount, currency)
        return money if kind == MONEY else f"CASE WHEN {ref} IS NULL THEN NULL ELSE {money} END"

    def node(self, type_name: str, nodes: list[FieldNode], row: str) -> str:
        """The JSON of the `type_name` node in `row`, with the fields selected by `nodes`."""
        fields = self.selection.sub(type_name, nodes)
        model = NODE_MODELS[type_name]
        plain = NODE_FIELDS[type_name]
        d = self.dialect
        pairs = []
        for key, field_nodes in fields.items():
            name = _name(field_nodes)
            if name == "__typename":
                value = literal(type_name)
            elif name == "id":
                value = d.global_id(type_name, f'{row}."id"')
            elif name in plain:
                kind, column = plain[name]
                value = self.value(kind, model, row, column, f'{row}."currency"', field_nodes)
            elif (type_name, name) in RELATED:
                value = self.related(type_name, name, field_nodes, row)
            elif (type_name, name) in CHILDREN:
                value = self.children(type_name, name, field_nodes, row)
            else:
                value = self.derived(type_name, name, field_nodes, row)
            pairs.append((key, value))
        return self.object(pairs)

    def related(self, type_name: str, name: str, nodes: list[FieldNode], row: str) -> str:
        related_type, column = RELATED[(type_name, name)]
        inner = f'"r{self.depth + 1}"'
        builder = Builder(self.dialect, self.selection, self.depth + 1, self.fragments)
        node = builder.node(related_type, nodes, inner)
        # Scoped like the DataLoaders: a row of another organization reads as null.
        return self.dialect.nested(
            f"(SELECT {node} FROM {_table(NODE_MODELS[related_type])} {inner} "
            f'WHERE {inner}."id" = {row}."{column}" '
            f'AND {inner}."organization_id" = "c"."organization_id")'
        )

    def children(self, type_name: str, name: str, nodes: list[FieldNode], row: str) -> str:
        item_type, model, parent, order = CHILDREN[(type_name, name)]
        inner = f'"r{self.depth + 1}"'
        fields = self.selection.sub(item_type, nodes)
        plain = LINE_FIELDS if model is not models.InvoicePayment else PAYMENT_FIELDS
        pairs = []
        for key, field_nodes in fields.items():
            field_name = _name(field_nodes)
            if field_name == "__typename":
                value = literal(item_type)
            elif field_name in plain:
                kind, column = plain[field_name]
                value = self.value(kind, model, inner, column, f'{row}."currency"', field_nodes)
            else:
                raise Unplannable(f"{item_type}.{field_name}")
            pairs.append((key, value))
        ordering = ", ".join(f'{inner}."{column}"' for column in order)
        return self.dialect.nested(
            f"(SELECT {self.dialect.json_list(self.object(pairs), ordering)} "
            f"FROM (SELECT * FROM {_table(model)} {inner} "
            f'WHERE {inner}."{parent}" = {row}."id" '
            f'AND {inner}."organization_id" = "c"."organization_id" ORDER BY {ordering}) {inner})'
        )

    def derived(self, type_name: str, name: str, nodes: list[FieldNode], row: str) -> str:
        """Fields the executor computes from a row and the organization's today."""
        d = self.dialect
        if type_name == "Task" and name == "isOverdue":
            return d.boolean(
                f'{row}."status" <> \'DONE\' AND {row}."due_date" IS NOT NULL '
                f'AND {row}."due_date" < {self.slot(Today(d))}'
            )
        if type_name == "Invoice" and name in ("status", "daysOverdue", "amountDue"):
            late = (
                f'{row}."status" = \'AUTHORIZED\' AND {row}."due_date" IS NOT NULL '
                f'AND {row}."due_date" < {self.slot(Today(d))}'
            )
            if name == "status":
                return (
                    f"CASE WHEN {late} THEN 'OVERDUE' WHEN {row}.\"status\" = 'AUTHORIZED' "
                    f"THEN 'PENDING' ELSE {row}.\"status\" END"
                )
            if name == "daysOverdue":
                days = d.days_between(self.slot(Today(d)), f'{row}."due_date"')
                return f"CASE WHEN {late} THEN {days} ELSE 0 END"
            due = d.money_difference(f'{row}."total"', f'{row}."amount_paid"')
            amount = f"CASE WHEN {row}.\"status\" = 'AUTHORIZED' THEN {due} ELSE '0.00' END"
            return self.money(nodes, amount, f'{row}."currency"')
        if type_name == "Quote" and name == "status":
            return (
                f"CASE WHEN {row}.\"status\" IN ('DRAFT', 'SENT') AND {row}.\"valid_until\" "
                f'IS NOT NULL AND {row}."valid_until" < {self.slot(Today(d))} '
                f"THEN 'EXPIRED' ELSE {row}.\"status\" END"
            )
        if type_name == "File" and name == "url":
            return self.slot(Link(d, row))
        if type_name == "Activity" and name == "targetId":
            return d.global_id_of(f'{row}."target_type"', f'{row}."target_id"')
        if type_name == "Activity" and name == "changes":
            return self._changes(nodes, row)
        if type_name == "ImportJob" and name in IMPORT_JOB_SETTINGS:
            # As ImportJob.from_model reads its options and mapping; the enums' values are
            # their names.
            column, member, default = IMPORT_JOB_SETTINGS[name]
            value = d.json_member(f'{row}."{column}"', member) if member else f'{row}."{column}"'
            return d.json_or(value, default)
        if type_name == "Deal" and name == "previousClose":
            return self._previous_close(nodes, row)
        if type_name == "Deal" and name == "quotes":
            connection = Connection.compile(
                self.dialect, self.selection, DEAL_QUOTES, nodes, self.depth + 1, row, "deal_id"
            )
            return self.dialect.nested(self.slot(connection))
        raise Unplannable(f"{type_name}.{name}")

    def money(self, nodes: list[FieldNode], amount: str, currency: str) -> str:
        pairs = []
        for key, field_nodes in self.selection.sub("Money", nodes).items():
            name = _name(field_nodes)
            if name == "__typename":
                pairs.append((key, literal("Money")))
            elif name == "amount":
                pairs.append((key, amount))
            else:
                pairs.append((key, currency))
        return self.object(pairs)

    def _changes(self, nodes: list[FieldNode], row: str) -> str:
        """Activity.changes: the stored object's members by name (in code point order, as
        Python sorts them), each value as stored; a missing "old" or "new" is null, as
        with dict.get. The values are what activity.json_safe leaves: text (decimals and
        dates included), integers, null, and lists and objects of those; no column is a
        float, so each number is written as the executor writes it."""
        d = self.dialect
        entry = f'"ch{self.depth}"'
        pairs = []
        for key, field_nodes in self.selection.sub("FieldChange", nodes).items():
            name = _name(field_nodes)
            if name == "__typename":
                value = literal("FieldChange")
            elif name == "field":
                value = d.api_field_name(f'{entry}."key"')
            else:
                value = d.json_member(f'{entry}."value"', name)
            pairs.append((key, value))
        order = d.code_point_order(f'{entry}."key"')
        entries = d.json_entries(f'{row}."changes"')
        return d.nested(
            f"(SELECT {d.json_list(self.object(pairs), order)} "
            f'FROM (SELECT "key", "value" FROM {entries} {entry} ORDER BY {order}) {entry})'
        )

    def _previous_close(self, nodes: list[FieldNode], row: str) -> str:
        d = self.dialect
        pairs = []
        for key, field_nodes in self.selection.sub("DealClose", nodes).items():
            name = _name(field_nodes)
            if name == "__typename":
                value = literal("DealClose")
            elif name == "stage":
                value = f'{row}."previous_close_stage"'
            elif name == "closedAt":
                value = d.datetime(f'{row}."previous_closed_at"')
            elif name == "reopenedAt":
                value = d.datetime(f'{row}."reopened_at"')
            else:
                places = models.Deal._meta.fields_map["previous_close_value"].decimal_places  # type: ignore[attr-defined]
                value = self.money(
                    field_nodes,
                    d.decimal(f'{row}."previous_close_value"', places),
                    f'{row}."currency"',
                )
            pairs.append((key, value))
        return (
            f'CASE WHEN {row}."reopened_at" IS NULL OR {row}."previous_close_stage" IS NULL '
            f'OR {row}."previous_close_value" IS NULL THEN NULL ELSE {self.object(pairs)} END'
        )


def client_tab(
    dialect: Dialect, selection: Selection, name: str, nodes: list[FieldNode]
) -> Fragment:
    """The fragment answering the Client field `name` (a tab) of the client row "c"."""
    tab = Connection.compile(dialect, selection, CLIENT_TABS[name], nodes, 1, '"c"', "client_id")
    return Nested(dialect, tab)


@dataclass
class Nested:
    """A fragment whose JSON is embedded in another object's."""

    dialect: Dialect
    inner: Fragment

    def sql(self, request: Request) -> tuple[str, list]:
        text, params = self.inner.sql(request)
        return self.dialect.nested(text), params


@dataclass(frozen=True)
class Rows:
    """The statements of a nested list's page and count, with the page's shape."""

    page_sql: str
    page_params: tuple
    count_sql: str
    count_params: tuple
    size: int
    backwards: bool
    after: str | None
    before: str | None
    keys: tuple[SortKey, ...]


# Pages of nested lists whose SQL is kept: the ORM takes far longer to write a statement
# than the database to run it, and the text does not name the parent (a column of the
# enclosing query), so every client's profile shares it.
ROWS_CACHE_SIZE = 1024


@lru_cache(maxsize=ROWS_CACHE_SIZE)
def _rows(
    dialect_name: str,
    kind: NestedList,
    parent_row: str,
    parent_column: str,
    org_id: int | None,
    filters: NestedFilter,
    today: date,
    order: tuple,
    window: tuple,
    max_page_size: int,
) -> Rows:
    """The rows of a list under the parent row `parent_row`, through the executor's filters
    and page_query; `org_id` scopes a list whose parent is not a client."""
    keys = profile.nested_sort_keys(*order)
    model = profile.nested_model(kind)
    base = model.filter(**{parent_column: RawSQL(f'{parent_row}."id"')})
    if org_id is not None:
        base = base.filter(organization_id=org_id)
    rows = profile.nested_rows(kind, base, filters, today)
    first, after, last, before = window
    try:
        query = page_query(
            rows,
            keys,
            first=first,
            after=after,
            last=last,
            before=before,
            max_page_size=max_page_size,
        )
    except PaginationError as exc:
        raise Unplannable("pagination error") from exc
    page_sql, page_params = _sql(query.queryset.values(*_row_columns(model)))
    count_sql, count_params = _sql(rows.count())
    return Rows(
        page_sql,
        tuple(page_params),
        count_sql,
        tuple(count_params),
        query.size,
        query.backwards,
        after,
        before,
        tuple(keys),
    )


@dataclass
class Connection:
    """A page of a nested list, its totalCount and pageInfo, as one scalar subquery."""

    dialect: Dialect
    list_kind: ListKind
    field_name: str
    parent_type: str
    node: FieldNode
    parent_row: str
    parent_column: str
    alias: str
    # Compiled once: (response key, part, its sub-selection) in selection order.
    parts: list[tuple[str, str, Any]]
    node_type: str
    node_sql: str
    fragments: list[Fragment]
    connection_type: str
    edge_type: str
    # The field's definitions, found on the first request (they need Strawberry's schema).
    strawberry_field: Any = None
    field_def: Any = None

    @classmethod
    def compile(
        cls,
        dialect: Dialect,
        selection: Selection,
        list_kind: ListKind,
        nodes: list[FieldNode],
        depth: int,
        parent_row: str,
        parent_column: str,
    ) -> "Connection":
        parent_type = "Client" if parent_column == "client_id" else "Deal"
        parent = selection.schema.get_type(parent_type)
        assert isinstance(parent, GraphQLObjectType)
        field_name = _name(nodes)
        connection_type = _unwrap(parent.fields[field_name].type)
        edge_type = _unwrap(connection_type.fields["edges"].type)
        node_type = _unwrap(edge_type.fields["node"].type).name
        alias = f'"r{depth}"'
        builder = Builder(dialect, selection, depth)
        parts: list[tuple[str, str, Any]] = []
        node_sql = ""
        for key, field_nodes in selection.sub(connection_type.name, nodes).items():
            name = _name(field_nodes)
            if name == "__typename":
                parts.append((key, "typename", connection_type.name))
            elif name == "totalCount":
                parts.append((key, "total", None))
            elif name == "pageInfo":
                info = [(k, _name(n)) for k, n in selection.sub("PageInfo", field_nodes).items()]
                parts.append((key, "pageInfo", info))
            elif name == "edges":
                edge = []
                for edge_key, edge_nodes in selection.sub(edge_type.name, field_nodes).items():
                    edge_name = _name(edge_nodes)
                    if edge_name == "node":
                        if node_sql:
                            # Two differently aliased node selections of one edge: rare.
                            raise Unplannable("two node selections")
                        node_sql = builder.node(node_type, edge_nodes, alias)
                    edge.append((edge_key, edge_name))
                parts.append((key, "edges", edge))
            else:
                raise Unplannable(f"{connection_type.name}.{name}")
        return cls(
            dialect=dialect,
            list_kind=list_kind,
            field_name=field_name,
            parent_type=parent_type,
            node=nodes[0],
            parent_row=parent_row,
            parent_column=parent_column,
            alias=alias,
            parts=parts,
            node_type=node_type,
            node_sql=node_sql,
            fragments=builder.fragments,
            connection_type=connection_type.name,
            edge_type=edge_type.name,
        )

    def sql(self, request: Request) -> tuple[str, list]:
        d = self.dialect
        if self.strawberry_field is None:
            schema = request.strawberry_schema
            self.strawberry_field = next(
                f
                for f in schema.get_type_by_name(self.parent_type).fields
                if schema.config.name_converter.from_field(f) == self.field_name
            )
            self.field_def = schema._schema.get_type(self.parent_type).fields[self.field_name]
        raw = raw_arguments(self.field_def, self.node, request)
        args = converted_arguments(self.strawberry_field, raw, request)
        org_id = None if self.parent_column == "client_id" else request.org_id
        window = tuple(args.get(name) for name in ("first", "after", "last", "before"))
        rows = _rows(
            d.name,
            self.list_kind.kind,
            self.parent_row,
            self.parent_column,
            org_id,
            self.list_kind.filters(args, request),
            request.today,
            nested_order(args.get("order_by"), self.list_kind.default_order),
            window,
            request.max_page_size,
        )
        size, backwards, keys = rows.size, rows.backwards, rows.keys
        a = self.alias
        fragments: list[Fragment] = [*self.fragments]

        def slot(text: str, params: list) -> str:
            fragments.append(Fixed(text, params))
            return f"@@slot{len(fragments) - 1}@@"

        shown = f'{a}."page_rn" <= {size}'
        last_rn = f'CASE WHEN {a}."page_n" > {size} THEN {size} ELSE {a}."page_n" END'
        first_cursor, last_cursor = f'{a}."page_rn" = 1', f'{a}."page_rn" = {last_rn}'
        if backwards:
            first_cursor, last_cursor = last_cursor, first_cursor
        more = d.boolean(f"COUNT(*) > {size}")
        pairs = []
        for key, part, sub in self.parts:
            if part == "typename":
                value = literal(sub)
            elif part == "total":
                value = slot(f"({rows.count_sql})", list(rows.count_params))
            elif part == "pageInfo":
                info = []
                for info_key, name in sub:
                    if name == "hasNextPage":
                        info_value = d.boolean_literal(bool(rows.before)) if backwards else more
                    elif name == "hasPreviousPage":
                        info_value = more if backwards else d.boolean_literal(bool(rows.after))
                    elif name in ("startCursor", "endCursor"):
                        where = first_cursor if name == "startCursor" else last_cursor
                        cursor = self._cursor(keys)
                        info_value = f"MAX(CASE WHEN {shown} AND {where} THEN {cursor} END)"
                    else:
                        info_value = literal("PageInfo")
                    info.append((info_key, info_value))
                value = d.json_object(info)
            else:
                edge = []
                for edge_key, name in sub:
                    if name == "cursor":
                        edge_value = self._cursor(keys)
                    elif name == "node":
                        edge_value = self.node_sql
                    else:
                        edge_value = literal(self.edge_type)
                    edge.append((edge_key, edge_value))
                direction = "DESC" if backwards else "ASC"
                value = d.json_list(
                    d.json_object(edge), f'{a}."page_rn" {direction}', condition=shown
                )
            pairs.append((key, value))
        # The page info that aggregates the page's rows: the cursors, and whether there is
        # more in the direction read (the other way is known from the arguments).
        aggregated = {"startCursor", "endCursor", "hasPreviousPage" if backwards else "hasNextPage"}
        reads_rows = any(
            part == "edges" or (part == "pageInfo" and any(n in aggregated for _, n in sub))
            for _, part, sub in self.parts
        )
        if not reads_rows:
            # Counts and what the arguments tell alone: no page to read (and an
            # aggregate-free SELECT over the rows would answer one object per row, or none).
            return render(d, expand(f"(SELECT {d.json_object(pairs)})", fragments, request))
        fetch_order = ", ".join(
            f'"p"."{k.field}" {"DESC" if k.descending != backwards else "ASC"}' for k in keys
        )
        text = (
            f'(SELECT {d.json_object(pairs)} FROM (SELECT "p".*, '
            f'ROW_NUMBER() OVER (ORDER BY {fetch_order}) AS "page_rn", '
            f'COUNT(*) OVER () AS "page_n" FROM ({slot(rows.page_sql, list(rows.page_params))}) "p" '
            f'ORDER BY "page_rn" {"DESC" if backwards else "ASC"}) {a})'
        )
        return render(d, expand(text, fragments, request))

    def _cursor(self, keys: tuple[SortKey, ...]) -> str:
        """The executor's cursor of the row: its sort values as JSON, base64url."""
        a, d = self.alias, self.dialect
        first = keys[0].field
        column = f'{a}."{first}"'
        if first in (NestedOrderField.CREATED_AT, NestedOrderField.UPDATED_AT):
            value = f"'\"' || {d.datetime(column)} || '\"'"
        elif first in (NestedOrderField.ISSUE_DATE, NestedOrderField.DATE):
            value = f"'\"' || {d.date(column)} || '\"'"
        elif first == NestedOrderField.PRIORITY:
            value = f"CAST({column} AS TEXT)"
        else:
            value = d.json_text(column)
        return d.cursor(f"'[' || {value} || ',' || CAST({a}.\"id\" AS TEXT) || ']'")
