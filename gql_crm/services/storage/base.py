"""The interface every storage implements, and the layout they share.

Blobs are addressed by the SHA-256 of their content, never by a name a user chose, so no
upload can pick (or traverse to) a path: `blobs/ab/cd/<sha256>`. An import's uploaded file
waits for its job under `uploads/<random hex>`, where any worker on any host reads it.
"""

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Protocol

CHUNK_SIZE = 64 * 1024
_BLOB_KEY = re.compile(r"[0-9a-f]{64}")
_UPLOAD_KEY = re.compile(r"uploads/[0-9a-f]{32}")


@dataclass(frozen=True)
class StoredBlob:
    key: str
    sha256: str
    size: int
    # Puts the bytes back under `key` if they are not there any more (a release removed
    # them since they were stored), from the copy `Storage.save` keeps aside for its block.
    restore: Callable[[], Awaitable[None]] = field(compare=False, repr=False)


class Storage(Protocol):
    def save(self, chunks: AsyncIterator[bytes]) -> AbstractAsyncContextManager[StoredBlob]:
        """Stores the bytes under their hash (a blob already there is the same bytes, and
        is not written again); an exception raised by `chunks` leaves nothing behind.

        A copy of the bytes stays aside until the block ends, for `StoredBlob.restore`: the
        bytes found already stored may be removed by the release of their last file before
        the new file's row is committed."""

    async def save_upload(self, chunks: AsyncIterator[bytes]) -> str:
        """Stores the bytes under a new `uploads/` key (an import's file, until its job
        ends); an exception raised by `chunks` leaves nothing behind."""

    def open(self, key: str) -> AsyncIterator[bytes]:
        """The bytes of a blob or an upload, chunk by chunk."""

    async def delete(self, key: str) -> None:
        """Removes a blob or an upload; one already gone is not an error."""

    async def check(self) -> None:
        """Raises unless the storage can be reached (a readiness probe: cheap)."""

    async def close(self) -> None:
        """Lets go of the running event loop's connections (at shutdown)."""


def object_name(key: str) -> str:
    """Where a key's bytes live under the storage's root: `blobs/ab/cd/<sha256>` for a
    blob, the key itself for an upload. Anything else is refused."""
    if _BLOB_KEY.fullmatch(key):
        return f"blobs/{key[:2]}/{key[2:4]}/{key}"
    if _UPLOAD_KEY.fullmatch(key):
        return key
    raise ValueError("not a storage key")
