from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from gql_crm import models
from gql_crm.api import docs
from gql_crm.api.core.loaders import load_node
from gql_crm.api.core.relay import ModelNode, record_id
from gql_crm.api.errors import MutationPayload, UserError
from gql_crm.services import auth

Role = docs.described(
    strawberry.enum(models.Role, description="Each role can do what the ones before it can."),
    {
        "VIEWER": "Reads everything of the organization.",
        "MEMBER": "Also creates and changes clients and their records.",
        "MANAGER": "Also archives and restores clients, imports and exports.",
        "ADMIN": "Also manages users, API tokens and categories.",
    },
)


@strawberry.type(description="A person of the organization who calls the API with a token.")
class User(ModelNode):
    _model = models.User

    id: relay.NodeID[int]
    email: str = strawberry.field(description="Normalized; unique.")
    role: Role = strawberry.field(description="What the user may do.")
    created_at: datetime = strawberry.field(description=docs.CREATED_AT)

    @classmethod
    def from_model(cls, row: models.User) -> "User":
        return cls(id=row.id, email=row.email, role=row.role, created_at=row.created_at)


@strawberry.type(description="An API token's record; the secret itself is shown only once.")
class ApiToken(ModelNode):
    _model = models.ApiToken

    id: relay.NodeID[int]
    created_at: datetime = strawberry.field(description="When it was issued.")
    revoked_at: datetime | None = strawberry.field(
        description="When it stopped working; null while it works."
    )
    user_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: models.ApiToken) -> "ApiToken":
        return cls(
            id=row.id, created_at=row.created_at, revoked_at=row.revoked_at, user_id=row.user_id
        )

    @strawberry.field(description="Whose token it is; null once the user is gone.")
    async def user(self, info: Info) -> User | None:
        return await load_node(info, User, self.user_id)


@strawberry.type(description="The caller's organization.")
class ViewerOrganization:
    name: str = strawberry.field(description="Its display name.")
    slug: str = strawberry.field(description="Its unique short name.")
    timezone: str = strawberry.field(
        description="IANA time zone, e.g. Europe/Madrid: it decides the organization's "
        "today (overdue tasks and invoices, expired quotes)."
    )


@strawberry.type(description="Who is calling, and for which organization.")
class Viewer:
    user: User | None = strawberry.field(description="null for a token of no user (the CLI's).")
    organization: ViewerOrganization = strawberry.field(description="Whose data you see.")
    role: Role = strawberry.field(description="What you may do.")


@strawberry.input(description="A new user.")
class CreateUserInput:
    email: str = strawberry.field(description="Unique in the organization.")
    role: Role = strawberry.field(description="What the user may do.")


@strawberry.type(description="The answer of a mutation on a user.")
class UserPayload:
    user: User | None = strawberry.field(description="The user as it is now; null on errors.")
    errors: list[UserError] = strawberry.field(description=docs.ERRORS)


@strawberry.type(description="The answer of revokeApiToken.")
class ApiTokenPayload:
    api_token: ApiToken | None = strawberry.field(description="The revoked token; null on errors.")
    errors: list[UserError] = strawberry.field(description=docs.ERRORS)


@strawberry.type(description="A new token and, this once, its secret.")
class IssuedToken:
    api_token: ApiToken = strawberry.field(description="The token's record.")
    token: str = strawberry.field(description="The secret: store it now, it is not kept.")


@strawberry.type(description="The answer of issueApiToken.")
class IssueApiTokenPayload:
    issued_token: IssuedToken | None = strawberry.field(
        description="The token and its secret; null on errors."
    )
    errors: list[UserError] = strawberry.field(description=docs.ERRORS)


@strawberry.type
class AccountQueries:
    @strawberry.field(description="Who you are: the token's user, organization and role.")
    def viewer(self, info: Info) -> Viewer:
        actor = info.context.actor
        org = actor.organization
        return Viewer(
            user=User.from_model(actor.user) if actor.user else None,
            organization=ViewerOrganization(name=org.name, slug=org.slug, timezone=org.timezone),
            role=actor.role,
        )

    @strawberry.field(description="The organization's users. Needs ADMIN.")
    async def users(self, info: Info) -> list[User]:
        return [User.from_model(row) for row in await auth.list_users(info.context.actor)]

    @strawberry.field(
        description="The organization's API tokens, revoked ones included. Needs ADMIN."
    )
    async def api_tokens(self, info: Info) -> list[ApiToken]:
        return [ApiToken.from_model(row) for row in await auth.list_tokens(info.context.actor)]


USER_PAYLOAD = MutationPayload(UserPayload, "user", User.from_model)
ISSUE_API_TOKEN_PAYLOAD = MutationPayload(
    IssueApiTokenPayload,
    "issued_token",
    lambda issued: IssuedToken(api_token=ApiToken.from_model(issued[0]), token=issued[1]),
)
API_TOKEN_PAYLOAD = MutationPayload(ApiTokenPayload, "api_token", ApiToken.from_model)


@strawberry.type
class AccountMutations:
    @strawberry.mutation(description="Adds a user to the organization. Needs ADMIN.")
    async def create_user(
        self,
        info: Info,
        input: Annotated[CreateUserInput, strawberry.argument(description="The user.")],
    ) -> UserPayload:
        return await USER_PAYLOAD.run(
            info, lambda: auth.create_user(info.context.actor, input.email, input.role)
        )

    @strawberry.mutation(description="Needs ADMIN; admins cannot demote themselves.")
    async def set_user_role(
        self,
        info: Info,
        id: docs.record_id("User"),
        role: Annotated[Role, strawberry.argument(description="The new role.")],
    ) -> UserPayload:
        return await USER_PAYLOAD.run(
            info, lambda: auth.set_user_role(info.context.actor, record_id(id, "User"), role)
        )

    @strawberry.mutation(description="A new token for a user; needs ADMIN.")
    async def issue_api_token(
        self,
        info: Info,
        user_id: Annotated[
            relay.GlobalID, strawberry.argument(description="The User's global ID.")
        ],
    ) -> IssueApiTokenPayload:
        return await ISSUE_API_TOKEN_PAYLOAD.run(
            info,
            lambda: auth.issue_token_for(info.context.actor, record_id(user_id, "User", "user_id")),
        )

    @strawberry.mutation(description="Needs ADMIN; the token stops working at once.")
    async def revoke_api_token(self, info: Info, id: docs.record_id("ApiToken")) -> ApiTokenPayload:
        return await API_TOKEN_PAYLOAD.run(
            info, lambda: auth.revoke_token(info.context.actor, record_id(id, "ApiToken"))
        )
