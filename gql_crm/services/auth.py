"""Organizations, users, API tokens and the role rules."""

import hashlib
import re
import secrets
from dataclasses import dataclass

from tortoise.expressions import Q
from tortoise.timezone import now

from gql_crm.models import ApiToken, Organization, Role, User
from gql_crm.services.errors import ErrorCode, UserErrors
from gql_crm.services.text import fold
from gql_crm.services.validation import Validator, normalize_country, normalize_email

TOKEN_PREFIX = "gqlcrm_"

class PermissionDenied(Exception):
    """The caller is authenticated but its role does not allow the action."""

    def __init__(self, role: Role, required: Role):
        super().__init__(f"role {role} cannot do what needs {required}")
        self.role = role
        self.required = required

@dataclass(frozen=True)
class Actor:
    """Who is acting, in which organization: the scope of every service call."""

    organization: Organization
    user: User | None
    role: Role

    @property
    def org_id(self) -> int:
        return self.organization.id

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user else None

    def require(self, role: Role) -> None:
        if self.role.rank < role.rank:
            raise PermissionDenied(self.role, role)

    @classmethod
    def system(cls, organization: Organization) -> "Actor":
        """The CLI and background jobs act with full rights and no user."""
        return cls(organization, None, Role.ADMIN)

def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()

def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")[:50] or "org"

async def create_organization(
    name: str, *, slug: str | None = None, default_country: str | None = None
) -> Organization:
    name = name.strip()
    if not name:
        raise UserErrors.single(ErrorCode.REQUIRED, "name")
    base = slugify(slug or name)
    candidate, n = base, 1
    while await Organization.filter(slug=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return await Organization.create(
        name=name, slug=candidate, default_country=normalize_country(default_country)
    )

async def get_or_create_user(organization: Organization, email: str, role: Role) -> User:
    checks = Validator()
    email = checks.check("email", normalize_email, email)
    checks.raise_if_errors()
    user = await User.get_or_none(organization=organization, email=email)
    if user is None:
        return await User.create(organization=organization, email=email, role=role)
    if user.role != role:
        user.role = role
        await user.save(update_fields=["role"])
    return user

async def issue_token(user: User) -> str:
    """A new random token; only its hash is kept, so this is the one time it can be read."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    await ApiToken.create(
        organization_id=user.organization_id, user=user, token_hash=hash_token(token)
    )
    return token

async def revoke_token(actor: Actor, token_id: int) -> bool:
    actor.require(Role.ADMIN)

    updated = await ApiToken.filter(
        Q(id=token_id, organization_id=actor.org_id, revoked_at__isnull=True)
    ).update(revoked_at=now())
    return bool(updated)

async def authenticate(token: str | None) -> Actor | None:
    if not token:
        return None
    record = (
        await ApiToken.filter(token_hash=hash_token(token), revoked_at__isnull=True)
        .select_related("user", "organization")
        .first()
    )
    if record is None:
        return None
    return Actor(record.organization, record.user, record.user.role)
