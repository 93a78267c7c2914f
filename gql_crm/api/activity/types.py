from datetime import datetime
from enum import Enum

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info
from strawberry.utils.str_converters import to_camel_case

from gql_crm import models
from gql_crm.api import docs
from gql_crm.api.accounts import User
from gql_crm.api.billing.types import Invoice, PurchaseOrder
from gql_crm.api.core.loaders import load_node
from gql_crm.api.core.relay import ModelNode, OrderDirection, counted_connection
from gql_crm.api.deals.types import Deal, Quote
from gql_crm.api.files.types import File
from gql_crm.api.imports.types import ImportJob
from gql_crm.api.projects.types import Project, Task, TimeLog
from gql_crm.services import activity

RECORD_TYPES: dict[str, type[ModelNode]] = {
    node.__name__: node
    for node in (Project, Task, TimeLog, Invoice, PurchaseOrder, Deal, Quote, File)
}


ActivityVerb = docs.described(
    strawberry.enum(activity.Verb, name="ActivityVerb", description="What was done to the target."),
    {
        "CREATED": "The target was created.",
        "UPDATED": "Some of the target's fields changed (see changes).",
        "ARCHIVED": "The client left the list.",
        "RESTORED": "The client came back to the list.",
        "AUTHORIZED": "The invoice was authorized (issued).",
        "PAYMENT_RECORDED": "A payment of the invoice was recorded.",
        "CANCELED": "The invoice or purchase order was canceled.",
        "CLOSED": "The purchase order was closed.",
        "MOVED": "The deal moved to another stage.",
        "SENT": "The quote was sent.",
        "ACCEPTED": "The quote was accepted.",
        "DECLINED": "The quote was declined.",
        "FILE_ATTACHED": "A file was attached to the client.",
        "FILE_DELETED": "An attached file was deleted.",
        "PHOTO_SET": "The client's photo was set or replaced.",
        "PHOTO_REMOVED": "The client's photo was removed.",
        "IMPORTED": "An import created the client.",
        "UPDATED_BY_IMPORT": "An import updated the client.",
        "COMPANY_UPDATED_BY_IMPORT": "An import updated the client's company.",
        "IMPORT_UNDONE": "Undoing an import put back the values it had changed (see changes).",
        "MERGED": "Other clients were merged into the client: their records moved to it "
        "(changes: mergedClients and the fields it took from them).",
        "MERGED_INTO": "The client was merged into another (changes: mergedInto) and archived.",
        "ERASED": "The client's personal data was erased (eraseClient). Kept detached from "
        "any client; it says who erased and when, nothing of the data.",
    },
)
ActivityTargetType = docs.described(
    strawberry.enum(
        activity.TargetType,
        name="ActivityTargetType",
        description="The type of the record acted upon, named like its GraphQL type.",
    ),
    {
        "CLIENT": "A Client.",
        "CLIENT_CATEGORY": "A ClientCategory.",
        "COMPANY": "A Company.",
        "PROJECT": "A Project.",
        "TASK": "A Task.",
        "TIME_LOG": "A TimeLog.",
        "INVOICE": "An Invoice.",
        "PURCHASE_ORDER": "A PurchaseOrder.",
        "DEAL": "A Deal.",
        "QUOTE": "A Quote.",
        "FILE": "A File.",
    },
)


@strawberry.enum(description="What a client's history can be sorted by.")
class ActivityOrderField(Enum):
    CREATED_AT = strawberry.enum_value("CREATED_AT", description="When it was done.")


@strawberry.input(
    description="The order of a client's history. Ties are broken by the id, so pages are stable."
)
class ActivityOrder:
    field: ActivityOrderField = strawberry.field(description="What to sort by.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.DESC, description=docs.DIRECTION
    )


def api_field_name(stored: str) -> str:
    """A changed field as the API names it: `amount_paid` -> `amountPaid`,
    `company.tax_id` -> `company.taxId`."""
    return ".".join(to_camel_case(part) for part in stored.split("."))


@strawberry.type(description="One field changed by an entry: its value before and after.")
class FieldChange:
    field: str = strawberry.field(
        description="The field's name as the API spells it, e.g. amountPaid; a company's "
        "fields are prefixed, e.g. company.taxId."
    )
    old: JSON | None = strawberry.field(description="The value before; null if it had none.")
    new: JSON | None = strawberry.field(description="The value after; null if it has none.")


@strawberry.type(description="One entry of a client's history.")
class Activity(ModelNode):
    _model = models.Activity

    id: relay.NodeID[int]
    verb: ActivityVerb = strawberry.field(description="What was done.")
    target_type: ActivityTargetType = strawberry.field(
        description="The type of the record acted upon."
    )
    target_id: relay.GlobalID = strawberry.field(
        description="The target's global ID, kept after the target is gone."
    )
    created_at: datetime = strawberry.field(description="When it was done.")
    changes: list[FieldChange] = strawberry.field(description="The changed fields, by name.")
    row: strawberry.Private[models.Activity]

    @classmethod
    def from_model(cls, row: models.Activity) -> "Activity":
        return cls(
            id=row.id,
            verb=activity.Verb(row.verb),
            target_type=activity.TargetType(row.target_type),
            target_id=relay.GlobalID(row.target_type, str(row.target_id)),
            created_at=row.created_at,
            changes=[
                FieldChange(field=api_field_name(name), old=value.get("old"), new=value.get("new"))
                for name, value in sorted(row.changes.items())
            ],
            row=row,
        )

    @strawberry.field(description="The record acted upon; null once it is gone.")
    async def target(self, info: Info) -> relay.Node | None:
        from gql_crm.api.clients.types import Client, Company

        node_types: dict[str, type[ModelNode]] = {"Client": Client, "Company": Company}
        node_type = node_types.get(self.row.target_type) or RECORD_TYPES.get(self.row.target_type)
        if node_type is None:
            return None
        # resolve_nodes applies each type's own visibility (a deleted file reads as gone).
        nodes = await node_type.resolve_nodes(info=info, node_ids=[str(self.row.target_id)])
        return nodes[0]

    @strawberry.field(description="Who did it; null for the system (imports, CLI).")
    async def actor(self, info: Info) -> User | None:
        return await load_node(info, User, self.row.actor_id)

    @strawberry.field(description="The import that wrote this entry, if one did.")
    async def import_job(self, info: Info) -> ImportJob | None:
        return await load_node(info, ImportJob, self.row.import_job_id)


ActivityConnection = counted_connection(Activity, "A client's history, newest first.")
