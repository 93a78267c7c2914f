"""Connections nested under a parent (a client's profile tabs, a project's tasks, a deal's
quotes...), whose totalCount and first page are one grouped query for every parent of the
request."""

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from strawberry.types import Info

from gql_crm.api.core.relay import OrderDirection, connection
from gql_crm.services import profile
from gql_crm.services.pagination import (
    Window,
    first_page,
    first_pages,
    page_size,
    paginate,
)


def nested_order(order_by: Any, default: str = "CREATED_AT") -> tuple:
    """(sort field, descending) of a nested list's `orderBy` input; newest first by default."""
    if order_by is None:
        return profile.NestedOrderField[default], True
    return profile.NestedOrderField[order_by.field.value], order_by.direction == OrderDirection.DESC


@dataclass(frozen=True)
class NestedConnection:
    """One kind of list under a parent: a client's tab, or a project's or deal's own list."""

    kind: profile.NestedList
    connection_type: type
    to_node: Callable[[Any], Any]
    # The column naming the parent.
    parent: str = "client_id"

    async def page(
        self,
        info: Info,
        parent_id: int,
        filters: profile.NestedFilter,
        order: tuple,
        first: int | None,
        after: str | None,
        last: int | None,
        before: str | None,
    ) -> Any:
        """One page of the list under one parent.

        A first page and its totalCount load with those of every other parent of the
        request (two and one statements), so a list nested in a list costs the same whatever
        the outer list's length; later pages belong to one parent.
        """
        kind, parent = self.kind, self.parent
        context = info.context
        org_id, today = context.org_id, context.today
        keys = profile.nested_sort_keys(*order)

        async def count_batch(parent_ids: list[int]) -> list[int]:
            queryset = profile.nested_queryset(kind, org_id, parent_ids, filters, today, parent)
            counts = await profile.nested_counts(queryset, parent, parent_ids)
            return [counts[pid] for pid in parent_ids]

        counter = context.loaders.get(("nested_count", kind, parent, filters), count_batch)

        def count() -> Any:
            return counter.load(parent_id)

        window = Window(first=first, after=after, last=last, before=before)
        max_page_size = context.settings.max_page_size
        size = page_size(**window, max_page_size=max_page_size)
        if after or before or last is not None:
            queryset = profile.nested_queryset(kind, org_id, [parent_id], filters, today, parent)
            page = await paginate(queryset, keys, window, max_page_size)
            page.count = count
            return connection(self.connection_type, page, self.to_node)

        async def page_batch(parent_ids: list[int]) -> list[list]:
            queryset = profile.nested_queryset(kind, org_id, parent_ids, filters, today, parent)
            grouped = await first_pages(queryset, parent, keys, size)
            return [grouped.get(pid, []) for pid in parent_ids]

        page_loader = context.loaders.get(
            ("nested_page", kind, parent, filters, order, size), page_batch
        )
        rows = await page_loader.load(parent_id)
        return connection(self.connection_type, first_page(rows, keys, size, count), self.to_node)


def enum_values(values: list[Enum] | None, target: type) -> tuple | None:
    return None if values is None else tuple(target(v.value) for v in values)
