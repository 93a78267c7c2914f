from datetime import datetime
from enum import Enum

import strawberry
from strawberry import relay
from strawberry.types import Info

from gql_crm import models
from gql_crm.api import docs
from gql_crm.api.accounts import User
from gql_crm.api.core.loaders import load_node
from gql_crm.api.core.relay import ModelNode, OrderDirection, counted_connection
from gql_crm.api.core.urls import absolute_url
from gql_crm.api.errors import UserError
from gql_crm.services.files import downloads, photos


@strawberry.enum(description="What a client's files can be sorted by.")
class FileOrderField(Enum):
    CREATED_AT = strawberry.enum_value("CREATED_AT", description="When it was attached.")
    NAME = strawberry.enum_value("NAME", description="Its name, as text.")


@strawberry.input(
    description="The order of a client's files. Ties are broken by the id, so pages are stable."
)
class FileOrder:
    field: FileOrderField = strawberry.field(description="What to sort by.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.DESC, description=docs.DIRECTION
    )


def download_url(info: Info, row: models.File) -> str:
    path = downloads.download_path(info.context.settings, row.organization_id, row.id)
    return absolute_url(info, path)


@strawberry.type(description="A file attached to a client.")
class File(ModelNode):
    _model = models.File

    id: relay.NodeID[int]
    name: str = strawberry.field(description="The uploaded name, sanitized for the download.")
    description: str = strawberry.field(description="What the file is; may be empty.")
    size: int = strawberry.field(description="Bytes.")
    content_type: str = strawberry.field(description="Detected from the bytes, not the name.")
    sha256: str = strawberry.field(description="The content's SHA-256, hex.")
    created_at: datetime = strawberry.field(description="When it was attached.")
    row: strawberry.Private[models.File]

    @classmethod
    def from_model(cls, row: models.File) -> "File":
        return cls(
            id=row.id,
            name=row.name,
            description=row.description,
            size=row.size,
            content_type=row.content_type,
            sha256=row.sha256,
            created_at=row.created_at,
            row=row,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):
        nodes = await super().resolve_nodes(info=info, node_ids=node_ids, required=required)
        return [node if node and node.row.deleted_at is None else None for node in nodes]

    @strawberry.field(
        description="A signed download link, valid for at least GQL_CRM_DOWNLOAD_URL_TTL seconds "
        "(the same link all minute long, so that browsers keep what they showed)."
    )
    def url(self, info: Info) -> str:
        return download_url(info, self.row)

    @strawberry.field(description="Who attached it; null for the system or a deleted user.")
    async def uploaded_by(self, info: Info) -> User | None:
        return await load_node(info, User, self.row.uploaded_by_id)


@strawberry.type(description="A client's profile photo, stored without its metadata.")
class ClientPhoto:
    width: int = strawberry.field(description="Pixels.")
    height: int = strawberry.field(description="Pixels.")
    original: strawberry.Private[models.File]
    thumbnail: strawberry.Private[models.File | None]

    @strawberry.field(description="The full image, signed like File.url.")
    def url(self, info: Info) -> str:
        return download_url(info, self.original)

    @strawberry.field(description="A square thumbnail (GQL_CRM_THUMBNAIL_SIZE pixels).")
    def thumbnail_url(self, info: Info) -> str | None:
        if self.thumbnail is None:
            return None
        return download_url(info, self.thumbnail)


async def client_photo(root, info: Info) -> ClientPhoto | None:
    org_id = info.context.org_id

    async def batch(client_ids: list[int]) -> list[photos.Photo | None]:
        found = await photos.photos_by_client(org_id, client_ids)
        return [found.get(client_id) for client_id in client_ids]

    photo = await info.context.loaders.get("client_photo", batch).load(root.id)
    if photo is None:
        return None
    return ClientPhoto(
        width=photo.original.width or 0,
        height=photo.original.height or 0,
        original=photo.original,
        thumbnail=photo.thumbnail,
    )


FileConnection = counted_connection(File, "A client's attached files, newest first.")


@strawberry.type(description="The answer of attachClientFile.")
class FilePayload:
    file: File | None = strawberry.field(description="The attached file; null on errors.")
    errors: list[UserError] = strawberry.field(description=docs.ERRORS)


@strawberry.type(description="The answer of deleteFile.")
class DeleteFilePayload:
    deleted_id: relay.GlobalID | None = strawberry.field(
        description="The deleted File's global ID; null on errors."
    )
    errors: list[UserError] = strawberry.field(description=docs.ERRORS)
