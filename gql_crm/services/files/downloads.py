"""Signed, short-lived download URLs for files, and the file a download may serve."""

from gql_crm.config import Settings
from gql_crm.models import File
from gql_crm.services import signing

SIGNED_PURPOSE = "file"


def download_token(settings: Settings, row: File) -> str:
    return signing.sign(
        settings, SIGNED_PURPOSE, row.organization_id, {"f": row.id}, settings.download_url_ttl
    )


def download_path(settings: Settings, row: File) -> str:
    return f"/files/{row.id}?token={download_token(settings, row)}"


def org_of_download_token(settings: Settings, token: str, file_id: int) -> int | None:
    claims = signing.verify(settings, SIGNED_PURPOSE, token)
    if claims is None or claims[1].get("f") != file_id:
        return None
    return claims[0]


async def downloadable_file(org_id: int, file_id: int) -> File | None:
    """A live file of the organization; another organization's reads as missing."""
    return await File.get_or_none(organization_id=org_id, id=file_id, deleted_at__isnull=True)
