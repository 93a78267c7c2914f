"""Where file bytes live: the storage the settings choose (see `base` for the interface
and the layout, `local` and `s3` for the two implementations)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache

from gql_crm.config import Settings
from gql_crm.services.storage.base import CHUNK_SIZE, Storage, StoredBlob
from gql_crm.services.storage.local import LocalStorage
from gql_crm.services.storage.s3 import S3Storage

__all__ = ["CHUNK_SIZE", "Storage", "StoredBlob", "for_jobs", "serving_jobs", "storage_for"]

STORAGES = ("local", "s3")


@cache
def storage_for(settings: Settings) -> Storage:
    """The settings' storage, one per settings (an S3 client session is built once)."""
    if settings.storage == "s3":
        if not settings.s3_bucket:
            raise ValueError("GQL_CRM_STORAGE=s3 needs GQL_CRM_S3_BUCKET")
        return S3Storage(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
        )
    if settings.storage != "local":
        raise ValueError(f"GQL_CRM_STORAGE must be one of {', '.join(STORAGES)}")
    return LocalStorage(settings.media_dir)


# The settings of the storage that this process's jobs read their uploads from: a queue
# worker calls a job with its row id only.
_jobs_settings: Settings | None = None


@asynccontextmanager
async def serving_jobs(settings: Settings) -> AsyncIterator[None]:
    """For the life of a server, a worker or a CLI import: the storage its jobs use."""
    global _jobs_settings
    previous, _jobs_settings = _jobs_settings, settings
    try:
        yield
    finally:
        _jobs_settings = previous


def for_jobs() -> Storage:
    if _jobs_settings is None:
        raise RuntimeError("no storage for jobs: run them inside storage.serving_jobs()")
    return storage_for(_jobs_settings)
