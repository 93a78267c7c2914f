"""A client's profile photo: decoded by Pillow and re-encoded without metadata, with a
square thumbnail; one live pair per client."""

import asyncio
import io
import tempfile
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import IO, Any

from PIL import Image, ImageOps, UnidentifiedImageError
from tortoise.timezone import now
from tortoise.transactions import in_transaction

from gql_crm.config import Settings
from gql_crm.models import Client, File, FilePurpose, Role
from gql_crm.services import activity
from gql_crm.services.auth import Actor
from gql_crm.services.errors import ErrorCode, UserErrors
from gql_crm.services.files.sniffing import SNIFF_BYTES, safe_file_name
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

# Pillow format -> (format written, content type, extension). GIFs become PNG stills.
PHOTO_FORMATS = {
    "JPEG": ("JPEG", "image/jpeg", ".jpg"),
    "PNG": ("PNG", "image/png", ".png"),
    "WEBP": ("WEBP", "image/webp", ".webp"),
    "GIF": ("PNG", "image/png", ".png"),
}


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
    options: dict[str, Any] = {"quality": 90} if fmt in ("JPEG", "WEBP") else {}
    if icc_profile:
        options["icc_profile"] = icc_profile
    image.save(out, fmt, **options)
    return out.getvalue()


def process_photo(
    source: IO[bytes], max_pixels: int, thumbnail_size: int
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
            assert image.format is not None, "an image read from a file has its format"
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


async def _spool(upload: Upload, max_bytes: int) -> IO[bytes]:
    # The caller owns and closes it (`with await _spool(...)`).
    spooled = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    head = await read_head(upload, max_bytes)
    async for chunk in chunks(head, upload, max_bytes):
        spooled.write(chunk)
    spooled.seek(0)
    return spooled


async def set_photo(actor: Actor, settings: Settings, client_id: int, upload: Upload) -> Client:
    actor.require(Role.MEMBER)
    client = await require_client(actor, client_id)
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
            raise unsupported(source.read(SNIFF_BYTES)) from None
    store = storage_for(settings)
    name = safe_file_name(upload.filename, photo.content_type)
    async with AsyncExitStack() as saving:
        stored = [
            (purpose, image, await saving.enter_async_context(store.save(_one_chunk(image.data))))
            for purpose, image in (
                (FilePurpose.PHOTO, photo),
                (FilePurpose.PHOTO_THUMBNAIL, thumbnail),
            )
        ]
        async with blob_transaction(blob.key for _, _, blob in stored):
            replaced = await _retire_photo(actor, client.id)
            for purpose, image, blob in stored:
                row = await create_file(
                    actor,
                    client.id,
                    purpose,
                    name,
                    image.content_type,
                    blob,
                    width=image.width,
                    height=image.height,
                )
                if purpose == FilePurpose.PHOTO:
                    changes = activity.diff({}, {"width": photo.width, "height": photo.height})
                    await record_file_activity(actor, row, "photo_set", changes)
    await release_blobs(settings, replaced)
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
    client = await require_client(actor, client_id)
    async with in_transaction():
        replaced = await _retire_photo(actor, client.id)
        if not replaced:
            raise UserErrors.single(ErrorCode.NOT_FOUND, "client_id")
        await activity.record_on_client(actor, client.id, "photo_removed")
    await release_blobs(settings, replaced)
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
    latest: dict[tuple[int | None, FilePurpose], File] = {
        (row.client_id, row.purpose): row for row in rows
    }
    return {
        client_id: Photo(row, latest.get((client_id, FilePurpose.PHOTO_THUMBNAIL)))
        for (client_id, purpose), row in latest.items()
        # The filter asked for these clients' files: none without a client.
        if purpose == FilePurpose.PHOTO and client_id is not None
    }
