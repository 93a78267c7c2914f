"""A client's files tab and profile photo: upload checks, storage, signed download URLs.

Nothing the uploader says about a file is trusted: the content type comes from the bytes,
the name is only kept (sanitized) for the download, and photos are decoded and re-encoded.
"""

import asyncio
import codecs
import io
import re
import tempfile
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol

import filetype
from PIL import Image, ImageOps, UnidentifiedImageError
from tortoise.timezone import now
from tortoise.transactions import in_transaction

from gql_crm.config import Settings
from gql_crm.models import Client, File, FilePurpose, Role
from gql_crm.services import activity, signing
from gql_crm.services.auth import Actor
from gql_crm.services.errors import ErrorCode, UserErrors
from gql_crm.services.messages import Phrase
from gql_crm.services.storage import CHUNK_SIZE, Storage, storage_for
from gql_crm.services.validation import Validator, optional_text

# filetype reads signatures (ZIP-based office documents included) from the first 8 KiB.
SNIFF_BYTES = 8192
MAX_DESCRIPTION_LENGTH = 2000
MAX_NAME_LENGTH = 255

# The types an attachment may have, with the extensions a download of each may carry.
ATTACHMENT_TYPES: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (".pptx",),
    "application/vnd.oasis.opendocument.text": (".odt",),
    "application/vnd.oasis.opendocument.spreadsheet": (".ods",),
    "application/vnd.oasis.opendocument.presentation": (".odp",),
    "text/plain": (".txt", ".csv", ".md", ".log"),
}
# Browsers may show these inline; everything else is served as a download.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
# Pillow format -> (format written, content type, extension). GIFs become PNG stills.
PHOTO_FORMATS = {
    "JPEG": ("JPEG", "image/jpeg", ".jpg"),
    "PNG": ("PNG", "image/png", ".png"),
    "WEBP": ("WEBP", "image/webp", ".webp"),
    "GIF": ("PNG", "image/png", ".png"),
}
SIGNED_PURPOSE = "file"


class Upload(Protocol):
    """What an uploaded file offers (Starlette's UploadFile, as the GraphQL layer gets it)."""

    filename: str | None

    async def read(self, size: int = -1) -> bytes: ...


def detect_content_type(head: bytes) -> str | None:
    """The content type of a file from its first bytes, if it is one attachments accept."""
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime if kind.mime in ATTACHMENT_TYPES else None
    if _is_text(head):
        return "text/plain"
    return None


def _is_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        # final=False: the sniffed head may cut a multi-byte character in two.
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\t\r\n\f" for ch in text)


def safe_file_name(raw: str | None, content_type: str) -> str:
    """The uploaded name made harmless for a download of `content_type`.

    Only the last path component survives; control and bidi characters go (so "cv\u202etxt.exe"
    cannot pose as a text file); and the extension must be one of the content type's, else
    the right one is appended: a text file named "x.html" downloads as "x.html.txt", and is
    never opened by a browser as a page.
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] not in "CZ" or ch == " ")
    name = re.sub(r'[<>:"|?*]', "_", name).strip().lstrip(".").strip() or "file"
    extensions = ATTACHMENT_TYPES.get(content_type) or (".bin",)
    stem, dot, extension = name.rpartition(".")
    if not dot or f".{extension.lower()}" not in extensions:
        stem, extension = name, extensions[0].lstrip(".")
    return f"{stem[: MAX_NAME_LENGTH - len(extension) - 1]}.{extension}"


def storage(settings: Settings) -> Storage:
    return storage_for(settings.media_dir)


async def _require_client(actor: Actor, client_id: int) -> Client:
    client = await Client.get_or_none(organization_id=actor.org_id, id=client_id)
    if client is None:
        raise UserErrors.single(ErrorCode.NOT_FOUND, "client_id")
    return client


def _too_large(max_bytes: int) -> UserErrors:
    return UserErrors.single(ErrorCode.FILE_TOO_LARGE, "file", max_bytes=max_bytes)


async def _chunks(head: bytes, upload: Upload, max_bytes: int) -> AsyncIterator[bytes]:
    """The upload's bytes after `head`, refused as soon as they pass `max_bytes`."""
    size = len(head)
    yield head
    while chunk := await upload.read(CHUNK_SIZE):
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        yield chunk


async def _read_head(upload: Upload, max_bytes: int) -> bytes:
    head = await upload.read(SNIFF_BYTES)
    if not head:
        raise UserErrors.single(ErrorCode.REQUIRED, "file")
    if len(head) > max_bytes:
        raise _too_large(max_bytes)
    return head


