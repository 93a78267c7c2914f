from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from gql_crm import models
from gql_crm.api.accounts import User
from gql_crm.api.billing.types import Invoice, PurchaseOrder
from gql_crm.api.deals.types import Deal, Quote
from gql_crm.api.files.types import File
from gql_crm.api.imports.types import ImportJob
from gql_crm.api.projects.types import Project, Task, TimeLog
from gql_crm.api.relay import ModelNode, counted_connection

RECORD_TYPES: dict[str, type[ModelNode]] = {
    node.__name__: node
    for node in (Project, Task, TimeLog, Invoice, PurchaseOrder, Deal, Quote, File)
}


@strawberry.type
class FieldChange:
    field: str = strawberry.field(description="The field's name, as the database calls it.")
    old: JSON | None
    new: JSON | None


@strawberry.type(description="One entry of a client's history.")
class Activity(ModelNode):
    _model = models.Activity

    id: relay.NodeID[int]
    verb: str = strawberry.field(
        description="created, updated, authorized, payment_recorded, moved, sent, ..."
    )
    target_type: str = strawberry.field(description="The type of the record acted upon.")
    target_id: relay.GlobalID
    created_at: datetime
    changes: list[FieldChange]
    row: strawberry.Private[models.Activity]

    @classmethod
    def from_model(cls, row: models.Activity) -> "Activity":
        return cls(
            id=row.id, verb=row.verb,
            target_type=row.target_type,
            target_id=relay.GlobalID(row.target_type, str(row.target_id)),
            created_at=row.created_at,
            changes=[FieldChange(field=name, old=value.get("old"), new=value.get("new"))
                     for name, value in sorted(row.changes.items())],
            row=row,
        )

    @strawberry.field(description="The record acted upon; null once it is gone.")
    async def target(self, info: Info) -> relay.Node | None:
        from gql_crm.api.clients.types import Client

        node_type = Client if self.row.target_type == "Client" else RECORD_TYPES.get(
            self.row.target_type)
        if node_type is None:
            return None
        # resolve_nodes applies each type's own visibility (a deleted file reads as gone).
        nodes = await node_type.resolve_nodes(info=info, node_ids=[str(self.row.target_id)])
        return nodes[0]

    @strawberry.field(description="Who did it; null for the system (imports, CLI).")
    async def actor(self, info: Info) -> User | None:
        if self.row.actor_id is None:
            return None
        found = await info.context.loaders.by_id(models.User).load(self.row.actor_id)
        return User.from_model(found) if found else None

    @strawberry.field(description="The import that wrote this entry, if one did.")
    async def import_job(self, info: Info) -> ImportJob | None:
        if self.row.import_job_id is None:
            return None
        found = await info.context.loaders.by_id(models.ImportJob).load(self.row.import_job_id)
        return ImportJob.from_model(found) if found else None


ActivityConnection = counted_connection(Activity, "A client's history, newest first.")
