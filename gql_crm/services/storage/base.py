"""The interface every storage implements, and the content-addressed layout they share.

Blobs are addressed by the SHA-256 of their content, never by a name a user chose, so no
upload can pick (or traverse to) a path.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

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


def blob_path(key: str) -> str:
    """Where a blob lives under the storage's root: `ab/cd/<sha256>`."""
    if len(key) != 64 or not set(key) <= _HEX:
        raise ValueError("not a storage key")
    return f"{key[:2]}/{key[2:4]}/{key}"
