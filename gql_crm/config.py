"""Settings: each declared once, with its type and default; the environment variable of a
setting is its name in capitals behind GQL_CRM_ (GQL_CRM_MAX_PAGE_SIZE, ...)."""

import dataclasses
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from starlette.config import Config

DEFAULT_DATABASE_URL = "sqlite://gql_crm.sqlite3"
ENV_PREFIX = "GQL_CRM_"


class CommaSeparated(tuple[str, ...]):
    """A list setting, written `a, b, c` in its environment variable."""

    def __new__(cls, value: str | Iterable[str] = ()) -> "CommaSeparated":
        if isinstance(value, str):
            value = (part.strip() for part in value.split(","))
        return super().__new__(cls, (part for part in value if part))


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    media_dir: Path = Path("media")
    # Where file bytes go (attachments, photos, import uploads): "local", under media_dir,
    # or "s3", an S3-compatible object store (AWS S3, MinIO, Ceph, R2...) that every
    # process and host reaches.
    storage: str = "local"
    s3_bucket: str = ""
    # The store's URL; empty means AWS S3 itself.
    s3_endpoint_url: str = ""
    s3_region: str = ""
    # Empty: boto's own credential chain (AWS_ACCESS_KEY_ID, ~/.aws, an instance role).
    s3_access_key_id: str = ""
    s3_secret_access_key: str = dataclasses.field(default="", repr=False)
    secret_key: str = ""
    max_page_size: int = 100
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    # Objects an operation may return, page sizes multiplied down the tree (README: Errors).
    max_query_cost: int = 10_000
    max_upload_bytes: int = 50 * 1024 * 1024
    # Cut off while they stream in: JSON bodies, and any body without a valid token.
    max_body_bytes: int = 4 * 1024 * 1024
    max_anonymous_body_bytes: int = 64 * 1024
    # Slow clients: a body has body_timeout seconds, one more per body_min_rate bytes
    # received; request headers have header_timeout seconds (`gql-crm serve`).
    body_timeout: int = 20
    body_min_rate: int = 500
    header_timeout: int = 10
    max_header_bytes: int = 64 * 1024
    keep_alive_timeout: int = 5
    max_import_rows: int = 1_000_000
    # An XLSX is a ZIP: this bounds what it may inflate to (zip bombs).
    max_import_uncompressed_bytes: int = 1024 * 1024 * 1024
    download_url_ttl: int = 900
    max_image_pixels: int = 40_000_000
    thumbnail_size: int = 256
    # Origins of browser apps allowed to call the API (comma-separated); none by default.
    cors_origins: CommaSeparated = CommaSeparated()
    # How long a browser may reuse a CORS preflight answer, in seconds.
    cors_max_age: int = 600
    # Answers smaller than this many bytes are sent uncompressed.
    compress_minimum_size: int = 1024
    # Operations one batched request (a JSON array) may hold; 0 turns batching off.
    max_batch_operations: int = 0
    # Persisted queries each process keeps in memory (the database keeps them all).
    persisted_queries_cache_size: int = 1000
    # Persisted queries the database keeps per organization.
    max_persisted_queries: int = 10_000
    # How long a CDN or browser may keep an answer to a GET without a token (introspection).
    public_cache_max_age: int = 60
    # Seconds a process trusts a token it has looked up (0: every request looks it up), and
    # how many it remembers. The seconds bound how late another process sees a revocation.
    token_cache_ttl: float = 30.0
    token_cache_size: int = 10_000
    # Hot queries answered by SQL that writes the JSON (gql_crm.api.planned); False sends
    # every operation through Strawberry's executor (the differential test compares both).
    fast_path: bool = True
    # PostgreSQL: `gql-crm serve` also runs a queue worker in each server process (False:
    # jobs wait for `gql-crm worker` processes).
    embedded_worker: bool = True
    # Jobs one worker process runs at once. One: an import keeps its process busy (its event
    # loop and its one cleaning process), so a second job waits for an idle worker rather
    # than sharing a busy one.
    worker_concurrency: int = 1
    # Seconds after its worker's last heartbeat that a running job is given to another worker.
    job_heartbeat_timeout: float = 30.0
    # Seconds `gql-crm serve` waits for open requests to end when told to stop.
    shutdown_timeout: int = 30

    def worker_options(self) -> dict[str, Any]:
        """The settings of a queue worker, embedded in `serve` or run by `gql-crm worker`."""
        return {
            "heartbeat_timeout": self.job_heartbeat_timeout,
            "concurrency": self.worker_concurrency,
        }

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> "Settings":
        """Settings from GQL_CRM_* variables; `overrides` that are not None win (CLI flags)."""
        config = Config(environ=os.environ if environ is None else environ, env_prefix=ENV_PREFIX)
        values: dict[str, Any] = {
            # Each type is the class itself (annotations are not postponed in this module).
            setting.name: config(
                setting.name.upper(), cast=cast(type, setting.type), default=setting.default
            )
            for setting in dataclasses.fields(cls)
        }
        values.update({name: value for name, value in overrides.items() if value is not None})
        return cls(**values)
