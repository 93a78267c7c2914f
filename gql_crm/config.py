"""Settings, read once from the environment (GQL_CRM_*) and overridable by the CLI."""

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite://gql_crm.sqlite3"


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    media_dir: Path = Path("media")
    secret_key: str = ""
    max_page_size: int = 100
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    max_upload_bytes: int = 50 * 1024 * 1024
    max_import_rows: int = 1_000_000
    # An XLSX is a ZIP: this bounds what it may inflate to (zip bombs).
    max_import_uncompressed_bytes: int = 1024 * 1024 * 1024
    download_url_ttl: int = 900
    max_image_pixels: int = 40_000_000
    thumbnail_size: int = 256
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        values = {
            "database_url": os.environ.get("GQL_CRM_DATABASE_URL", DEFAULT_DATABASE_URL),
            "media_dir": Path(os.environ.get("GQL_CRM_MEDIA_DIR", "media")),
            "secret_key": os.environ.get("GQL_CRM_SECRET_KEY", ""),
            "max_page_size": _env_int("GQL_CRM_MAX_PAGE_SIZE", 100),
            "max_query_depth": _env_int("GQL_CRM_MAX_QUERY_DEPTH", 12),
            "max_aliases": _env_int("GQL_CRM_MAX_ALIASES", 30),
            "max_tokens": _env_int("GQL_CRM_MAX_TOKENS", 5000),
            "max_upload_bytes": _env_int("GQL_CRM_MAX_UPLOAD_BYTES", 50 * 1024 * 1024),
            "max_import_rows": _env_int("GQL_CRM_MAX_IMPORT_ROWS", 1_000_000),
            "max_import_uncompressed_bytes": _env_int(
                "GQL_CRM_MAX_IMPORT_UNCOMPRESSED_BYTES", 1024 * 1024 * 1024
            ),
            "download_url_ttl": _env_int("GQL_CRM_DOWNLOAD_URL_TTL", 900),
            "max_image_pixels": _env_int("GQL_CRM_MAX_IMAGE_PIXELS", 40_000_000),
            "thumbnail_size": _env_int("GQL_CRM_THUMBNAIL_SIZE", 256),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)
