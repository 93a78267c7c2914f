"""Keyset (cursor) pagination over Tortoise querysets, both directions, stable with ties.

A cursor holds the sort-key values of a row (the last key is always the primary key), so
a page is one indexed range query whatever its depth, and rows inserted meanwhile never
shift the pages. Sort fields must be non-null.
"""

import base64
import binascii
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypedDict, TypeVar

from tortoise import connections
from tortoise.expressions import Q, RawSQL
from tortoise.queryset import QuerySet

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 20


class PaginationError(Exception):
    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool = False
    parse: Callable[[Any], Any] = lambda value: value


def datetime_key(field: str, descending: bool = False) -> SortKey:
    return SortKey(field, descending, datetime.fromisoformat)


def date_key(field: str, descending: bool = False) -> SortKey:
    return SortKey(field, descending, date.fromisoformat)


@dataclass
class Page(Generic[T]):
    items: list[T]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool
    count: Callable[[], Awaitable[int]]


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(
        [v.isoformat() if isinstance(v, (datetime, date)) else v for v in values],
        default=str,
        separators=(",", ":"),
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, keys: list[SortKey]) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(keys):
            raise ValueError
        return [key.parse(value) for key, value in zip(keys, values, strict=True)]
    except (ValueError, TypeError, binascii.Error, ArithmeticError):
        raise PaginationError("INVALID_CURSOR") from None


def _beyond(keys: list[SortKey], values: list[Any], backwards: bool) -> Q:
    """Rows strictly after `values` in the (possibly reversed) order."""
    alternatives = []
    for i, key in enumerate(keys):
        equal = {k.field: v for k, v in zip(keys[:i], values[:i], strict=True)}
        descending = key.descending != backwards
        lookup = f"{key.field}__lt" if descending else f"{key.field}__gt"
        alternatives.append(Q(**equal, **{lookup: values[i]}))
    # Redundant, but it lets SQLite seek the index to the cursor instead of scanning from
    # the first row, which made deep pages (and long exports) ever slower.
    first_lookup = "lte" if keys[0].descending != backwards else "gte"
    bound = Q(**{f"{keys[0].field}__{first_lookup}": values[0]})
    return Q(bound, Q(*alternatives, join_type="OR"))


def _order(keys: list[SortKey], backwards: bool) -> list[str]:
    return [("-" if key.descending != backwards else "") + key.field for key in keys]


class Window(TypedDict):
    """A connection's page arguments, as `page_size` and `paginate` take them."""

    first: int | None
    after: str | None
    last: int | None
    before: str | None


def page_size(
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    max_page_size: int,
) -> int:
    if (first is not None or after) and (last is not None or before):
        raise PaginationError("INVALID_PAGINATION")
    size = first if last is None else last
    if size is None:
        size = DEFAULT_PAGE_SIZE
    if size < 0:
        raise PaginationError("NEGATIVE_PAGE_SIZE", argument="first" if last is None else "last")
    if size > max_page_size:
        raise PaginationError("PAGE_SIZE_EXCEEDED", max=max_page_size)
    return size


@dataclass
class PageQuery:
    """The statement behind one page: `queryset` holds the page's rows plus one (which
    tells whether more follow), in the requested direction."""

    queryset: QuerySet
    size: int
    backwards: bool
    after: str | None
    before: str | None

    def page(self, rows: list, cursors: list[str], count: Callable[[], Awaitable[int]]) -> Page:
        """The page from the statement's rows (and their cursors), in display order."""
        has_more = len(rows) > self.size
        rows, cursors = rows[: self.size], cursors[: self.size]
        if self.backwards:
            rows.reverse()
            cursors.reverse()
        return Page(
            items=rows,
            cursors=cursors,
            has_next_page=bool(self.before) if self.backwards else has_more,
            has_previous_page=has_more if self.backwards else bool(self.after),
            count=count,
        )