async def attach_file(
    actor: Actor, settings: Settings, client_id: int, upload: Upload, description: str | None
) -> File:
    actor.require(Role.MEMBER)
    checks = Validator()
    description = checks.check("description", optional_text, description, MAX_DESCRIPTION_LENGTH)
    checks.raise_if_errors()
    client = await _require_client(actor, client_id)
    head = await _read_head(upload, settings.max_upload_bytes)
    content_type = detect_content_type(head)
    if content_type is None:
        kind = filetype.guess(head)
        raise UserErrors.single(
            ErrorCode.UNSUPPORTED_FILE,
            "file",
            reason=kind.mime if kind else Phrase("FILE_UNKNOWN_TYPE"),
        )
    blob = await storage(settings).save(_chunks(head, upload, settings.max_upload_bytes))
    async with in_transaction():
        row = await File.create(
            organization_id=actor.org_id,
            client_id=client.id,
            purpose=FilePurpose.ATTACHMENT,
            name=safe_file_name(upload.filename, content_type),
            description=description or "",
            size=blob.size,
            content_type=content_type,
            sha256=blob.sha256,
            storage_key=blob.key,
            uploaded_by_id=actor.user_id,
        )
        await activity.record(
            actor,
            client_id=client.id,
            verb="file_attached",
            target_type="File",
            target_id=row.id,
            changes=activity.diff({}, {"name": row.name, "size": row.size}),
        )
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
        await activity.record(
            actor,
            client_id=row.client_id,
            verb="file_deleted",
            target_type="File",
            target_id=row.id,
            changes=activity.diff({"name": row.name}, {"name": None}),
        )
    await _release_blobs(settings, [row.storage_key])
    return row


async def _release_blobs(settings: Settings, keys: list[str]) -> None:
    """Removes blobs no live file uses. Blobs are shared by content, across organizations."""
    for key in set(keys):
        if not await File.filter(storage_key=key, deleted_at__isnull=True).exists():
            await storage(settings).delete(key)


@dataclass(frozen=True)
class EncodedImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


class _NotAnImage(Exception):
    pass


class _TooManyPixels(Exception):
    pass


class _DamagedImage(Exception):
    pass


def _encode(image: Image.Image, fmt: str, icc_profile: bytes | None) -> bytes:
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    elif image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA")
    # Encoders may copy EXIF, XMP or text chunks from `info`: start from nothing.
    image.info = {}
    out = io.BytesIO()
    options = {"quality": 90} if fmt in ("JPEG", "WEBP") else {}
    if icc_profile:
        options["icc_profile"] = icc_profile
    image.save(out, fmt, **options)
    return out.getvalue()


def process_photo(
    source: BinaryIO, max_pixels: int, thumbnail_size: int
) -> tuple[EncodedImage, EncodedImage]:
    """The photo and its square thumbnail, decoded by Pillow and re-encoded without metadata.

    Blocking (decoding is CPU work): call it in a thread.
    """
    try:
        probe = Image.open(source)
    except Image.DecompressionBombError as exc:
        # Pillow's own guard, for sizes far beyond ours, fires as it reads the header.
        raise _TooManyPixels from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _NotAnImage("unknown") from exc
    with probe:
        if probe.format not in PHOTO_FORMATS:
            raise _NotAnImage(probe.format or "unknown")
        if probe.width * probe.height > max_pixels:
            raise _TooManyPixels
    # From here on the file is an image of a supported format: a failure means its data is
    # broken (truncated, corrupted), not that it is something else.
    try:
        source.seek(0)
        with Image.open(source) as check:
            check.verify()
        source.seek(0)
        with Image.open(source) as image:
            fmt, content_type, extension = PHOTO_FORMATS[image.format]
            icc_profile = image.info.get("icc_profile")
            image.load()
            # The camera's orientation flag is metadata we drop, so apply it to the pixels.
            upright = ImageOps.exif_transpose(image)
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
    ) as exc:
        raise _DamagedImage from exc
    if upright.mode == "P":
        upright = upright.convert("RGBA")
    thumbnail = ImageOps.fit(upright, (thumbnail_size, thumbnail_size), Image.Resampling.LANCZOS)
    return (
        EncodedImage(_encode(upright, fmt, icc_profile), content_type, extension, *upright.size),
        EncodedImage(
            _encode(thumbnail, fmt, icc_profile), content_type, extension, *thumbnail.size
        ),
    )


async def _one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _spool(upload: Upload, max_bytes: int) -> BinaryIO:
    # The caller owns and closes it (`with await _spool(...)`).
    spooled = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    head = await _read_head(upload, max_bytes)
    async for chunk in _chunks(head, upload, max_bytes):
        spooled.write(chunk)
    spooled.seek(0)
    return spooled


