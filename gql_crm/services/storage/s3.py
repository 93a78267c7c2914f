"""Bytes in an S3-compatible object store (AWS S3, MinIO, Ceph, Cloudflare R2...), so any
process on any host reads what another stored.

aioboto3 (aiobotocore underneath): boto's own S3 client on asyncio, the one every
S3-compatible store is tested against, streaming both ways without a thread per transfer.
Memory stays flat whatever the size: an upload is sent in parts of PART_SIZE as it arrives
(a multipart upload), a download is read from the response CHUNK_SIZE at a time.
"""

import asyncio
import hashlib
import io
import uuid
import weakref
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, suppress

import aioboto3
from aiobotocore.config import AioConfig
from botocore.exceptions import ClientError

from gql_crm.services.storage.base import CHUNK_SIZE, StoredBlob, object_name

# S3 wants parts of at least 5 MiB (all but the last); one is buffered at a time.
PART_SIZE = 8 * 1024 * 1024


class S3Storage:
    """Objects named as on the local disk (`blobs/ab/cd/<sha256>`, `uploads/<hex>`) in
    one bucket.

    The hash of a blob is known only once all of it has been read: a blob that fits in one
    part is sent straight to its name; a larger one is sent in parts to `incoming/<hex>`,
    then copied to its name by the store (no byte comes back), and the incoming object
    removed when `save`'s block ends. A blob whose name exists already is the same bytes:
    it is not written again.
    """

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str = "",
        region: str = "",
        access_key_id: str = "",
        secret_access_key: str = "",
    ):
        self.bucket = bucket
        self._session = aioboto3.Session(
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            region_name=region or None,
        )
        self._endpoint_url = endpoint_url or None
        self._clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._config = AioConfig(
            # A download holds its connection while the browser reads it.
            max_pool_connections=100,
            # Stores other than AWS serve buckets by path, not by host name.
            s3={"addressing_style": "path"} if endpoint_url else {},
            # Checksums the store did not ask for: not every S3-compatible store accepts
            # the trailers botocore would add to each upload.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )

    async def _s3(self):
        """The event loop's client, made at its first use and kept: a new client costs as
        much as a request (and opens new connections)."""
        loop = asyncio.get_running_loop()
        if loop not in self._clients:
            stack = AsyncExitStack()
            client = await stack.enter_async_context(
                self._session.client("s3", endpoint_url=self._endpoint_url, config=self._config)
            )
            if loop in self._clients:
                # Another task of this loop made one meanwhile.
                await stack.aclose()
            else:
                self._clients[loop] = (client, stack)
        return self._clients[loop][0]

    async def close(self) -> None:
        entry = self._clients.pop(asyncio.get_running_loop(), None)
        if entry is not None:
            await entry[1].aclose()

    @asynccontextmanager
    async def save(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[StoredBlob]:
        digest = hashlib.sha256()
        s3 = await self._s3()
        buffer, rest = await _first_part(chunks, digest)
        incoming = None
        try:
            if rest is None:
                size = len(buffer)
                source: dict = {"Body": bytes(buffer)}
                write = s3.put_object
            else:
                incoming = f"incoming/{uuid.uuid4().hex}"
                size = await self._multipart(s3, incoming, buffer, rest, digest)
                source = {"CopySource": {"Bucket": self.bucket, "Key": incoming}}
                write = s3.copy_object
            key = digest.hexdigest()

            async def place() -> None:
                # The source (the bytes in memory, or the incoming object) is kept until
                # the block ends, to place the bytes again if a release removes them.
                if not await self._exists(s3, object_name(key)):
                    await write(Bucket=self.bucket, Key=object_name(key), **source)

            await place()
            yield StoredBlob(key=key, sha256=key, size=size, restore=place)
        finally:
            if incoming is not None:
                await s3.delete_object(Bucket=self.bucket, Key=incoming)

    async def save_upload(self, chunks: AsyncIterator[bytes]) -> str:
        key = f"uploads/{uuid.uuid4().hex}"
        digest = hashlib.sha256()
        s3 = await self._s3()
        buffer, rest = await _first_part(chunks, digest)
        if rest is None:
            await s3.put_object(Bucket=self.bucket, Key=key, Body=bytes(buffer))
        else:
            await self._multipart(s3, key, buffer, rest, digest)
        return key

    async def _multipart(
        self,
        s3,
        name: str,
        buffer: bytearray,
        rest: AsyncIterator[bytes],
        digest,
    ) -> int:
        """Sends what `buffer` holds and then `rest` as the parts of one object, one part
        in memory at a time (the buffer is emptied as each is sent); the object's size. A
        failure (of the store, or an exception from `rest`) aborts the upload: no part is
        kept."""
        upload = await s3.create_multipart_upload(Bucket=self.bucket, Key=name)
        upload_id = upload["UploadId"]
        parts: list[dict] = []

        async def send() -> None:
            number = len(parts) + 1
            # A file object: sent as it is, where bytes would be copied once more on the way.
            body = io.BytesIO(buffer)
            buffer.clear()
            sent = await s3.upload_part(
                Bucket=self.bucket, Key=name, UploadId=upload_id, PartNumber=number, Body=body
            )
            parts.append({"ETag": sent["ETag"], "PartNumber": number})

        size = len(buffer)
        try:
            await send()
            async for chunk in rest:
                digest.update(chunk)
                size += len(chunk)
                buffer += chunk
                if len(buffer) >= PART_SIZE:
                    await send()
            if buffer:
                await send()
            await s3.complete_multipart_upload(
                Bucket=self.bucket,
                Key=name,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException:
            with suppress(Exception):
                await s3.abort_multipart_upload(Bucket=self.bucket, Key=name, UploadId=upload_id)
            raise
        return size

    async def _exists(self, s3, name: str) -> bool:
        try:
            await s3.head_object(Bucket=self.bucket, Key=name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    async def open(self, key: str) -> AsyncIterator[bytes]:
        name = object_name(key)
        s3 = await self._s3()
        response = await s3.get_object(Bucket=self.bucket, Key=name)
        body = response["Body"]
        # Entering it yields the raw HTTP response; the body itself reads the chunks.
        async with body:
            async for chunk in body.iter_chunks(CHUNK_SIZE):
                yield chunk

    async def delete(self, key: str) -> None:
        name = object_name(key)
        s3 = await self._s3()
        # Deleting a missing object succeeds on S3: deletes are idempotent.
        await s3.delete_object(Bucket=self.bucket, Key=name)

    async def check(self) -> None:
        s3 = await self._s3()
        await s3.head_bucket(Bucket=self.bucket)


async def _first_part(
    chunks: AsyncIterator[bytes], digest
) -> tuple[bytearray, AsyncIterator[bytes] | None]:
    """Up to PART_SIZE bytes, hashed; with the iterator of the rest, or None when that was
    all."""
    buffer = bytearray()
    async for chunk in chunks:
        digest.update(chunk)
        buffer += chunk
        if len(buffer) >= PART_SIZE:
            return buffer, chunks
    return buffer, None
