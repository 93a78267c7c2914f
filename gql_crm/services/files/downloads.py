"""Signed, short-lived download URLs for files, and the file a download may serve."""

from gql_crm.config import Settings
from gql_crm.models import File
from gql_crm.services import signing

SIGNED_PURPOSE = "file"


def download_token(settings: Settings, org_id: int, file_id: int) -> str:
    return signing.sign(settings, SIGNED_PURPOSE, org_id, {"f": file_id}, settings.download_url_ttl)


def download_path(settings: Settings, org_id: int, file_id: int) -> str:
    """The link (below the API's address) to the file `file_id` of the organization
    `org_id`: a File row's `organization_id` and `id`."""
    return f"/files/{file_id}?token={download_token(settings, org_id, file_id)}"


def org_of_download_token(settings: Settings, token: str, file_id: int) -> int | None:
    claims = signing.verify(settings, SIGNED_PURPOSE, token)
    if claims is None or claims[1].get("f") != file_id:
        return None
    return claims[0]


async def downloadable_file(org_id: int, file_id: int) -> File | None:
    """A live file of the organization; another organization's reads as missing."""
    return await File.get_or_none(organization_id=org_id, id=file_id, deleted_at__isnull=True)
