"""Relay plumbing: global IDs scoped to the caller's organization, and connections."""

from collections.abc import Awaitable, Callable, Iterable
from enum import Enum
from typing import Any, ClassVar, TypeVar

import strawberry
from strawberry import relay
from strawberry.types import Info
from tortoise.models import Model
from tortoise.queryset import QuerySet

from gql_crm.services.errors import ErrorCode, UserErrors
from gql_crm.services.global_ids import parse_pk
from gql_crm.services.pagination import Page, SortKey, Window, paginate

ConnectionT = TypeVar("ConnectionT")


@strawberry.enum(
    description="The direction of an orderBy; DESC unless given, in every orderBy of the API."
)
class OrderDirection(Enum):
    ASC = strawberry.enum_value("ASC", description="Smallest, oldest or A first.")
    DESC = strawberry.enum_value("DESC", description="Largest, newest or Z first.")


def decode_id(global_id: relay.GlobalID | None, *type_names: str) -> int | None:
    """The primary key behind a global ID of one of `type_names`, else None.

    An ID of the wrong type, or not a number, is treated like an ID that does not exist.
    """
    if global_id is None or global_id.type_name not in type_names:
        return None
    return parse_pk(global_id.node_id)


def decode_ids(global_ids: Iterable[relay.GlobalID], type_name: str) -> tuple[int, ...]:
    return tuple(i for i in (decode_id(g, type_name) for g in global_ids) if i is not None)


class ModelNode(relay.Node):
    """A Node whose objects come from one Tortoise model, loaded through a DataLoader."""

    _model: ClassVar[type[Model]]

    @classmethod
    def from_model(cls, row: Any) -> Any:
        raise NotImplementedError

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        ids = [parse_pk(node_id) or 0 for node_id in node_ids]
        rows = await info.context.loaders.by_id(cls._model).load_many(ids)
        return [cls.from_model(row) if row is not None else None for row in rows]


def connection(
    connection_type: Callable[..., ConnectionT], page: Page, to_node: Callable[[Any], Any]
) -> ConnectionT:
    return connection_type(
        edges=[
            relay.Edge(cursor=cursor, node=to_node(item))
            for item, cursor in zip(page.items, page.cursors, strict=True)
        ],
        page_info=relay.PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None,
        ),
        count=page.count,
    )


async def paged_connection(
    info: Info,
    connection_type: Callable[..., ConnectionT],
    queryset: QuerySet,
    keys: list[SortKey],
    to_node: Callable[[Any], Any],
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    count: Callable[[], Awaitable[int]] | None = None,
) -> ConnectionT:
    """The page of `queryset` a connection field's first/after/last/before ask for."""
    window = Window(first=first, after=after, last=last, before=before)
    page = await paginate(queryset, keys, window, info.context.settings.max_page_size, count)
    return connection(connection_type, page, to_node)


def counted_connection(node_type: type, description: str) -> type:
    """A Relay connection of `node_type` with a lazily counted totalCount."""

    @strawberry.type(name=f"{node_type.__name__}Connection", description=description)
    class CountedConnection(relay.Connection[node_type]):
        count: strawberry.Private[Callable]

        @strawberry.field(description="Rows matching the filters, across all pages.")
        async def total_count(self) -> int:
            return await self.count()

    return CountedConnection


def input_to_data(value: Any, id_types: dict[str, str] | None = None) -> dict[str, Any]:
    """A Strawberry input as a dict of the fields the caller set (UNSET ones left out).

    Global IDs named in `id_types` ({"category_id": "ClientCategory"}) become primary keys;
    one of another type becomes 0, which no row has, so it reads as "not found".
    """
    data: dict[str, Any] = {}
    for name, item in vars(value).items():
        if item is strawberry.UNSET:
            continue
        if isinstance(item, relay.GlobalID):
            item = decode_id(item, (id_types or {}).get(name, "")) or 0
        elif isinstance(item, Enum):
            item = item.value
        elif hasattr(item, "__strawberry_definition__"):
            item = input_to_data(item, id_types)
        data[name] = item
    return data


def record_id(global_id: relay.GlobalID, type_name: str, field: str = "id") -> int:
    """The primary key behind a mutation's ID argument; a wrong one is a NOT_FOUND error."""
    pk = decode_id(global_id, type_name)
    if pk is None:
        raise UserErrors.single(ErrorCode.NOT_FOUND, field)
    return pk
