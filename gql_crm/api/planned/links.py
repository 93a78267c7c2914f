"""Signed download links (`File.url`, a photo's `url` and `thumbnailUrl`) in the JSON the
database writes.

The database cannot sign: where a link goes, the statement writes a placeholder, the JSON
string "<nonce>:<organization id>:<file id>" of the file's row, and the server replaces
each one by the link the executor gives (services/files/downloads, api/core/urls). The
nonce is random, made per request and sent as a parameter, so no stored text can pass for
a placeholder; a request whose statements asked for none makes no nonce and has nothing
replaced.
"""

import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson
from starlette.requests import HTTPConnection

from gql_crm.api.core.urls import base_url
from gql_crm.api.planned.sql import Dialect
from gql_crm.config import Settings
from gql_crm.services.files import downloads

if TYPE_CHECKING:
    from gql_crm.api.planned.compiler import Request

NONCE_BYTES = 16
PLACEHOLDER = re.compile(rf'"([0-9a-f]{{{2 * NONCE_BYTES}}}):(\d+):(\d+)"')


class Links:
    """One request's placeholders, and what its links are signed with and placed under."""

    def __init__(self, settings: Settings, connection: HTTPConnection):
        self.settings = settings
        self.connection = connection
        self._nonce: str | None = None

    @property
    def nonce(self) -> str:
        if self._nonce is None:
            self._nonce = secrets.token_hex(NONCE_BYTES)
        return self._nonce

    def signed(self, text: str) -> str:
        """`text` (JSON the database wrote) with its placeholders replaced by signed links."""
        nonce = self._nonce
        if nonce is None:
            return text
        base = base_url(self.connection)

        def link(match: re.Match) -> str:
            if match[1] != nonce:
                return match[0]
            path = downloads.download_path(self.settings, int(match[2]), int(match[3]))
            return orjson.dumps(base + path).decode()

        return PLACEHOLDER.sub(link, text)


@dataclass
class Link:
    """A compiler.Fragment: the placeholder of the link to the file in the row alias `row`."""

    dialect: Dialect
    row: str

    def sql(self, request: "Request") -> tuple[str, list]:
        nonce = f"CAST({self.dialect.placeholder(1)} AS TEXT)"
        row = self.row
        return (
            f"{nonce} || ':' || CAST({row}.\"organization_id\" AS TEXT) || ':' || "
            f'CAST({row}."id" AS TEXT)',
            [request.links.nonce],
        )
