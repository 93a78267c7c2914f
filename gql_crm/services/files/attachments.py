"""The files tab: attaching a file of an accepted type, and deleting it."""

from tortoise.timezone import now
from tortoise.transactions import in_transaction

from gql_crm.config import Settings
from gql_crm.models import File, FilePurpose, Role
from gql_crm.services import activity
from gql_crm.services.auth import Actor
from gql_crm.services.errors import ErrorCode, UserErrors
from gql_crm.services.files.sniffing import detect_content_type, safe_file_name
from gql_crm.services.files.uploads import (
    Upload,
    blob_transaction,
    chunks,
    create_file,
    read_head,
    record_file_activity,
    release_blobs,
    unsupported,
)
from gql_crm.services.records import require_client
from gql_crm.services.storage import storage_for
from gql_crm.services.validation import Validator, optional_text

MAX_DESCRIPTION_LENGTH = 2000


async def attach_file(
    actor: Actor, settings: Settings, client_id: int, upload: Upload, description: str | None
) -> File:
    actor.require(Role.MEMBER)
    checks = Validator()
    description = checks.check("description", optional_text, description, MAX_DESCRIPTION_LENGTH)
    checks.raise_if_errors()
    client = await require_client(actor, client_id)
    head = await read_head(upload, settings.max_upload_bytes)
    content_type = detect_content_type(head)
    if content_type is None:
        raise unsupported(head)
    saving = storage_for(settings).save(chunks(head, upload, settings.max_upload_bytes))
    async with saving as blob, blob_transaction([blob.key]):
        row = await create_file(
            actor,
            client.id,
            FilePurpose.ATTACHMENT,
            safe_file_name(upload.filename, content_type),
            content_type,
            blob,
            description=description or "",
        )
        changes = activity.diff({}, {"name": row.name, "size": row.size})
        await record_file_activity(actor, row, "file_attached", changes)
    return row


async def delete_file(actor: Actor, settings: Settings, file_id: int) -> File:
    """Deletes an attachment; its bytes go once no live file shares them."""
    actor.require(Role.MEMBER)
    row = await File.get_or_none(
        organization_id=actor.org_id,
        id=file_id,
        purpose=FilePurpose.ATTACHMENT,
        deleted_at__isnull=True,
    )
    if row is None:
        raise UserErrors.single(ErrorCode.NOT_FOUND, "id")
    async with in_transaction():
        row.deleted_at = now()
        await row.save(update_fields=["deleted_at"])
        changes = activity.diff({"name": row.name}, {"name": None})
        await record_file_activity(actor, row, "file_deleted", changes)
    await release_blobs(settings, [row.storage_key])
    return row
