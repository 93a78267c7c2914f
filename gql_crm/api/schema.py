"""The schema: root types composed from each domain's queries and mutations."""

import strawberry
from strawberry import relay
from strawberry.relay.fields import NodeExtension
from strawberry.relay.types import GlobalIDValueError

from gql_crm.api.accounts import AccountMutations, AccountQueries
from gql_crm.api.billing.mutations import BillingMutations
from gql_crm.api.clients.mutations import ClientMutations
from gql_crm.api.clients.queries import ClientQueries
from gql_crm.api.deals.mutations import DealMutations
from gql_crm.api.exports.mutations import ExportMutations
from gql_crm.api.extensions import extension_factories
from gql_crm.api.files.mutations import FileMutations
from gql_crm.api.gdpr import GdprMutations
from gql_crm.api.imports.mutations import ImportMutations
from gql_crm.api.imports.queries import ImportQueries
from gql_crm.api.imports.subscriptions import ImportSubscriptions
from gql_crm.api.merge import DuplicateQueries, MergeMutations
from gql_crm.api.projects.mutations import ProjectMutations
from gql_crm.api.scalars import SCALAR_OVERRIDES
from gql_crm.config import Settings


class UnknownTypeIsNull(NodeExtension):
    """An ID naming a type the schema has no node of ("Nope:1") is an ID of nothing."""

    def resolve(self, next_, source, info, **kwargs):
        try:
            return super().resolve(next_, source, info, **kwargs)
        except GlobalIDValueError:
            return None

    async def resolve_async(self, next_, source, info, **kwargs):
        try:
            return await super().resolve_async(next_, source, info, **kwargs)
        except GlobalIDValueError:
            return None


def _query_type() -> type:
    # relay.node() fields are bound to the first schema built from them, hence a fresh
    # Query class per schema (tests build schemas with other limits).
    @strawberry.type(
        name="Query",
        description="What you can read: your organization's "
        "clients, their profiles and records, import jobs and accounts.",
    )
    class Query(AccountQueries, ClientQueries, DuplicateQueries, ImportQueries):
        node: relay.Node | None = strawberry.field(
            description="Any object by its global ID; another organization's IDs resolve to null.",
            extensions=[UnknownTypeIsNull()],
            default=strawberry.UNSET,
        )

    return Query


@strawberry.type(
    description="What you can change. User errors come back as the payload's "
    "errors (nothing was changed), never as GraphQL errors."
)
class Mutation(
    AccountMutations,
    ClientMutations,
    MergeMutations,
    GdprMutations,
    FileMutations,
    ExportMutations,
    ProjectMutations,
    BillingMutations,
    DealMutations,
    ImportMutations,
):
    pass


@strawberry.type(description="Live updates over graphql-transport-ws on /graphql.")
class Subscription(ImportSubscriptions):
    pass


class Schema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        """The ErrorCodes extension logs unexpected errors with their request ID."""


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    return Schema(
        query=_query_type(),
        mutation=Mutation,
        subscription=Subscription,
        scalar_overrides=SCALAR_OVERRIDES,
        extensions=extension_factories(settings or Settings()),
    )


def export_sdl() -> str:
    return build_schema().as_str() + "\n"
