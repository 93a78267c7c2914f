"""Where file bytes live: a small interface, and the local-disk implementation.

Blobs are addressed by the SHA-256 of their content, never by a name a user chose, so no
upload can pick (or traverse to) a path. An object store implementing `Storage` can replace
the local disk when the service runs on several machines.
"""

import contextlib
import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import aiofiles
import aiofiles.os

CHUNK_SIZE = 64 * 1024
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class StoredBlob:
    key: str
    sha256: str
    size: int


class Storage(Protocol):
    async def save(self, chunks: AsyncIterator[bytes]) -> StoredBlob:
        """Stores the bytes; an exception raised by `chunks` leaves nothing behind."""

    def open(self, key: str) -> AsyncIterator[bytes]:
        """The blob's bytes, chunk by chunk."""

    async def delete(self, key: str) -> None: ...

    async def check(self) -> None:
        """Raises unless blobs can be read and written now (the readiness probe)."""


class LocalStorage:
    """Blobs under `root/ab/cd/<sha256>`, written to a temporary file and renamed into place.

    The rename is atomic, so a reader never sees half a blob, and two uploads of the same
    bytes end as one blob.
    """

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        if len(key) != 64 or not set(key) <= _HEX:
            raise ValueError("not a storage key")
        return self.root / key[:2] / key[2:4] / key

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
        with contextlib.suppress(FileNotFoundError):
            await aiofiles.os.remove(self.path(key))

    async def check(self) -> None:
        await aiofiles.os.makedirs(self.root, exist_ok=True)
        if not await aiofiles.os.access(self.root, os.W_OK):
            raise PermissionError(f"{self.root} is not writable")


def storage_for(media_dir: Path) -> Storage:
    return LocalStorage(Path(media_dir) / "blobs")
