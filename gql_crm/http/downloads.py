"""The download routes: attached files (API token or signed link), exports, failed-rows
files and a client's data (signed links). Every answer is streamed and sandboxed."""

import os
import re
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from gql_crm.config import Settings
from gql_crm.http.errors import RequestRefused, refusal_response
from gql_crm.http.limits import bearer_token
from gql_crm.services import exports, gdpr
from gql_crm.services.auth import authenticate
from gql_crm.services.files import downloads, sniffing
from gql_crm.services.imports import failed_rows
from gql_crm.services.storage import storage_for


def content_disposition(disposition: str, file_name: str) -> str:
    """RFC 6266: an ASCII fallback name for old clients, the exact name in filename*."""
    fallback = re.sub(r"[^A-Za-z0-9._ -]", "_", file_name)
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


# A download is never a page: even an HTML file sneaked past the checks runs no script
# (nosniff comes with every answer, from SecurityHeadersMiddleware).
DOWNLOAD_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


def _not_found(request: Request) -> JSONResponse:
    return refusal_response(request, RequestRefused("NOT_FOUND", 404, headers=DOWNLOAD_HEADERS))


def download_routes(settings: Settings) -> list[Route]:
    async def download_file(request: Request) -> Response:
        """A file of the caller's organization, by API token or by signed URL."""
        file_id = request.path_params["file_id"]
        token = request.query_params.get("token")
        if token:
            org_id = downloads.org_of_download_token(settings, token, file_id)
        else:
            actor = await authenticate(bearer_token(request.headers))
            org_id = actor.org_id if actor else None
        if org_id is None:
            return refusal_response(
                request,
                RequestRefused(
                    "UNAUTHENTICATED",
                    401,
                    catalog_key="DOWNLOAD_UNAUTHENTICATED",
                    headers=DOWNLOAD_HEADERS,
                ),
            )
        row = await downloads.downloadable_file(org_id, file_id)
        if row is None:
            return _not_found(request)
        inline = row.content_type in sniffing.INLINE_TYPES
        media_type = row.content_type
        if media_type.startswith("text/"):
            media_type += "; charset=utf-8"
        return StreamingResponse(
            storage_for(settings).open(row.storage_key),
            media_type=media_type,
            headers={
                **DOWNLOAD_HEADERS,
                "Content-Length": str(row.size),
                "Content-Disposition": content_disposition(
                    "inline" if inline else "attachment", row.name
                ),
                "Cache-Control": "private, max-age=300",
            },
        )

    async def download_export(request: Request) -> Response:
        redeemed = await exports.redeem(settings, request.path_params["token"])
        if redeemed is None:
            return _not_found(request)
        organization, export = redeemed
        return StreamingResponse(
            exports.stream(organization, export),
            media_type=exports.CONTENT_TYPES[export.format],
            headers={
                **DOWNLOAD_HEADERS,
                "Content-Disposition": content_disposition(
                    "attachment", exports.file_name(organization, export)
                ),
                "Cache-Control": "no-store",
            },
        )

    async def download_client_data(request: Request) -> Response:
        download = await gdpr.redeem(settings, request.path_params["token"])
        if download is None:
            return _not_found(request)
        path = await gdpr.build_zip(settings, download.client)
        return StreamingResponse(
            gdpr.stream_file(path),
            media_type="application/zip",
            headers={
                **DOWNLOAD_HEADERS,
                "Content-Length": str(os.path.getsize(path)),
                "Content-Disposition": content_disposition("attachment", download.file_name),
                "Cache-Control": "no-store",
            },
        )

    async def download_failed_rows(request: Request) -> Response:
        job = await failed_rows.redeem(settings, request.path_params["token"])
        if job is None:
            return _not_found(request)
        return StreamingResponse(
            failed_rows.stream(job),
            media_type="text/csv; charset=utf-8",
            headers={
                **DOWNLOAD_HEADERS,
                "Content-Disposition": content_disposition(
                    "attachment", failed_rows.file_name(job)
                ),
                "Cache-Control": "no-store",
            },
        )

    return [
        Route("/files/{file_id:int}", download_file, methods=["GET"]),
        Route("/exports/{token}", download_export, methods=["GET"]),
        Route("/imports/failed-rows/{token}", download_failed_rows, methods=["GET"]),
        Route("/client-data/{token}", download_client_data, methods=["GET"]),
    ]
