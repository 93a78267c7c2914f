"""Client categories: a per-organization list the clients list filters on."""

from tortoise.exceptions import IntegrityError

from gql_crm.models import ClientCategory, Role
from gql_crm.services import activity
from gql_crm.services.auth import Actor
from gql_crm.services.errors import ErrorCode, UserErrors
from gql_crm.services.keys import category_name_key
from gql_crm.services.validation import Validator, category_name


async def list_categories(org_id: int) -> list[ClientCategory]:
    return await ClientCategory.filter(organization_id=org_id).order_by("name_key", "id")


async def create_category(actor: Actor, name: str) -> ClientCategory:
    actor.require(Role.ADMIN)
    checks = Validator()
    name = checks.check("name", category_name, name, True)
    checks.raise_if_errors()
    key = category_name_key(name)
    if await ClientCategory.filter(organization_id=actor.org_id, name_key=key).exists():
        raise UserErrors.single(ErrorCode.DUPLICATE, "name")
    try:
        category = await ClientCategory.create(
            organization_id=actor.org_id, name=name, name_key=key
        )
    except IntegrityError:
        raise UserErrors.single(ErrorCode.DUPLICATE, "name") from None
    await activity.record(
        actor,
        client_id=None,
        verb="created",
        target_type="ClientCategory",
        target_id=category.id,
        changes={"name": {"old": None, "new": name}},
    )
    return category
