"""Bytes on the local disk: one machine, or a disk every process mounts."""

import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import suppress
from pathlib import Path

import aiofiles
import aiofiles.os

from gql_crm.services.storage.base import CHUNK_SIZE, StoredBlob, object_name


class LocalStorage:
    """Bytes under `root/blobs/ab/cd/<sha256>` and `root/uploads/`, written to a temporary
    file and renamed into place.

    The rename is atomic, so a reader never sees half a blob, and two uploads of the same
    bytes end as one blob.
    """

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / object_name(key)

    async def _write(self, chunks: AsyncIterator[bytes], key_of) -> tuple[str, str, int]:
        """Streams `chunks` to a temporary file, then renames it to `key_of(sha256)`."""
        incoming = self.root / "blobs" / "incoming"
        await aiofiles.os.makedirs(incoming, exist_ok=True)
        temporary = incoming / uuid.uuid4().hex
        digest = hashlib.sha256()
        size = 0
        try:
            async with aiofiles.open(temporary, "wb") as out:
                async for chunk in chunks:
                    digest.update(chunk)
                    size += len(chunk)
                    await out.write(chunk)
            sha256 = digest.hexdigest()
            key = key_of(sha256)
            target = self.path(key)
            await aiofiles.os.makedirs(target.parent, exist_ok=True)
            await aiofiles.os.replace(temporary, target)
        finally:
            if await aiofiles.os.path.exists(temporary):
                await aiofiles.os.remove(temporary)
        return key, sha256, size

    async def save(self, chunks: AsyncIterator[bytes]) -> StoredBlob:
        key, sha256, size = await self._write(chunks, lambda sha256: sha256)
        return StoredBlob(key=key, sha256=sha256, size=size)

    async def save_upload(self, chunks: AsyncIterator[bytes]) -> str:
        key, _, _ = await self._write(chunks, lambda _: f"uploads/{uuid.uuid4().hex}")
        return key

    async def open(self, key: str) -> AsyncIterator[bytes]:
        async with aiofiles.open(self.path(key), "rb") as source:
            while chunk := await source.read(CHUNK_SIZE):
                yield chunk

    async def delete(self, key: str) -> None:
        with suppress(FileNotFoundError):
            await aiofiles.os.remove(self.path(key))

    async def check(self) -> None:
        await aiofiles.os.makedirs(self.root, exist_ok=True)
        if not await aiofiles.os.access(self.root, os.W_OK):
            raise PermissionError(f"{self.root} is not writable")

    async def close(self) -> None:
        pass
