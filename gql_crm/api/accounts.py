from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from gql_crm import models
from gql_crm.api.errors import UserError, mutate
from gql_crm.api.relay import ModelNode, decode_id
from gql_crm.services import auth

Role = strawberry.enum(models.Role, description="Each role can do what the ones before it can.")


@strawberry.type
class User(ModelNode):
    _model = models.User

    id: relay.NodeID[int]
    email: str
    role: Role
    created_at: datetime

    @classmethod
    def from_model(cls, row: models.User) -> "User":
        return cls(id=row.id, email=row.email, role=row.role, created_at=row.created_at)


@strawberry.type(description="An API token's record; the secret itself is shown only once.")
class ApiToken(ModelNode):
    _model = models.ApiToken

    id: relay.NodeID[int]
    created_at: datetime
    revoked_at: datetime | None
    user_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: models.ApiToken) -> "ApiToken":
        return cls(
            id=row.id, created_at=row.created_at, revoked_at=row.revoked_at, user_id=row.user_id
        )

    @strawberry.field
    async def user(self, info: Info) -> User | None:
        row = await info.context.loaders.by_id(models.User).load(self.user_id)
        return User.from_model(row) if row else None


@strawberry.type
class ViewerOrganization:
    name: str
    slug: str
    timezone: str


@strawberry.type(description="Who is calling, and for which organization.")
class Viewer:
    user: User | None
    organization: ViewerOrganization
    role: Role


@strawberry.input
class CreateUserInput:
    email: str
    role: Role


@strawberry.type
class UserPayload:
    user: User | None
    errors: list[UserError]


@strawberry.type
class ApiTokenPayload:
    api_token: ApiToken | None
    errors: list[UserError]


@strawberry.type
class IssuedToken:
    api_token: ApiToken
    token: str = strawberry.field(description="The secret: store it now, it is not kept.")


@strawberry.type
class IssueApiTokenPayload:
    issued_token: IssuedToken | None
    errors: list[UserError]


def _id(global_id: relay.GlobalID, type_name: str) -> int:
    # 0 matches no row, so a foreign or malformed ID reads as "not found".
    return decode_id(global_id, type_name) or 0


@strawberry.type
class AccountQueries:
    @strawberry.field
    def viewer(self, info: Info) -> Viewer:
        actor = info.context.actor
        org = actor.organization
        return Viewer(
            user=User.from_model(actor.user) if actor.user else None,
            organization=ViewerOrganization(name=org.name, slug=org.slug, timezone=org.timezone),
            role=actor.role,
        )

    @strawberry.field(description="Needs ADMIN.")
    async def users(self, info: Info) -> list[User]:
        return [User.from_model(row) for row in await auth.list_users(info.context.actor)]

    @strawberry.field(description="Needs ADMIN.")
    async def api_tokens(self, info: Info) -> list[ApiToken]:
        return [ApiToken.from_model(row) for row in await auth.list_tokens(info.context.actor)]


@strawberry.type
class AccountMutations:
    @strawberry.mutation(description="Needs ADMIN.")
    async def create_user(self, info: Info, input: CreateUserInput) -> UserPayload:
        return await mutate(
            info, UserPayload, "user", User.from_model,
            lambda: auth.create_user(info.context.actor, input.email,
                                     models.Role(input.role.value)),
        )

    @strawberry.mutation(description="Needs ADMIN; admins cannot demote themselves.")
    async def set_user_role(self, info: Info, id: relay.GlobalID, role: Role) -> UserPayload:
        return await mutate(
            info, UserPayload, "user", User.from_model,
            lambda: auth.set_user_role(info.context.actor, _id(id, "User"),
                                       models.Role(role.value)),
        )

    @strawberry.mutation(description="A new token for a user; needs ADMIN.")
    async def issue_api_token(self, info: Info, user_id: relay.GlobalID) -> IssueApiTokenPayload:
        return await mutate(
            info, IssueApiTokenPayload, "issued_token",
            lambda issued: IssuedToken(api_token=ApiToken.from_model(issued[0]), token=issued[1]),
            lambda: auth.issue_token_for(info.context.actor, _id(user_id, "User")),
        )

    @strawberry.mutation(description="Needs ADMIN; the token stops working at once.")
    async def revoke_api_token(self, info: Info, id: relay.GlobalID) -> ApiTokenPayload:
        return await mutate(
            info, ApiTokenPayload, "api_token", ApiToken.from_model,
            lambda: auth.revoke_token(info.context.actor, _id(id, "ApiToken")),
        )
