"""Plumbing shared by the profile's tabs and records: money, the organization's today, and
tab connections whose totalCount is one grouped query for a whole page of clients."""

from collections.abc import Callable
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info
from tortoise.queryset import QuerySet

from gql_crm.api.relay import OrderDirection, connection
from gql_crm.services import profile
from gql_crm.services.pagination import (
    SortKey,
    first_page,
    first_pages,
    page_size,
    paginate,
)


@strawberry.type(description="An amount in one currency. Amounts of different currencies are "
                 "never added together.")
class Money:
    amount: Decimal = strawberry.field(description="Exact, two decimal places.")
    currency: str = strawberry.field(description="ISO 4217, e.g. EUR.")


def money_list(amounts: dict[str, Decimal]) -> list[Money]:
    """One Money per currency, by currency code."""
    return [Money(amount=amounts[code], currency=code) for code in sorted(amounts)]



def tab_order(order_by: Any, default: str = "CREATED_AT") -> tuple:
    """(sort field, descending) of a tab's `orderBy` input; newest first by default."""
    if order_by is None:
        return profile.TabOrderField[default], True
    return profile.TabOrderField[order_by.field.value], order_by.direction == OrderDirection.DESC


async def page_connection(
    info: Info, connection_type: type, to_node: Callable[[Any], Any], queryset: QuerySet,
    keys: list[SortKey], first: int | None, after: str | None, last: int | None,
    before: str | None,
) -> Any:
    page = await paginate(
        queryset, keys, first=first, after=after, last=last, before=before,
        max_page_size=info.context.settings.max_page_size,
    )
    return connection(connection_type, page, to_node)


async def tab_connection(
    info: Info, connection_type: type, to_node: Callable[[Any], Any], tab: profile.Tab,
    client_id: int, filters: profile.TabFilter, order: tuple, first: int | None,
    after: str | None, last: int | None, before: str | None,
) -> Any:
    """One page of a client's tab. A first page and its totalCount load with those of every
    other client of the request (two and one statements), so a tab asked for in a list of
    clients costs the same whatever the list's length; later pages belong to one client."""
    context = info.context
    org_id, today = context.org_id, context.today
    keys = profile.tab_sort_keys(*order)

    async def count_batch(client_ids: list[int]) -> list[int]:
        counts = await profile.tab_counts(tab, org_id, client_ids, filters, today)
        return [counts[client_id] for client_id in client_ids]

    counter = context.loaders.get(("tab_count", tab, filters), count_batch)

    def count() -> Any:
        return counter.load(client_id)

    size = page_size(first, after, last, before, context.settings.max_page_size)
    if after or before or last is not None:
        queryset = profile.tab_queryset(tab, org_id, [client_id], filters, today)
        page = await paginate(queryset, keys, first=first, after=after, last=last,
                              before=before, max_page_size=context.settings.max_page_size)
        page.count = count
        return connection(connection_type, page, to_node)

    async def page_batch(client_ids: list[int]) -> list[list]:
        queryset = profile.tab_queryset(tab, org_id, client_ids, filters, today)
        grouped = await first_pages(queryset, "client_id", keys, size)
        return [grouped.get(client_id, []) for client_id in client_ids]

    rows = await context.loaders.get(("tab_page", tab, filters, order, size), page_batch).load(
        client_id
    )
    return connection(connection_type, first_page(rows, keys, size, count), to_node)


def enum_values(values: list[Enum] | None, target: type) -> tuple | None:
    return None if values is None else tuple(target(v.value) for v in values)
