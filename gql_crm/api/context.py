from dataclasses import dataclass, field
from functools import cached_property

from starlette.requests import HTTPConnection

from gql_crm.api.dataloaders import Loaders
from gql_crm.config import Settings
from gql_crm.services.auth import Actor


@dataclass
class Context:
    """Per-request state every resolver reaches through `info.context`."""

    request: HTTPConnection
    settings: Settings
    actor: Actor | None
    language: str
    request_id: str
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.actor.org_id if self.actor else 0)

    @cached_property
    def org_id(self) -> int:
        assert self.actor is not None, "the authentication extension lets no anonymous call in"
        return self.actor.org_id
