"""Compiles a validated query into plans whose SQL makes the database write the JSON.

A plan is made once per (document, operation name) and reused; it holds SQL text for the
selected objects, while arguments are read per request, through the same service code as
the resolvers (filters, search, order, cursors), so both paths page over the same rows.
Anything the compiler does not know raises Unplannable, and the executor answers instead.
"""

import logging
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple, Protocol

from cachetools import LRUCache
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
)
from graphql.execution.values import get_argument_values, get_directive_values
from strawberry.types.arguments import convert_arguments
from strawberry.utils.str_converters import to_camel_case

from gql_crm.api.clients.queries import filter_of, order_of
from gql_crm.api.core.relay import decode_id
from gql_crm.api.planned.links import Link, Links
from gql_crm.api.planned.sql import Dialect, literal
from gql_crm.models import Activity, Client, ClientCategory, Company, File, FilePurpose
from gql_crm.services import client_counts, clients, trigrams
from gql_crm.services.pagination import (
    PageQuery,
    PaginationError,
    SortKey,
    encode_cursor,
    page_query,
)


class Unplannable(Exception):
    """The operation (or this request of it) is left to the executor."""


logger = logging.getLogger("gql_crm.planned")

Fields = dict[str, list[FieldNode]]


@dataclass
class Selection:
    """The fields of one object type as the executor collects them: fragments that apply
    to the type flattened, same response keys merged, in first-seen order."""

    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    # The selections (by id) that @skip or @include leave out for this plan's variables.
    excluded: frozenset[int] = frozenset()

    def collect(self, type_name: str, selection_sets: list[SelectionSetNode]) -> Fields:
        object_type = self.schema.get_type(type_name)
        assert isinstance(object_type, GraphQLObjectType)
        applies = {type_name, *(i.name for i in object_type.interfaces)}
        fields: Fields = {}
        for selection_set in selection_sets:
            self._collect(applies, selection_set, fields, set())
        return fields

    def _collect(
        self, applies: set[str], selection_set: SelectionSetNode, fields: Fields, seen: set[str]
    ) -> None:
        for selection in selection_set.selections:
            if selection.directives:
                if any(d.name.value not in CONDITIONS for d in selection.directives):
                    raise Unplannable("directive")
                if id(selection) in self.excluded:
                    continue
            if isinstance(selection, FieldNode):
                key = (selection.alias or selection.name).value
                fields.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or condition.name.value in applies:
                    self._collect(applies, selection.selection_set, fields, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in seen:
                    continue
                seen.add(name)
                fragment = self.fragments[name]
                if fragment.type_condition.name.value in applies:
                    self._collect(applies, fragment.selection_set, fields, seen)

    def sub(self, type_name: str, nodes: list[FieldNode]) -> Fields:
        return self.collect(type_name, [n.selection_set for n in nodes if n.selection_set])


CONDITIONS = ("skip", "include")


def conditional_selections(document: DocumentNode) -> tuple[SelectionNode, ...]:
    """The selections of `document` under @skip or @include, in the document's order."""
    found: list[SelectionNode] = []

    def walk(selection_set: SelectionSetNode) -> None:
        for selection in selection_set.selections:
            if any(d.name.value in CONDITIONS for d in selection.directives or ()):
                found.append(selection)
            inner = getattr(selection, "selection_set", None)
            if inner:
                walk(inner)

    for definition in document.definitions:
        if isinstance(definition, (OperationDefinitionNode, FragmentDefinitionNode)):
            walk(definition.selection_set)
    return tuple(found)


def included(node, variables) -> bool:
    """Whether the executor collects the selection `node`, as graphql-core decides."""
    skip = get_directive_values(GraphQLSkipDirective, node, variables)
    if skip and skip["if"]:
        return False
    include = get_directive_values(GraphQLIncludeDirective, node, variables)
    return not (include and not include["if"])


def _name(nodes: list[FieldNode]) -> str:
    return nodes[0].name.value


def _by_graphql_name(columns) -> dict[str, str]:
    """Strawberry names a field by its Python name in camelCase: the column's name."""
    return {to_camel_case(column): column for column in columns}


CLIENT_COLUMNS = _by_graphql_name(
    name for name in (*clients.CLIENT_FIELDS, "status") if not name.endswith("_id")
)
CLIENT_DATETIMES = _by_graphql_name(("created_at", "updated_at"))
COMPANY_COLUMNS = _by_graphql_name(clients.COMPANY_FIELDS)
ADDRESS_COLUMNS = _by_graphql_name(clients.ADDRESS_FIELDS)


def _table(model) -> str:
    return f'"{model._meta.db_table}"'


class Fragment(Protocol):
    """A part of a plan's SQL whose text or parameters depend on the request (a profile
    tab's filters and page, the organization's today): written into a slot of the
    compiled text when a request runs."""

    def sql(self, request: "Request") -> tuple[str, list]:
        """Its text, with placeholders numbered from 1, and their values."""
        ...


SLOT = re.compile(r"@@slot(\d+)@@")


def render(dialect: Dialect, pieces: list[tuple[str, list]]) -> tuple[str, list]:
    """One statement from pieces whose placeholders each number from 1."""
    text: list[str] = []
    params: list = []
    for sql, values in pieces:
        text.append(dialect.shift_placeholders(sql, len(params)) if values else sql)
        params.extend(values)
    return "".join(text), params


def expand(sql: str, fragments: list[Fragment], request: "Request") -> list[tuple[str, list]]:
    """The pieces of compiled text whose slots are filled with this request's fragments."""
    pieces: list[tuple[str, list]] = []
    for index, chunk in enumerate(SLOT.split(sql)):
        pieces.append(fragments[int(chunk)].sql(request) if index % 2 else (chunk, []))
    return pieces


@dataclass
class ClientObject:
    """A Client's selection as one SQL expression over the alias "c" and the joins it needs."""

    dialect: Dialect
    selection: Selection
    joins: dict[str, str] = field(default_factory=dict)
    fragments: list[Fragment] = field(default_factory=list)

    def expression(self, fields: Fields) -> str:
        d = self.dialect
        pairs = []
        for key, nodes in fields.items():
            name = _name(nodes)
            if name == "__typename":
                value = literal("Client")
            elif name == "id":
                value = d.global_id("Client", '"c"."id"')
            elif name in CLIENT_COLUMNS:
                value = f'"c"."{CLIENT_COLUMNS[name]}"'
            elif name in CLIENT_DATETIMES:
                value = d.datetime(f'"c"."{CLIENT_DATETIMES[name]}"')
            elif name == "company":
                value = self._company(self.selection.sub("Company", nodes))
            elif name == "category":
                value = self._category(self.selection.sub("ClientCategory", nodes))
            elif name == "photo":
                value = self._photo(self.selection.sub("ClientPhoto", nodes))
            else:
                value = self._profile_part(name, nodes)
            pairs.append((key, value))
        return self._object(pairs)

    def slot(self, fragment: Fragment) -> str:
        self.fragments.append(fragment)
        return f"@@slot{len(self.fragments) - 1}@@"

    def _profile_part(self, name: str, nodes: list[FieldNode]) -> str:
        # The profile's parts build on this module (Selection, Unplannable): imported here.
        from gql_crm.api.planned import tabs
        from gql_crm.api.planned.summary import SummaryExpression

        if name in tabs.CLIENT_TABS:
            return self.slot(tabs.client_tab(self.dialect, self.selection, name, nodes))
        if name == "summary":
            return self.slot(SummaryExpression(self.dialect, self.selection, nodes))
        if name == "lastActivityAt":
            return self._last_activity()
        raise Unplannable(f"Client.{name}")

    def _last_activity(self) -> str:
        """services.profile.last_activity: the client's newest activity entry, from the
        (client_id, created_at) index; formatted once, outside the aggregate."""
        at = self.dialect.datetime('"la"."at"')
        return (
            f'(SELECT {at} FROM (SELECT MAX("a"."created_at") AS "at" FROM {_table(Activity)} '
            f'"a" WHERE "a"."client_id" = "c"."id") "la")'
        )

    def _object(self, pairs: list[tuple[str, str]]) -> str:
        if len(pairs) > self.dialect.max_object_keys:
            raise Unplannable("too many keys")
        return self.dialect.json_object(pairs)

    def _join(self, alias: str, model, column: str) -> None:
        # Scoped like the DataLoaders: a row of another organization reads as null.
        self.joins[alias] = (
            f'LEFT JOIN {_table(model)} "{alias}" ON "{alias}"."id" = "c"."{column}" '
            f'AND "{alias}"."organization_id" = "c"."organization_id"'
        )

    def _company(self, fields: Fields) -> str:
        self._join("co", Company, "company_id")
        d = self.dialect
        pairs = []
        for key, nodes in fields.items():
            name = _name(nodes)
            if name == "__typename":
                value = literal("Company")
            elif name == "id":
                value = d.global_id("Company", '"co"."id"')
            elif name in COMPANY_COLUMNS:
                value = f'"co"."{COMPANY_COLUMNS[name]}"'
            elif name == "address":
                value = self._address(self.selection.sub("Address", nodes))
            else:
                raise Unplannable(f"Company.{name}")
            pairs.append((key, value))
        return f'CASE WHEN "co"."id" IS NULL THEN NULL ELSE {self._object(pairs)} END'

    def _address(self, fields: Fields) -> str:
        pairs = []
        for key, nodes in fields.items():
            name = _name(nodes)
            if name == "__typename":
                value = literal("Address")
            elif name in ADDRESS_COLUMNS:
                value = f'"co"."{ADDRESS_COLUMNS[name]}"'
            else:
                raise Unplannable(f"Address.{name}")
            pairs.append((key, value))
        return self._object(pairs)

    def _category(self, fields: Fields) -> str:
        self._join("ca", ClientCategory, "category_id")
        pairs = []
        for key, nodes in fields.items():
            name = _name(nodes)
            if name == "__typename":
                value = literal("ClientCategory")
            elif name == "id":
                value = self.dialect.global_id("ClientCategory", '"ca"."id"')
            elif name == "name":
                value = '"ca"."name"'
            else:
                raise Unplannable(f"ClientCategory.{name}")
            pairs.append((key, value))
        return f'CASE WHEN "ca"."id" IS NULL THEN NULL ELSE {self._object(pairs)} END'

    def _photo(self, fields: Fields) -> str:
        """photos.photos_by_client's choice: the client's latest live photo, null without
        one, and its latest live thumbnail."""
        d = self.dialect
        photo, thumbnail = '"ph"', '"th"'
        pairs = []
        for key, nodes in fields.items():
            name = _name(nodes)
            if name == "__typename":
                value = literal("ClientPhoto")
            elif name in ("width", "height"):
                value = f'COALESCE({photo}."{name}", 0)'
            elif name == "url":
                value = self.slot(Link(d, photo))
            elif name == "thumbnailUrl":
                value = _latest(
                    self.slot(Link(d, thumbnail)), thumbnail, FilePurpose.PHOTO_THUMBNAIL
                )
            else:
                raise Unplannable(f"ClientPhoto.{name}")
            pairs.append((key, value))
        return d.nested(_latest(self._object(pairs), photo, FilePurpose.PHOTO))


def _latest(value: str, alias: str, purpose: FilePurpose) -> str:
    """`value` of the client "c"'s newest live file of `purpose` (in the alias `alias`, of
    the client's organization as the DataLoaders scope it), null without one."""
    # The unary plus keeps the organization's index out of SQLite's choice, which without
    # statistics would search the organization's files for each client rather than the
    # client's by (client_id, purpose): 30 ms for 50 clients of 1,000 with photos.
    return (
        f"(SELECT {value} FROM {_table(File)} {alias} "
        f'WHERE {alias}."client_id" = "c"."id" '
        f'AND +{alias}."organization_id" = "c"."organization_id" '
        f'AND {alias}."deleted_at" IS NULL AND {alias}."purpose" = {literal(purpose.value)} '
        f'ORDER BY {alias}."id" DESC LIMIT 1)'
    )


@dataclass
class Request:
    """What one request brings to a plan."""

    org_id: int
    max_page_size: int
    variables: Any
    strawberry_schema: Any
    # The organization's date (overdue invoices and tasks, expired quotes) and the
    # organization itself (its time zone bounds the activity's days).
    today: date
    organization: Any
    links: Links


def _sql(queryset) -> tuple[str, list]:
    # Tortoise has no public way to wrap a query in another; built as QuerySet.sql() does.
    queryset._choose_db_if_not_chosen()
    queryset._make_query()
    return queryset.query.get_parameterized_sql()


def raw_arguments(field_def, node: FieldNode, request: Request) -> dict[str, Any]:
    """A field's argument values, variables and defaults applied (still GraphQL values)."""
    try:
        return get_argument_values(field_def, node, request.variables)
    except Exception as exc:
        raise Unplannable(f"arguments: {exc!r}") from exc


def converted_arguments(strawberry_field, raw: dict[str, Any], request: Request) -> dict:
    """A field's arguments as its resolver gets them (enums, inputs, global IDs)."""
    try:
        schema = request.strawberry_schema
        return convert_arguments(
            raw,
            strawberry_field.arguments,
            scalar_registry=schema.schema_converter.scalar_registry,
            config=schema.config,
        )
    except Exception as exc:
        raise Unplannable(f"arguments: {exc!r}") from exc


@dataclass
class RootField:
    key: str
    nodes: list[FieldNode]
    field_def: Any
    strawberry_field: Any

    def raw_arguments(self, request: Request) -> dict[str, Any]:
        return raw_arguments(self.field_def, self.nodes[0], request)

    def arguments(self, request: Request, raw: dict[str, Any] | None = None) -> dict[str, Any]:
        if raw is None:
            raw = self.raw_arguments(request)
        return converted_arguments(self.strawberry_field, raw, request)

    async def run(self, dialect: Dialect, request: Request) -> str:
        raise NotImplementedError


@dataclass
class Typename(RootField):
    async def run(self, dialect: Dialect, request: Request) -> str:
        return '"Query"'


@dataclass
class ClientByID(RootField):
    """`client(id:)`, or `node(id:)` given a Client's ID."""

    node_sql: str = ""
    joins: str = ""
    fragments: list[Fragment] = field(default_factory=list)

    async def run(self, dialect: Dialect, request: Request) -> str:
        global_id = self.arguments(request)["id"]
        if self.key_field == "node" and global_id.type_name != "Client":
            raise Unplannable("node of another type")
        client_id = decode_id(global_id, "Client")
        if client_id is None:
            return "null"
        sql, params = render(
            dialect,
            [
                ("SELECT ", []),
                *expand(dialect.as_text(self.node_sql), self.fragments, request),
                (
                    f' FROM {_table(Client)} "c" {self.joins} '
                    f'WHERE "c"."organization_id" = {dialect.placeholder(1)} '
                    f'AND "c"."id" = {dialect.placeholder(2)}',
                    [request.org_id, client_id],
                ),
            ],
        )
        rows = await dialect.execute(sql, params)
        return rows[0][0] if rows else "null"

    @property
    def key_field(self) -> str:
        return _name(self.nodes)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _string(value: str | None) -> str:
    # Cursors are URL-safe base64: nothing to escape.
    return "null" if value is None else f'"{value}"'


class PageStatement(NamedTuple):
    query: PageQuery
    keys: list[SortKey]
    # Each with its placeholders numbered from 1, and their values.
    page: tuple[str, list]
    total: tuple[str, list]


# The page statements of the latest argument values, by dialect, organization and what is
# selected: building one through the services' querysets (filters, search, cursor, order)
# costs more than the database's answer to it, and most requests repeat a few arguments
# (the list's first page, with or without a search). Nothing in them depends on the time
# or on the data (but the trigram statistics, whose version is in the key), so an entry
# holds until it is evicted.
_page_statements: LRUCache = LRUCache(maxsize=1024)


def _frozen(value: Any) -> Any:
    """Argument values as a hashable key (input objects are dicts, lists are lists)."""
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


@dataclass
class ClientsList(RootField):
    """`clients(...)`: one statement for the page (as JSON nodes) and its total."""

    parts: list[tuple[str, str, Any]] = field(default_factory=list)
    node_sql: list[str] = field(default_factory=list)
    joins: str = ""
    counts: bool = False
    # Whether the selection shows a cursor; encoding them is most of the Python work per row.
    cursors: bool = False
    fragments: list[Fragment] = field(default_factory=list)

    async def run(self, dialect: Dialect, request: Request) -> str:
        raw = self.raw_arguments(request)
        await trigrams.refresh()
        cache_key = (
            dialect.name,
            self.counts,
            request.org_id,
            request.max_page_size,
            trigrams.frequencies.version,
            _frozen(raw),
        )
        statement = _page_statements.get(cache_key)
        if statement is None:
            statement = self._page_statement(dialect, request, raw)
            _page_statements[cache_key] = statement
        query, keys, page, total = statement
        order = ", ".join(
            f'"p"."{i}" {"DESC" if key.descending != query.backwards else "ASC"}'
            for i, key in enumerate(keys)
        )
        nodes = [
            piece
            for node in self.node_sql
            for piece in [(", ", []), *expand(dialect.as_text(node), self.fragments, request)]
        ]
        keys_sql = "".join(f', "p"."{i}"' for i in range(len(keys)))
        # The one-row left side keeps the total when the page is empty.
        sql, params = render(
            dialect,
            [
                ("SELECT ", []),
                total,
                (keys_sql, []),
                *nodes,
                (' FROM (SELECT 1 AS "one") "one" LEFT JOIN (', []),
                page,
                (
                    f') "p" ON 1 = 1 LEFT JOIN {_table(Client)} "c" '
                    f'ON "c"."id" = "p"."{len(keys) - 1}" {self.joins} ORDER BY {order}',
                    [],
                ),
            ],
        )
        rows = await dialect.execute(sql, params)
        total_count = rows[0][0]
        if rows[0][len(keys)] is None:
            rows = []
        width = len(keys)
        cursors = [""] * len(rows)
        if self.cursors:
            converters = [Client._meta.fields_map[k.field].to_python_value for k in keys]
            cursors = [
                encode_cursor([convert(row[1 + i]) for i, convert in enumerate(converters)])
                for row in rows
            ]
        nodes = [tuple(row[1 + width :]) for row in rows]

        async def no_count() -> int:
            raise AssertionError("counted in the page's statement")

        page = query.page(nodes, cursors, no_count)
        return self._render(page, total_count)

    def _page_statement(
        self, dialect: Dialect, request: Request, raw: dict[str, Any]
    ) -> PageStatement:
        """The page's statement and its total's (SQL and parameters) for these arguments."""
        args = self.arguments(request, raw)
        filters = filter_of(args.get("filter"))
        queryset = clients.clients_queryset(request.org_id, args.get("search"), filters)
        keys = clients.client_sort_keys(order_of(args.get("order_by")))
        try:
            query = page_query(
                queryset,
                keys,
                first=args.get("first"),
                after=args.get("after"),
                last=args.get("last"),
                before=args.get("before"),
                max_page_size=request.max_page_size,
            )
        except PaginationError as exc:
            raise Unplannable("pagination error") from exc
        page_sql, page_params = _sql(query.queryset.values_list(*(k.field for k in keys)))
        total: tuple[str, list] = ("NULL", [])
        if self.counts:
            count_sql, count_params = client_counts.total_statement(
                dialect.name, request.org_id, args.get("search"), filters
            ) or _sql(queryset.count())
            total = (f"({count_sql})", count_params)
        return PageStatement(query, keys, (page_sql, page_params), total)

    def _render(self, page, total_count) -> str:
        out = []
        for key, kind, sub in self.parts:
            if kind == "typename":
                value = literal_json(sub)
            elif kind == "total":
                value = str(int(total_count))
            elif kind == "pageInfo":
                value = "{" + ",".join(f'"{k}":{_page_info(page, name)}' for k, name in sub) + "}"
            else:
                value = (
                    "["
                    + ",".join(
                        "{"
                        + ",".join(_edge_part(k, name, arg, node, cursor) for k, name, arg in sub)
                        + "}"
                        for node, cursor in zip(page.items, page.cursors, strict=True)
                    )
                    + "]"
                )
            out.append(f'"{key}":{value}')
        return "{" + ",".join(out) + "}"


def literal_json(text: str) -> str:
    return f'"{text}"'


CURSOR_FIELDS = {"startCursor", "endCursor"}


def _page_info(page, name: str) -> str:
    if name == "hasNextPage":
        return _bool(page.has_next_page)
    if name == "hasPreviousPage":
        return _bool(page.has_previous_page)
    if name == "startCursor":
        return _string(page.cursors[0] if page.cursors else None)
    if name == "endCursor":
        return _string(page.cursors[-1] if page.cursors else None)
    return '"PageInfo"'


def _edge_part(key: str, name: str, arg: int, node: tuple, cursor: str) -> str:
    if name == "cursor":
        return f'"{key}":"{cursor}"'
    if name == "node":
        return f'"{key}":{node[arg]}'
    return f'"{key}":"ClientEdge"'


@dataclass
class Plan:
    roots: list[RootField]
    operation: OperationDefinitionNode
    # Every root response key, in order, and those left to the executor (api/planned/splice).
    keys: tuple[str, ...] = ()
    deferred: frozenset[str] = frozenset()
    executor_query: str | None = None

    async def run(self, dialect: Dialect, request: Request) -> bytes:
        parts = [f'"{key}":{answer}' for key, answer in (await self.answers(dialect, request))]
        return ('{"data":{' + ",".join(parts) + "}}").encode()

    async def answers(self, dialect: Dialect, request: Request) -> list[tuple[str, str]]:
        """The planned root fields' JSON, by response key, their links signed."""
        return [
            (root.key, request.links.signed(await root.run(dialect, request)))
            for root in self.roots
        ]


def compile_operation(
    schema: GraphQLSchema,
    strawberry_schema,
    dialect: Dialect,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    excluded: frozenset[int] = frozenset(),
) -> Plan:
    """The plan of `operation` for requests whose @skip and @include leave out the
    selections `excluded` (by id)."""
    if operation.operation != OperationType.QUERY or operation.directives:
        raise Unplannable("not a query, or directives on the operation")
    selection = Selection(schema, fragments, excluded)
    query_type = schema.query_type
    if query_type is None:
        raise Unplannable("a schema without queries")
    strawberry_query = strawberry_schema.get_type_by_name("Query")
    name_converter = strawberry_schema.config.name_converter
    by_name = {name_converter.from_field(f): f for f in strawberry_query.fields}
    roots: list[RootField] = []
    deferred: list[str] = []
    collected = selection.collect(query_type.name, [operation.selection_set])
    for key, nodes in collected.items():
        name = _name(nodes)
        if name == "__typename":
            roots.append(Typename(key, nodes, None, None))
            continue
        common: dict[str, Any] = {
            "key": key,
            "nodes": nodes,
            "field_def": query_type.fields[name],
            "strawberry_field": by_name.get(name),
        }
        try:
            roots.append(_root(name, common, selection, dialect))
        except Unplannable as reason:
            logger.debug("Query.%s left to the executor: %s", name, reason)
            deferred.append(key)
    if deferred and all(isinstance(root, Typename) for root in roots):
        raise Unplannable("no root field planned")
    return Plan(roots, operation, tuple(collected), frozenset(deferred))


def _root(name: str, common: dict[str, Any], selection: Selection, dialect: Dialect) -> RootField:
    if name in ("client", "node"):
        client = ClientObject(dialect, selection)
        node_sql = client.expression(selection.sub("Client", common["nodes"]))
        return ClientByID(
            **common,
            node_sql=node_sql,
            joins=" ".join(client.joins.values()),
            fragments=client.fragments,
        )
    if name == "clients":
        return _clients_list(common, selection, dialect)
    raise Unplannable(f"Query.{name}")


def _clients_list(common: dict[str, Any], selection: Selection, dialect: Dialect) -> ClientsList:
    client = ClientObject(dialect, selection)
    node_sql: list[str] = []
    parts: list[tuple[str, str, Any]] = []
    counts = cursors = False
    for key, nodes in selection.sub("ClientConnection", common["nodes"]).items():
        name = _name(nodes)
        if name == "__typename":
            parts.append((key, "typename", "ClientConnection"))
        elif name == "totalCount":
            counts = True
            parts.append((key, "total", None))
        elif name == "pageInfo":
            info = [(k, _name(n)) for k, n in selection.sub("PageInfo", nodes).items()]
            cursors = cursors or any(name in CURSOR_FIELDS for _, name in info)
            parts.append((key, "pageInfo", info))
        elif name == "edges":
            edge = []
            for edge_key, edge_nodes in selection.sub("ClientEdge", nodes).items():
                edge_name = _name(edge_nodes)
                index = -1
                if edge_name == "node":
                    index = len(node_sql)
                    node_sql.append(client.expression(selection.sub("Client", edge_nodes)))
                cursors = cursors or edge_name == "cursor"
                edge.append((edge_key, edge_name, index))
            parts.append((key, "edges", edge))
        else:
            raise Unplannable(f"ClientConnection.{name}")
    return ClientsList(
        **common,
        parts=parts,
        node_sql=node_sql,
        joins=" ".join(client.joins.values()),
        counts=counts,
        cursors=cursors,
        fragments=client.fragments,
    )
