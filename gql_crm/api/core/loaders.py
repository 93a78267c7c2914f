"""Per-request DataLoaders: one SQL statement per batch of nested fields, whatever the page."""

from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader
from strawberry.types import Info
from tortoise.models import Model

from gql_crm.api.core.relay import ModelNode


class Loaders:
    """Lazily built loaders, each scoped to the caller's organization."""

    def __init__(self, org_id: int):
        self.org_id = org_id
        self._loaders: dict[Hashable, DataLoader] = {}

    def get(
        self,
        key: Hashable,
        batch: Callable[[list[Any]], Awaitable[list[Any]]],
        *,
        cache: bool = True,
    ) -> DataLoader:
        """`cache=False` for what changes while a subscription (one context) runs."""
        loader = self._loaders.get(key)
        if loader is None:
            loader = self._loaders[key] = DataLoader(load_fn=batch, cache=cache)
        return loader

    def by_id(self, model: type[Model]) -> DataLoader:
        """Rows of `model` by primary key; another organization's rows load as None."""

        async def batch(ids: list[int]) -> list[Model | None]:
            rows = await model.filter(organization_id=self.org_id, id__in=ids)
            found = {row.pk: row for row in rows}
            return [found.get(i) for i in ids]

        return self.get(("by_id", model), batch)

    def figures(
        self, name: Hashable, compute: Callable[[int, list[int]], Awaitable[dict[int, Any]]]
    ) -> DataLoader:
        """Figures by parent id from `compute(org_id, ids)`, which answers a dict for a whole
        batch of parents (a grouped aggregate): one statement for every parent of the
        request. `name` tells apart the loaders of different figures."""

        async def batch(ids: list[int]) -> list[Any]:
            found = await compute(self.org_id, ids)
            return [found[i] for i in ids]

        return self.get(("figures", name), batch)


NodeT = TypeVar("NodeT", bound=ModelNode)


async def load_node(info: Info, node_type: type[NodeT], pk: int | None) -> NodeT | None:
    """The `node_type` of the row of its model with primary key `pk`, batched with every
    other one the request loads; None when `pk` is None or names no row of the caller's
    organization."""
    if pk is None:
        return None
    row = await info.context.loaders.by_id(node_type._model).load(pk)
    return node_type.from_model(row) if row is not None else None


async def load_children(
    info: Info, model: type[Model], parent_field: str, parent_id: int, order: str = "position"
) -> list:
    """The rows of `model` under a parent (an invoice's lines or payments, a quote's lines),
    in `order`, batched across every parent the request shows."""
    org_id = info.context.org_id

    async def batch(parent_ids: list[int]) -> list[list]:
        rows = await model.filter(
            organization_id=org_id, **{f"{parent_field}__in": parent_ids}
        ).order_by(parent_field, order, "id")
        grouped: dict[int, list] = {pid: [] for pid in parent_ids}
        for row in rows:
            grouped[getattr(row, parent_field)].append(row)
        return [grouped[pid] for pid in parent_ids]

    return await info.context.loaders.get(("lines", model), batch).load(parent_id)


async def load_client(info: Info, client_id: int | None) -> Any:
    """The Client node, for the records that belong to one."""
    # Imported here: the clients' types show the records that refer back to them.
    from gql_crm.api.clients.types import Client

    return await load_node(info, Client, client_id)
