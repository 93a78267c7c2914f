"""Bytes on the local disk: one machine, or a disk every process mounts."""

import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import aiofiles
import aiofiles.os

from gql_crm.services.storage.base import CHUNK_SIZE, StoredBlob, object_name


class LocalStorage:
    """Bytes under `root/blobs/ab/cd/<sha256>` and `root/uploads/`, written to a temporary
    file and linked (a blob) or renamed (an upload) into place.

    Both are atomic, so a reader never sees half a blob, and two uploads of the same bytes
    end as one blob.
    """

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / object_name(key)

    async def _receive(self, chunks: AsyncIterator[bytes]) -> tuple[Path, str, int]:
        """Streams `chunks` to a new temporary file: its path, the bytes' hash and size.
        The caller removes it; an exception from `chunks` leaves nothing behind."""
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
        except BaseException:
            await _remove(temporary)
            raise
        return temporary, digest.hexdigest(), size

    @asynccontextmanager
    async def save(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[StoredBlob]:
        temporary, sha256, size = await self._receive(chunks)
        target = self.path(sha256)

        async def place() -> None:
            # A hard link, not a rename: the temporary file stays, to place the bytes again
            # if a release removes them before the block ends. Linking fails on an existing
            # name, so a blob there already is never replaced.
            await aiofiles.os.makedirs(target.parent, exist_ok=True)
            with suppress(FileExistsError):
                await aiofiles.os.link(temporary, target)

        try:
            await place()
            yield StoredBlob(key=sha256, sha256=sha256, size=size, restore=place)
        finally:
            await _remove(temporary)

    async def save_upload(self, chunks: AsyncIterator[bytes]) -> str:
        temporary, _, _ = await self._receive(chunks)
        key = f"uploads/{uuid.uuid4().hex}"
        try:
            target = self.path(key)
            await aiofiles.os.makedirs(target.parent, exist_ok=True)
            await aiofiles.os.replace(temporary, target)
        finally:
            await _remove(temporary)
        return key

    async def open(self, key: str) -> AsyncIterator[bytes]:
        async with aiofiles.open(self.path(key), "rb") as source:
            while chunk := await source.read(CHUNK_SIZE):
                yield chunk

    async def delete(self, key: str) -> None:
        await _remove(self.path(key))

    async def check(self) -> None:
        await aiofiles.os.makedirs(self.root, exist_ok=True)
        if not await aiofiles.os.access(self.root, os.W_OK):
            raise PermissionError(f"{self.root} is not writable")

    async def close(self) -> None:
        pass


async def _remove(path: Path) -> None:
    with suppress(FileNotFoundError):
        await aiofiles.os.remove(path)
