import strawberry
from strawberry.types import Info

from gql_crm.models import Role as RoleModel

Role = strawberry.enum(RoleModel, description="Each role can do what the ones before it can.")


@strawberry.type
class ViewerUser:
    email: str
    role: Role


@strawberry.type
class ViewerOrganization:
    name: str
    slug: str
    timezone: str


@strawberry.type(description="Who is calling, and for which organization.")
class Viewer:
    user: ViewerUser | None
    organization: ViewerOrganization
    role: Role


@strawberry.type
class AccountQueries:
    @strawberry.field
    def viewer(self, info: Info) -> Viewer:
        actor = info.context.actor
        org = actor.organization
        return Viewer(
            user=ViewerUser(email=actor.user.email, role=actor.user.role) if actor.user else None,
            organization=ViewerOrganization(name=org.name, slug=org.slug, timezone=org.timezone),
            role=actor.role,
        )
