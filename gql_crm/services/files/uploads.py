"""What attachments and photos share: reading an upload within the size limit, the
client it goes to, and releasing the blobs no file uses any more."""

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any, Protocol

from gql_crm.config import Settings
from gql_crm.models import File, FilePurpose
from gql_crm.services import activity
from gql_crm.services.auth import Actor
from gql_crm.services.errors import ErrorCode, UserErrors
from gql_crm.services.files.sniffing import SNIFF_BYTES, guessed_type
from gql_crm.services.messages import Phrase
from gql_crm.services.records import write_transaction
from gql_crm.services.storage import CHUNK_SIZE, StoredBlob, storage_for


class Upload(Protocol):
    """What an uploaded file offers (Starlette's UploadFile, as the GraphQL layer gets it)."""

    filename: str | None

    async def read(self, size: int = -1) -> bytes: ...


def unsupported(head: bytes) -> UserErrors:
    """The refusal of a file whose bytes are not of a type accepted here."""
    return UserErrors.single(
        ErrorCode.UNSUPPORTED_FILE, "file", reason=guessed_type(head) or Phrase("FILE_UNKNOWN_TYPE")
    )


def _too_large(max_bytes: int) -> UserErrors:
    return UserErrors.single(ErrorCode.FILE_TOO_LARGE, "file", max_bytes=max_bytes)


async def chunks(head: bytes, upload: Upload, max_bytes: int) -> AsyncIterator[bytes]:
    """The upload's bytes after `head`, refused as soon as they pass `max_bytes`."""
    size = len(head)
    yield head
    while chunk := await upload.read(CHUNK_SIZE):
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        yield chunk


async def read_head(upload: Upload, max_bytes: int) -> bytes:
    """The first bytes of the upload, enough to tell its type; an empty one is refused."""
    head = await upload.read(SNIFF_BYTES)
    if not head:
        raise UserErrors.single(ErrorCode.REQUIRED, "file")
    if len(head) > max_bytes:
        raise _too_large(max_bytes)
    return head


@asynccontextmanager
async def blob_transaction(keys: Iterable[str]) -> AsyncIterator[None]:
    """A write transaction that runs alone among those touching the same blobs.

    The `File` rows are the blobs' reference count, and a release must not remove a blob
    between an upload finding it stored (so not writing it) and committing the row that
    uses it. Both sides run here: the release checks for live rows and removes the blob,
    the upload puts the bytes back if they went (`StoredBlob.restore`) and inserts its row.
    Whichever comes second sees what the first did. PostgreSQL: an advisory lock per blob,
    until the transaction ends (taken in order, so two uploads never wait on each other in
    a cycle). SQLite: the immediate transaction holds the database's write lock already.
    The bytes are streamed before, outside it: inside there is at most one existence check
    and, rarely, one write or removal of a blob.
    """
    async with write_transaction() as connection:
        if connection.capabilities.dialect == "postgres":
            for key in sorted(set(keys)):
                await connection.execute_query(
                    "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [f"blob:{key}"]
                )
        yield


async def create_file(
    actor: Actor,
    client_id: int,
    purpose: FilePurpose,
    name: str,
    content_type: str,
    blob: StoredBlob,
    **dimensions: Any,
) -> File:
    """The row of a file the actor uploaded, inside the blob's `blob_transaction`: its bytes
    are put back first if a release removed them since they were stored."""
    await blob.restore()
    return await File.create(
        organization_id=actor.org_id,
        client_id=client_id,
        purpose=purpose,
        name=name,
        size=blob.size,
        content_type=content_type,
        sha256=blob.sha256,
        storage_key=blob.key,
        uploaded_by_id=actor.user_id,
        **dimensions,
    )


async def record_file_activity(actor: Actor, row: File, verb: str, changes: dict) -> None:
    """The entry of the file's client that says what happened to the file."""
    await activity.record(
        actor,
        client_id=row.client_id,
        verb=verb,
        target_type="File",
        target_id=row.id,
        changes=changes,
    )


async def release_blobs(settings: Settings, keys: list[str]) -> None:
    """Removes blobs no live file uses. Blobs are shared by content, across organizations."""
    for key in sorted(set(keys)):
        async with blob_transaction([key]):
            if not await File.filter(storage_key=key, deleted_at__isnull=True).exists():
                await storage_for(settings).delete(key)
