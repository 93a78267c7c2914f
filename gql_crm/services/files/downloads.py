"""Signed, short-lived download URLs for files, and the file a download may serve."""

import functools

from gql_crm.config import Settings
from gql_crm.models import File
from gql_crm.services import signing

SIGNED_PURPOSE = "file"


# A file's link stays the same for a whole minute: a browser showing the clients' photos
# again (the next page, a refresh) finds them in its cache under the same address, and a link
# is signed (14 µs, most of a planned list of 50 clients with photos) once a minute, the
# tokens made lately being kept. So a link lives from GQL_CRM_DOWNLOAD_URL_TTL seconds to a
# minute more.
LINK_PERIOD = 60
TOKENS_KEPT = 4096


def download_token(settings: Settings, org_id: int, file_id: int) -> str:
    expires = signing.expiry(settings.download_url_ttl, LINK_PERIOD)
    return _token(settings, org_id, file_id, expires)


@functools.lru_cache(maxsize=TOKENS_KEPT)
def _token(settings: Settings, org_id: int, file_id: int, expires: int) -> str:
    return signing.sign_until(settings, SIGNED_PURPOSE, org_id, {"f": file_id}, expires)


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
