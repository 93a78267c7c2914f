"""Organizations, users, API tokens and the role rules."""

import hashlib
import re
import secrets
from dataclasses import dataclass

from cachetools import TTLCache
from tortoise.timezone import now

from gql_crm.models import ApiToken, Organization, Role, User
from gql_crm.services.errors import ErrorCode, UserErrors
from gql_crm.services.text import fold
from gql_crm.services.validation import Validator, normalize_country, required_email

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


class TokenCache:
    """Who each recently authenticated token is, by the token's hash, in this process: most
    requests then skip the look-up. Revoking a token or changing its user's role here
    forgets it at once; another process serves what it holds until the entry expires (the
    `ttl`, which bounds how long a revocation takes to reach every process)."""

    def __init__(self, ttl: float = 30.0, size: int = 10_000) -> None:
        # Bumped by each forget: a look-up that was under way meanwhile may have read the
        # row before the change, so its answer is not cached.
        self.generation = 0
        self.configure(ttl, size)

    def configure(self, ttl: float, size: int) -> None:
        """Empties the cache; a `ttl` or `size` of 0 turns it off."""
        self.generation += 1
        self._actors: TTLCache | None = (
            TTLCache(maxsize=size, ttl=ttl) if ttl > 0 and size > 0 else None
        )

    def get(self, token_hash: str) -> "Actor | None":
        return self._actors.get(token_hash) if self._actors is not None else None

    def put(self, token_hash: str, actor: "Actor", generation: int) -> None:
        if self._actors is not None and generation == self.generation:
            self._actors[token_hash] = actor

    def forget(self, token_hash: str) -> None:
        self.generation += 1
        if self._actors is not None:
            self._actors.pop(token_hash, None)

    def forget_user(self, user_id: int) -> None:
        self.generation += 1
        if self._actors is not None:
            for token_hash, actor in list(self._actors.items()):
                if actor.user_id == user_id:
                    self._actors.pop(token_hash, None)


token_cache = TokenCache()


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
    email = checks.check("email", required_email, email)
    checks.raise_if_errors()
    user = await User.get_or_none(organization=organization, email=email)
    if user is None:
        return await User.create(organization=organization, email=email, role=role)
    if user.role != role:
        user.role = role
        await user.save(update_fields=["role"])
        token_cache.forget_user(user.id)
    return user


async def issue_token(user: User) -> str:
    """A new random token; only its hash is kept, so this is the one time it can be read."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    await ApiToken.create(
        organization_id=user.organization_id, user=user, token_hash=hash_token(token)
    )
    return token


async def list_users(actor: Actor) -> list[User]:
    actor.require(Role.ADMIN)
    return await User.filter(organization_id=actor.org_id).order_by("email", "id")


async def create_user(actor: Actor, email: str, role: Role) -> User:
    actor.require(Role.ADMIN)
    checks = Validator()
    email = checks.check("email", required_email, email)
    checks.raise_if_errors()
    if await User.filter(organization_id=actor.org_id, email=email).exists():
        raise UserErrors.single(ErrorCode.DUPLICATE, "email")
    return await User.create(organization_id=actor.org_id, email=email, role=role)


async def _require_user(actor: Actor, user_id: int, field: str = "id") -> User:
    user = await User.get_or_none(organization_id=actor.org_id, id=user_id)
    if user is None:
        raise UserErrors.single(ErrorCode.NOT_FOUND, field)
    return user


async def set_user_role(actor: Actor, user_id: int, role: Role) -> User:
    actor.require(Role.ADMIN)
    user = await _require_user(actor, user_id)
    if user.id == actor.user_id and role != Role.ADMIN:
        # An organization must not lose its last way to manage itself by accident.
        raise UserErrors.single(ErrorCode.INVALID_STATE, "role", state=user.role.value)
    user.role = role
    await user.save(update_fields=["role"])
    token_cache.forget_user(user.id)
    return user


async def issue_token_for(actor: Actor, user_id: int) -> tuple[ApiToken, str]:
    actor.require(Role.ADMIN)
    user = await _require_user(actor, user_id, "user_id")
    token = await issue_token(user)
    return await ApiToken.get(token_hash=hash_token(token)), token


async def list_tokens(actor: Actor) -> list[ApiToken]:
    actor.require(Role.ADMIN)
    return await ApiToken.filter(organization_id=actor.org_id).order_by("-created_at", "-id")


async def revoke_token(actor: Actor, token_id: int) -> ApiToken:
    actor.require(Role.ADMIN)
    token = await ApiToken.get_or_none(organization_id=actor.org_id, id=token_id)
    if token is None:
        raise UserErrors.single(ErrorCode.NOT_FOUND, "id")
    if token.revoked_at is not None:
        raise UserErrors.single(ErrorCode.INVALID_STATE, "id", state="REVOKED")
    token.revoked_at = now()
    await token.save(update_fields=["revoked_at"])
    token_cache.forget(token.token_hash)
    return token


async def authenticate(token: str | None) -> Actor | None:
    if not token:
        return None
    token_hash = hash_token(token)
    actor = token_cache.get(token_hash)
    if actor is not None:
        return actor
    generation = token_cache.generation
    record = (
        await ApiToken.filter(token_hash=token_hash, revoked_at__isnull=True)
        .select_related("user", "organization")
        .first()
    )
    if record is None:
        return None
    actor = Actor(record.organization, record.user, record.user.role)
    token_cache.put(token_hash, actor, generation)
    return actor
