"""The storages themselves, on the local disk and on a real S3-compatible server (moto's,
started by conftest): the layout, sharing bytes by content, streaming both ways with flat
memory, leaving nothing behind on failure, and the readiness check."""

import dataclasses
import hashlib
import tracemalloc
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest
from botocore.exceptions import ClientError

from gql_crm.app import create_app
from gql_crm.config import Settings
from gql_crm.models import Client, ImportJob
from gql_crm.services.imports import jobs
from gql_crm.services.storage import serving_jobs, storage_for
from gql_crm.services.storage.base import object_name
from gql_crm.services.storage.local import LocalStorage
from gql_crm.services.storage.s3 import PART_SIZE, S3Storage
from tests.conftest import Org, s3_client
from tests.helpers import pk_of
from tests.imports import csv_bytes, run_import
from tests.uploads import PDF, create_client, half_written, stored_bytes, upload

MiB = 1024 * 1024
ATTACH = """
mutation($clientId: ID!, $file: Upload!) {
  attachClientFile(clientId: $clientId, file: $file) { file { id sha256 url } errors { code } }
}"""
DELETE = "mutation($id: ID!) { deleteFile(id: $id) { errors { code } } }"


@pytest.fixture(params=["local", "s3"])
def store_settings(request, tmp_path):
    if request.param == "s3":
        return request.getfixturevalue("s3_settings")
    return dataclasses.replace(
        request.getfixturevalue("settings"), storage="local", media_dir=tmp_path
    )