async def set_photo(actor: Actor, settings: Settings, client_id: int, upload: Upload) -> Client:
    actor.require(Role.MEMBER)
    client = await _require_client(actor, client_id)
    with await _spool(upload, settings.max_upload_bytes) as source:
        try:
            photo, thumbnail = await asyncio.to_thread(
                process_photo, source, settings.max_image_pixels, settings.thumbnail_size
            )
        except _TooManyPixels:
            raise UserErrors.single(
                ErrorCode.IMAGE_TOO_LARGE, "file", max_pixels=settings.max_image_pixels
            ) from None
        except _DamagedImage:
            raise UserErrors.single(ErrorCode.DAMAGED_IMAGE, "file") from None
        except _NotAnImage:
            source.seek(0)
            kind = filetype.guess(source.read(SNIFF_BYTES))
            raise UserErrors.single(
                ErrorCode.UNSUPPORTED_FILE,
                "file",
                reason=kind.mime if kind else Phrase("FILE_UNKNOWN_TYPE"),
            ) from None
    store = storage(settings)
    stored = [
        (purpose, image, await store.save(_one_chunk(image.data)))
        for purpose, image in ((FilePurpose.PHOTO, photo), (FilePurpose.PHOTO_THUMBNAIL, thumbnail))
    ]
    name = safe_file_name(upload.filename, photo.content_type)
    async with in_transaction():
        replaced = await _retire_photo(actor, client.id)
        for purpose, image, blob in stored:
            row = await File.create(
                organization_id=actor.org_id,
                client_id=client.id,
                purpose=purpose,
                name=name,
                size=blob.size,
                content_type=image.content_type,
                sha256=blob.sha256,
                storage_key=blob.key,
                uploaded_by_id=actor.user_id,
                width=image.width,
                height=image.height,
            )
            if purpose == FilePurpose.PHOTO:
                await activity.record(
                    actor,
                    client_id=client.id,
                    verb="photo_set",
                    target_type="File",
                    target_id=row.id,
                    changes=activity.diff({}, {"width": photo.width, "height": photo.height}),
                )
    await _release_blobs(settings, replaced)
    return client


async def _retire_photo(actor: Actor, client_id: int) -> list[str]:
    """Marks the client's current photo and thumbnail deleted; their storage keys."""
    current = await File.filter(
        organization_id=actor.org_id,
        client_id=client_id,
        deleted_at__isnull=True,
        purpose__in=[FilePurpose.PHOTO, FilePurpose.PHOTO_THUMBNAIL],
    )
    if current:
        await File.filter(id__in=[row.id for row in current]).update(deleted_at=now())
    return [row.storage_key for row in current]


async def remove_photo(actor: Actor, settings: Settings, client_id: int) -> Client:
    actor.require(Role.MEMBER)
    client = await _require_client(actor, client_id)
    async with in_transaction():
        replaced = await _retire_photo(actor, client.id)
        if not replaced:
            raise UserErrors.single(ErrorCode.NOT_FOUND, "client_id")
        await activity.record(
            actor,
            client_id=client.id,
            verb="photo_removed",
            target_type="Client",
            target_id=client.id,
        )
    await _release_blobs(settings, replaced)
    return client


@dataclass(frozen=True)
class Photo:
    original: File
    thumbnail: File | None


async def photos_by_client(org_id: int, client_ids: list[int]) -> dict[int, Photo]:
    """Each client's photo. One live pair per client: setting a photo retires the old one."""
    rows = await File.filter(
        organization_id=org_id,
        client_id__in=client_ids,
        deleted_at__isnull=True,
        purpose__in=[FilePurpose.PHOTO, FilePurpose.PHOTO_THUMBNAIL],
    ).order_by("id")
    latest: dict[tuple[int, FilePurpose], File] = {
        (row.client_id, row.purpose): row for row in rows
    }
    return {
        client_id: Photo(row, latest.get((client_id, FilePurpose.PHOTO_THUMBNAIL)))
        for (client_id, purpose), row in latest.items()
        if purpose == FilePurpose.PHOTO
    }


def download_token(settings: Settings, row: File) -> str:
    return signing.sign(
        settings, SIGNED_PURPOSE, row.organization_id, {"f": row.id}, settings.download_url_ttl
    )


def download_path(settings: Settings, row: File) -> str:
    return f"/files/{row.id}?token={download_token(settings, row)}"


def org_of_download_token(settings: Settings, token: str, file_id: int) -> int | None:
    claims = signing.verify(settings, SIGNED_PURPOSE, token)
    if claims is None or claims[1].get("f") != file_id:
        return None
    return claims[0]


async def downloadable_file(org_id: int, file_id: int) -> File | None:
    """A live file of the organization; another organization's reads as missing."""
    return await File.get_or_none(organization_id=org_id, id=file_id, deleted_at__isnull=True)