def page_query(
    queryset: QuerySet,
    keys: list[SortKey],
    *,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    max_page_size: int = 100,
) -> PageQuery:
    """The rows of one page of `queryset` ordered by `keys` (the last of which must be
    unique); shared by the executor and the planned path, which wraps it in its own SQL."""
    size = page_size(first, after, last, before, max_page_size)
    backwards = last is not None or before is not None
    cursor = before if backwards else after
    page_qs = queryset
    if cursor:
        page_qs = page_qs.filter(_beyond(keys, decode_cursor(cursor, keys), backwards))
    page_qs = page_qs.order_by(*_order(keys, backwards)).limit(size + 1)
    return PageQuery(page_qs, size, backwards, after, before)


async def paginate(
    queryset: QuerySet,
    keys: list[SortKey],
    window: Window,
    max_page_size: int,
    count: Callable[[], Awaitable[int]] | None = None,
) -> Page:
    """One page of `queryset` ordered by `keys` (the last of which must be unique); its
    total is `count()`, or counted over `queryset`."""
    query = page_query(queryset, keys, **window, max_page_size=max_page_size)
    rows = await query.queryset
    cursors = [encode_cursor([getattr(row, key.field) for key in keys]) for row in rows]
    return query.page(rows, cursors, count or queryset.count)


def first_page(
    rows: list, keys: list[SortKey], size: int, count: Callable[[], Awaitable[int]]
) -> Page:
    """The first page of a list from its first `size + 1` rows, already in order."""
    return Page(
        items=rows[:size],
        cursors=[encode_cursor([getattr(row, key.field) for key in keys]) for row in rows[:size]],
        has_next_page=len(rows) > size,
        has_previous_page=False,
        count=count,
    )


async def first_pages(
    queryset: QuerySet, group_field: str, keys: list[SortKey], size: int
) -> dict[Any, list]:
    """The first `size + 1` rows of every group of `queryset` (e.g. each client's), in two
    statements whatever the number of groups: the page of a list nested in another list.

    A window function ranks each group's rows; `keys` must name plain columns.
    """
    order = ", ".join(f'"{key.field}" {"DESC" if key.descending else "ASC"}' for key in keys)
    ranked = queryset.annotate(
        page_rank=RawSQL(f'ROW_NUMBER() OVER (PARTITION BY "{group_field}" ORDER BY {order})')
    ).values("id", "page_rank")
    # A window function's rank can only be filtered on from an enclosing query, which
    # Tortoise cannot write: the ranked query is wrapped in raw SQL run on the connection.
    # `sql()` builds it (its text alone: inlining its values would miss the subqueries');
    # its pypika query then gives the text with its parameters.
    ranked.sql()
    inner, params = ranked.query.get_parameterized_sql()
    sql = f'SELECT "id" FROM ({inner}) "ranked" WHERE "page_rank" <= {int(size) + 1}'
    model = queryset.model
    connection = connections.get("default")
    ids = [row["id"] for row in await connection.execute_query_dict(sql, params)]
    grouped: dict[Any, list] = {}
    if ids:
        for row in await model.filter(id__in=ids).order_by(*_order(keys, False)):
            grouped.setdefault(getattr(row, group_field), []).append(row)
    return grouped


async def iterate_batches(
    queryset: QuerySet, keys: list[SortKey], fields: tuple[str, ...], batch_size: int = 2000
) -> AsyncIterator[list[dict[str, Any]]]:
    """Every row of `queryset` as dicts of `fields`, in batches, ordered by `keys`.

    Each batch is one keyset range query, so walking a million rows costs constant memory
    and no batch slows down with depth (as OFFSET would). `fields` must include the keys'.
    """
    values: list[Any] | None = None
    while True:
        batch_qs = queryset
        if values is not None:
            batch_qs = batch_qs.filter(_beyond(keys, values, False))
        rows = await batch_qs.order_by(*_order(keys, False)).limit(batch_size).values(*fields)
        if not rows:
            return
        yield rows
        if len(rows) < batch_size:
            return
        values = [rows[-1][key.field] for key in keys]
