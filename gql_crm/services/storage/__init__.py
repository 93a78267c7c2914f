"""Where file bytes live: the storage the settings choose (see `base` for the interface)."""

from pathlib import Path

from gql_crm.config import Settings
from gql_crm.services.storage.base import CHUNK_SIZE, Storage, StoredBlob
from gql_crm.services.storage.local import LocalStorage

__all__ = ["CHUNK_SIZE", "Storage", "StoredBlob", "storage_for"]


def storage_for(settings: Settings) -> Storage:
    return LocalStorage(Path(settings.media_dir) / "blobs")