async def pattern(size: int, chunk: int = 64 * 1024, seed: bytes = b"") -> AsyncIterator[bytes]:
    """`size` bytes that differ from run to run (by `seed`), made as they are sent."""
    block = hashlib.sha256(seed).digest() * (chunk // 32)
    sent = 0
    while sent < size:
        piece = block[: min(chunk, size - sent)]
        sent += len(piece)
        yield piece


async def digest_of(chunks: AsyncIterator[bytes]) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    async for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def stored_names(settings) -> set[str]:
    """Every object or file the storage holds, by its name under the root."""
    if settings.storage == "s3":
        listed = s3_client(settings).list_objects_v2(Bucket=settings.s3_bucket)
        return {item["Key"] for item in listed.get("Contents", [])}
    root = settings.media_dir
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_the_storage_is_chosen_by_the_settings(tmp_path):
    settings = Settings.from_env(
        {
            "GQL_CRM_STORAGE": "s3",
            "GQL_CRM_S3_BUCKET": "crm-files",
            "GQL_CRM_S3_ENDPOINT_URL": "http://minio.internal:9000",
            "GQL_CRM_S3_REGION": "eu-west-1",
            "GQL_CRM_S3_ACCESS_KEY_ID": "key-id",
            "GQL_CRM_S3_SECRET_ACCESS_KEY": "very-secret",
        }
    )
    store = storage_for(settings)
    assert isinstance(store, S3Storage) and store.bucket == "crm-files"
    assert "very-secret" not in repr(settings)
    local = storage_for(Settings.from_env({"GQL_CRM_MEDIA_DIR": str(tmp_path)}))
    assert isinstance(local, LocalStorage) and local.root == tmp_path
    # A setting that names no storage stops the app from starting.
    for wrong in (Settings(storage="disk"), Settings(storage="s3")):
        with pytest.raises(ValueError, match="GQL_CRM_"):
            create_app(wrong)


def test_keys_name_nothing_but_blobs_and_uploads():
    key = "ab" + "0" * 62
    assert object_name(key) == f"blobs/ab/00/{key}"
    assert object_name("uploads/" + "f" * 32) == "uploads/" + "f" * 32
    for bad in ["", "../" + "0" * 61, key.upper(), "uploads/../../etc/passwd", "blobs/" + key]:
        with pytest.raises(ValueError):
            object_name(bad)


@pytest.mark.parametrize("size", [0, 1000, PART_SIZE + 5 * MiB])
async def test_save_open_delete_in_the_content_addressed_layout(store_settings, size):
    store = storage_for(store_settings)
    seed = f"{store_settings.storage}-{size}".encode()
    expected, _ = await digest_of(pattern(size, seed=seed))
    async with store.save(pattern(size, seed=seed)) as blob:
        assert (blob.key, blob.sha256, blob.size) == (expected, expected, size)
        assert object_name(expected) in stored_names(store_settings)
        assert await digest_of(store.open(blob.key)) == (expected, size)

        # Removed (by the release of its last file) while the block lasts: put back.
        await store.delete(blob.key)
        await blob.restore()
        assert await digest_of(store.open(blob.key)) == (expected, size)
        await blob.restore()  # there already: not written again, not an error
    assert object_name(expected) in stored_names(store_settings)

    # The same bytes again are the same blob: one object.
    async with store.save(pattern(size, seed=seed)) as again:
        assert again == blob
    assert [n for n in stored_names(store_settings) if n.endswith(expected)] == [
        object_name(expected)
    ]
    assert half_written(store_settings) == []

    await store.delete(blob.key)
    assert await stored_bytes(store_settings, blob.key) is None
    await store.delete(blob.key)  # gone already: not an error


class Refused(Exception):
    pass


async def failing_after(size: int) -> AsyncIterator[bytes]:
    async for chunk in pattern(size, seed=b"failing"):
        yield chunk
    raise Refused


@pytest.mark.parametrize("size", [1000, PART_SIZE + MiB])
async def test_a_failing_upload_leaves_nothing(store_settings, size):
    store = storage_for(store_settings)
    before = stored_names(store_settings)
    with pytest.raises(Refused):
        async with store.save(failing_after(size)):
            pass
    with pytest.raises(Refused):
        await store.save_upload(failing_after(size))
    assert stored_names(store_settings) == before
    assert half_written(store_settings) == []


async def test_uploads_are_kept_apart_from_blobs(store_settings):
    store = storage_for(store_settings)
    first = await store.save_upload(pattern(3000, seed=b"upload"))
    second = await store.save_upload(pattern(3000, seed=b"upload"))
    assert first != second and first.startswith("uploads/")
    assert {first, second} <= stored_names(store_settings)
    assert await stored_bytes(store_settings, first) == await stored_bytes(store_settings, second)
    await store.delete(first)
    assert await stored_bytes(store_settings, first) is None
    assert await stored_bytes(store_settings, second) is not None


async def test_check_answers_for_a_reachable_store_and_raises_otherwise(store_settings, tmp_path):
    await storage_for(store_settings).check()
    if store_settings.storage == "s3":
        broken = dataclasses.replace(store_settings, s3_bucket="no-such-bucket-here")
        expected = ClientError
    else:
        blocker = tmp_path / "a-file"
        blocker.write_bytes(b"")
        broken = dataclasses.replace(store_settings, media_dir=blocker)
        expected = OSError
    with pytest.raises(expected):
        await storage_for(broken).check()
    await storage_for(broken).close()


async def test_a_large_object_streams_through_s3_with_flat_memory(s3_settings):
    """64 MiB up and down: what this process holds at its peak is a part or two, not the
    object. tracemalloc counts every Python
    allocation, whatever the machine's allocator does, so the bound is robust."""
    store = storage_for(s3_settings)
    size = 64 * MiB
    expected, _ = await digest_of(pattern(size, seed=b"large"))
    # The first request loads botocore's description of S3: not what is measured here.
    async with store.save(pattern(1000, seed=b"warm-up")) as warm_up:
        pass
    assert await digest_of(store.open(warm_up.key)) == await digest_of(
        pattern(1000, seed=b"warm-up")
    )
    tracemalloc.start()
    try:
        async with store.save(pattern(size, seed=b"large")) as blob:
            pass
        _, upload_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        assert await digest_of(store.open(blob.key)) == (expected, size)
        _, download_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert blob.sha256 == expected
    # The part being sent and the next one being gathered: 2 of the object's 8 parts.
    assert upload_peak < 3 * PART_SIZE, upload_peak
    assert download_peak < 2 * MiB, download_peak
    await store.delete(blob.key)


# ---- through HTTP, with the S3 storage ---------------------------------------------------


@pytest.fixture
async def s3_org(s3_settings, make_org, database):
    """An organization served by an app whose storage is the S3 server."""
    transport = httpx.ASGITransport(app=create_app(s3_settings, init_orm=False))
    async with (
        serving_jobs(s3_settings),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as http,
    ):
        base = await make_org()
        yield Org(http, base.organization, base.tokens)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def attach(org, client_id: str, data: bytes) -> dict:
    body = await upload(org, ATTACH, {"clientId": client_id}, {"file": ("a.pdf", data, "x/y")})
    assert body["data"]["attachClientFile"]["errors"] == [], body
    return body["data"]["attachClientFile"]["file"]


async def test_files_on_s3_are_shared_by_content_and_go_with_their_last_user(s3_org, s3_settings):
    client_id = await create_client(s3_org)
    pdf = PDF + uuid.uuid4().hex.encode()
    first = await attach(s3_org, client_id, pdf)
    second = await attach(s3_org, client_id, pdf)
    assert first["sha256"] == second["sha256"] == hashlib.sha256(pdf).hexdigest()
    name = object_name(first["sha256"])
    assert name in stored_names(s3_settings)
    downloaded = await s3_org.http.get(path_of(first["url"]))
    assert (downloaded.status_code, downloaded.content) == (200, pdf)

    await s3_org.data(DELETE, {"id": first["id"]})
    assert await stored_bytes(s3_settings, first["sha256"]) == pdf
    assert (await s3_org.http.get(path_of(second["url"]))).content == pdf
    await s3_org.data(DELETE, {"id": second["id"]})
    assert name not in stored_names(s3_settings)


async def test_an_import_reads_its_file_from_s3_and_removes_it_at_the_end(s3_org, s3_settings):
    rows = [["Name", "Email"], ["Ana S3", "ana@s3.example"], ["Bad", "not an email"]]
    job = await run_import(s3_org, csv_bytes(rows))
    job_pk = pk_of(job["id"])
    if (task := jobs.task_of(job_pk)) is not None:
        await task
    assert (job["status"], job["created"], job["failed"]) == ("SUCCEEDED", 1, 1)
    assert await Client.filter(organization_id=s3_org.id, name="Ana S3").exists()
    # The job knew its file by its name in the store, and the store no longer has it.
    upload_key = (await ImportJob.get(id=job_pk)).file_path
    assert upload_key.startswith("uploads/")
    assert await stored_bytes(s3_settings, upload_key) is None
    failed = await s3_org.http.get(path_of(job["failedRowsUrl"]))
    assert failed.status_code == 200 and "not an email" in failed.text
