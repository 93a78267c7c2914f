from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from starlette.requests import HTTPConnection

from gql_crm.api.core.loaders import Loaders
from gql_crm.config import Settings
from gql_crm.services import records
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
    # graphql-transport-ws: the connection_init payload, where the token travels.
    connection_params: dict | None = None
    # A websocket outlives its token's revocation: each operation on it checks this again.
    socket_token: str | None = None

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.actor.org_id if self.actor else 0)

    def sign_in(self, actor: Actor | None, token: str | None = None) -> None:
        """A websocket's caller, known once its connection_init arrives; None signs out."""
        self.actor = actor
        self.socket_token = token
        self.loaders = Loaders(actor.org_id if actor else 0)
        for cached in ("org_id", "today"):
            self.__dict__.pop(cached, None)

    @cached_property
    def org_id(self) -> int:
        assert self.actor is not None, "the authentication extension lets no anonymous call in"
        return self.actor.org_id

    @cached_property
    def today(self) -> date:
        """The organization's date, fixed for the whole request (overdue, upcoming, expired)."""
        assert self.actor is not None, "the authentication extension lets no anonymous call in"
        return records.today(self.actor.organization)
