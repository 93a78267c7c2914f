"""Blobs on the local disk: one machine, or a disk every process mounts."""

import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import suppress
from pathlib import Path

import aiofiles
import aiofiles.os

from gql_crm.services.storage.base import CHUNK_SIZE, StoredBlob, blob_path


class LocalStorage:
    """Blobs under `root/ab/cd/<sha256>`, written to a temporary file and renamed into place.

    The rename is atomic, so a reader never sees half a blob, and two uploads of the same
    bytes end as one blob.
    """

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / blob_path(key)

    async def save(self, chunks: AsyncIterator[bytes]) -> StoredBlob:
        incoming = self.root / "incoming"
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
            key = digest.hexdigest()
            target = self.path(key)
            await aiofiles.os.makedirs(target.parent, exist_ok=True)
            await aiofiles.os.replace(temporary, target)
        finally:
            if await aiofiles.os.path.exists(temporary):
                await aiofiles.os.remove(temporary)
        return StoredBlob(key=key, sha256=key, size=size)

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
