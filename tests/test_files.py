"""Files tab and profile photos, through HTTP: uploads, downloads and the attacks on them."""

import asyncio
import base64
import dataclasses
import hashlib
import io
import struct
import time
import unicodedata
import uuid
import zlib
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image

from gql_crm.app import GraphQLApp, create_app
from gql_crm.models import File, Role
from gql_crm.services import signing
from gql_crm.services.files import downloads
from gql_crm.services.files.sniffing import ATTACHMENT_TYPES, safe_file_name
from tests.helpers import ATTACH, DELETE
from tests.uploads import PDF, create_client, half_written, image_bytes, stored_bytes, upload

FILES = """
query($id: ID!) { client(id: $id) { files {
    totalCount edges { node { id name size contentType sha256 url } } } } }"""


def listed_files(data: dict) -> list[dict]:
    return [edge["node"] for edge in data["client"]["files"]["edges"]]


SET_PHOTO = """
mutation($clientId: ID!, $file: Upload!) {
  setClientPhoto(clientId: $clientId, file: $file) {
    client { photo { url thumbnailUrl width height } }
    errors { code field message }
  }
}"""
REMOVE_PHOTO = """
mutation($clientId: ID!) {
  removeClientPhoto(clientId: $clientId) { client { photo { url } } errors { code field } }
}"""


async def attach(org, client_id, name, data, content_type="application/octet-stream", **kw):
    body = await upload(
        org,
        ATTACH,
        {"clientId": client_id, **kw.pop("variables", {})},
        {"file": (name, data, content_type)},
        **kw,
    )
    assert "errors" not in body, body
    return body["data"]["attachClientFile"]


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


async def test_attach_list_and_download(org, http, settings):
    client_id = await create_client(org)
    result = await attach(
        org,
        client_id,
        "Contrato firmado.pdf",
        PDF,
        "text/html",
        variables={"description": "Signed contract"},
    )
    assert result["errors"] == []
    file = result["file"]
    assert file["name"] == "Contrato firmado.pdf"
    assert file["description"] == "Signed contract"
    assert file["size"] == len(PDF)
    # The bytes decide the type, not what the client claimed.
    assert file["contentType"] == "application/pdf"
    assert file["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert file["uploadedBy"]["email"].startswith("admin@")
    assert await stored_bytes(settings, file["sha256"]) == PDF

    listed = listed_files(await org.data(FILES, {"id": client_id}))
    assert [f["id"] for f in listed] == [file["id"]]

    response = await http.get(path_of(file["url"]))
    assert response.status_code == 200
    assert response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"Contrato firmado.pdf\"; filename*=UTF-8''Contrato%20firmado.pdf"
    )
    file_pk = int(urlsplit(file["url"]).path.rsplit("/", 1)[1])
    by_token = await http.get(
        f"/files/{file_pk}", headers={"Authorization": f"Bearer {org.tokens[Role.VIEWER]}"}
    )
    assert by_token.status_code == 200 and by_token.content == PDF
    assert (await http.get(f"/files/{file_pk}")).status_code == 401

    stored = await File.get(id=file_pk)
    assert stored.organization_id == org.id and stored.storage_key == file["sha256"]


async def test_path_in_file_name_is_dropped(org, settings):
    client_id = await create_client(org)
    for raw, expected in [
        ("../../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\evil.txt", "evil.txt"),
        ("/abs/.hidden.txt", "hidden.txt"),
        ("report\u202etxt.exe", "reporttxt.exe.txt"),
        ("..", "file.txt"),
    ]:
        result = await attach(org, client_id, raw, f"content of {expected}".encode(), "text/plain")
        assert result["errors"] == [], raw
        assert result["file"]["name"] == expected
        # Bytes are stored under their hash, whatever the name said.
        assert await stored_bytes(settings, result["file"]["sha256"]) is not None
    media = settings.media_dir.resolve()
    assert not (media.parent / "passwd.txt").exists()
    assert not (media / "evil.txt").exists()


async def test_png_that_is_really_a_script(org, http):
    client_id = await create_client(org)
    script = b"<html><script>alert(document.cookie)</script></html>"
    result = await attach(org, client_id, "avatar.png", script, "image/png")
    assert result["errors"] == []
    file = result["file"]
    assert file["contentType"] == "text/plain"
    # Opened after download it is text, never a page or an image viewer's input.
    assert file["name"] == "avatar.png.txt"
    response = await http.get(path_of(file["url"]))
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]

    photo = await upload(
        org, SET_PHOTO, {"clientId": client_id}, {"file": ("avatar.png", script, "image/png")}
    )
    assert photo["data"]["setClientPhoto"]["errors"][0]["code"] == "UNSUPPORTED_FILE"
    # A real PNG signature followed by garbage is not an image either.
    broken = image_bytes("PNG")[:40] + b"#!/bin/sh\nrm -rf /\n" * 10
    photo = await upload(
        org, SET_PHOTO, {"clientId": client_id}, {"file": ("avatar.png", broken, "image/png")}
    )
    assert photo["data"]["setClientPhoto"]["errors"][0]["code"] == "UNSUPPORTED_FILE"
    assert await File.filter(client_id=int(_pk(client_id)), purpose="PHOTO").count() == 0


def _pk(global_id: str) -> str:
    return base64.b64decode(global_id).decode().split(":")[1]


async def test_unsupported_types_are_refused(org):
    client_id = await create_client(org)
    executable = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200
    result = await attach(org, client_id, "invoice.pdf", executable, "application/pdf")
    assert result["file"] is None
    assert result["errors"][0]["code"] == "UNSUPPORTED_FILE"
    assert result["errors"][0]["field"] == ["file"]
    empty = await attach(org, client_id, "empty.txt", b"", "text/plain")
    assert empty["errors"][0]["code"] == "REQUIRED"


@pytest.fixture
def override_settings(app, settings, monkeypatch):
    """The running app's GraphQL settings with some values changed, for this test only."""
    graphql = next(route.endpoint for route in app.routes if route.path == "/graphql")

    def override(**changes):
        monkeypatch.setattr(graphql, "settings", dataclasses.replace(settings, **changes))

    return override


async def test_size_limit(org, settings, override_settings):
    override_settings(max_upload_bytes=1000)
    client_id = await create_client(org)
    ok = await attach(org, client_id, "ok.txt", b"a" * 1000, "text/plain")
    assert ok["errors"] == []
    for size in (1001, 100_000):
        too_big = await attach(
            org, client_id, "big.txt", b"a" * size, "text/plain", headers={"Accept-Language": "es"}
        )
        assert too_big["errors"] == [
            {
                "code": "FILE_TOO_LARGE",
                "field": ["file"],
                "message": "El archivo supera los 1000 bytes.",
            }
        ]
    photo = await upload(
        org,
        SET_PHOTO,
        {"clientId": client_id},
        {"file": ("p.png", image_bytes("PNG", (400, 400)) + b"x" * 2000, "image/png")},
    )
    assert photo["data"]["setClientPhoto"]["errors"][0]["code"] == "FILE_TOO_LARGE"
    assert half_written(settings) == []


async def test_another_organizations_file_id_and_url(org, make_org, http, settings):
    other = await make_org()
    client_id = await create_client(org)
    file = (await attach(org, client_id, "secret.pdf", PDF, "application/pdf"))["file"]
    file_pk = int(urlsplit(file["url"]).path.rsplit("/", 1)[1])
    other_headers = {"Authorization": f"Bearer {other.tokens[Role.ADMIN]}"}

    # Another organization's token: exactly like a file that does not exist.
    assert (await http.get(f"/files/{file_pk}", headers=other_headers)).status_code == 404
    assert (await http.get("/files/999999999", headers=other_headers)).status_code == 404
    node = await other.data("query($id: ID!) { node(id: $id) { id } }", {"id": file["id"]})
    assert node["node"] is None
    deleted = await other.data(DELETE, {"id": file["id"]})
    assert deleted["deleteFile"]["errors"] == [{"code": "NOT_FOUND", "field": ["id"]}]
    attached = await attach(other, client_id, "x.txt", b"hello", "text/plain")
    assert attached["errors"] == [
        {"code": "NOT_FOUND", "field": ["clientId"], "message": "Not found."}
    ]

    # A signed URL opens its own file only, and only while it is valid and untouched.
    other_client = await create_client(other)
    other_file = await attach(other, other_client, "o.pdf", PDF + b"x", "application/pdf")
    other_pk = int(urlsplit(other_file["file"]["url"]).path.rsplit("/", 1)[1])
    token = urlsplit(file["url"]).query.removeprefix("token=")
    assert (await http.get(f"/files/{other_pk}?token={token}")).status_code == 401
    assert (await http.get(f"/files/{file_pk}?token={token}x")).status_code == 401
    body, _, mac = token.partition(".")
    assert (await http.get(f"/files/{file_pk}?token={body[:-2]}AA.{mac}")).status_code == 401
    expired = signing.sign(settings, "file", org.id, {"f": file_pk}, -1)
    assert (await http.get(f"/files/{file_pk}?token={expired}")).status_code == 401
    # Signed for another organization: that organization has no such file.
    forged_org = signing.sign(settings, "file", other.id, {"f": file_pk}, 60)
    assert (await http.get(f"/files/{file_pk}?token={forged_org}")).status_code == 404
    # An export token is not a file token.
    export_token = signing.sign(settings, "export", org.id, {"f": file_pk}, 60)
    assert (await http.get(f"/files/{file_pk}?token={export_token}")).status_code == 401
    assert (await http.get(path_of(file["url"]))).status_code == 200


class Clock:
    """Stands for the time module in services.signing: the seconds links are signed in."""

    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now


async def test_a_file_link_is_the_same_for_a_minute_and_lives_its_lifetime(
    org, http, settings, monkeypatch
):
    """The same address all minute long (a browser keeps the photos it showed); a link made in
    the next minute is signed for it; each lives GQL_CRM_DOWNLOAD_URL_TTL seconds at least,
    and at most a minute more."""
    client_id = await create_client(org)
    await attach(org, client_id, "a.txt", b"kept", "text/plain")
    # A second into a minute.
    start = int(time.time()) // downloads.LINK_PERIOD * downloads.LINK_PERIOD + 1
    clock = Clock(start)
    monkeypatch.setattr(signing, "time", clock)
    ttl = settings.download_url_ttl

    async def link() -> str:
        return listed_files(await org.data(FILES, {"id": client_id}))[0]["url"]

    first = await link()
    clock.now = start + downloads.LINK_PERIOD - 1.5
    assert await link() == first
    clock.now = start + downloads.LINK_PERIOD
    later = await link()
    assert later != first
    clock.now = start + ttl + 0.5
    for url in (first, later):
        assert (await http.get(path_of(url))).content == b"kept"
    clock.now = start + ttl + downloads.LINK_PERIOD
    assert (await http.get(path_of(first))).status_code == 401
    assert (await http.get(path_of(later))).content == b"kept"


async def test_nothing_under_media_is_reachable_by_path(org, http, settings):
    client_id = await create_client(org)
    file = (await attach(org, client_id, "a.pdf", PDF, "application/pdf"))["file"]
    sha = file["sha256"]
    for path in (
        f"/media/blobs/{sha[:2]}/{sha[2:4]}/{sha}",
        f"/files/blobs/{sha[:2]}/{sha[2:4]}/{sha}",
        f"/files/{sha}",
        "/files/..%2F.secret_key",
        "/files/../.secret_key",
        "/.secret_key",
    ):
        response = await http.get(
            path, headers={"Authorization": f"Bearer {org.tokens[Role.ADMIN]}"}
        )
        assert response.status_code == 404, path
        assert PDF not in response.content


async def test_delete_file(org, http, settings):
    client_id = await create_client(org)
    # Blobs are shared by content across organizations: these bytes are this test's own.
    pdf = PDF + uuid.uuid4().hex.encode()
    shared = (await attach(org, client_id, "a.pdf", pdf, "application/pdf"))["file"]
    twin = (await attach(org, client_id, "b.pdf", pdf, "application/pdf"))["file"]
    assert shared["sha256"] == twin["sha256"]

    forbidden = await org.gql(DELETE, {"id": shared["id"]}, role=Role.VIEWER)
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    result = await org.data(DELETE, {"id": shared["id"]}, role=Role.MEMBER)
    assert result["deleteFile"] == {"deletedId": shared["id"], "errors": []}
    assert (await http.get(path_of(shared["url"]))).status_code == 404
    # The twin still needs the bytes.
    assert await stored_bytes(settings, shared["sha256"]) == pdf
    assert (await http.get(path_of(twin["url"]))).content == pdf
    listed = listed_files(await org.data(FILES, {"id": client_id}))
    assert [f["id"] for f in listed] == [twin["id"]]

    await org.data(DELETE, {"id": twin["id"]})
    assert await stored_bytes(settings, shared["sha256"]) is None
    again = await org.data(DELETE, {"id": twin["id"]})
    assert again["deleteFile"]["errors"] == [{"code": "NOT_FOUND", "field": ["id"]}]


async def test_viewer_cannot_upload(org):
    client_id = await create_client(org)
    body = await upload(
        org,
        ATTACH,
        {"clientId": client_id},
        {"file": ("a.pdf", PDF, "application/pdf")},
        role=Role.VIEWER,
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_multipart_needs_preflight_header(org):
    client_id = await create_client(org)
    response = await org.http.post(
        "/graphql",
        data={
            "operations": '{"query": "mutation($f: Upload!) { attachClientFile(clientId: \\"'
            + client_id
            + '\\", file: $f) { errors { code } } }", "variables": {"f": null}}',
            "map": '{"0": ["variables.f"]}',
        },
        files={"0": ("a.pdf", PDF, "application/pdf")},
        headers={"Authorization": f"Bearer {org.tokens[Role.ADMIN]}"},
    )
    assert response.status_code == 400


def _jpeg_with_metadata() -> bytes:
    image = Image.new("RGB", (40, 20), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x013B] = "Jane Secret"  # Artist
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"private comment")
    return out.getvalue()


async def test_client_photo(org, http, settings):
    client_id = await create_client(org)
    original = _jpeg_with_metadata()
    result = await upload(
        org,
        SET_PHOTO,
        {"clientId": client_id},
        {"file": ("me.jpeg", original, "image/jpeg")},
        role=Role.MEMBER,
    )
    payload = result["data"]["setClientPhoto"]
    assert payload["errors"] == []
    photo = payload["client"]["photo"]
    # The orientation flag was applied to the pixels before the metadata went away.
    assert (photo["width"], photo["height"]) == (20, 40)

    response = await http.get(path_of(photo["url"]))
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["content-disposition"].startswith("inline;")
    assert b"SecretCam" not in response.content and b"Jane Secret" not in response.content
    assert b"private comment" not in response.content
    stored = Image.open(io.BytesIO(response.content))
    assert stored.size == (20, 40) and not stored.getexif()

    thumbnail = await http.get(path_of(photo["thumbnailUrl"]))
    thumb = Image.open(io.BytesIO(thumbnail.content))
    assert thumb.size == (settings.thumbnail_size, settings.thumbnail_size)
    assert thumb.format == "JPEG"

    # Photos are not files of the files tab.
    assert listed_files(await org.data(FILES, {"id": client_id})) == []

    first_keys = [f.storage_key for f in await File.filter(client_id=int(_pk(client_id)))]
    second = await upload(
        org,
        SET_PHOTO,
        {"clientId": client_id},
        {"file": ("new.gif", image_bytes("GIF", (30, 30)), "image/gif")},
    )
    photo = second["data"]["setClientPhoto"]["client"]["photo"]
    assert (photo["width"], photo["height"]) == (30, 30)
    assert (await http.get(path_of(photo["url"]))).headers["content-type"] == "image/png"
    for key in first_keys:
        assert await stored_bytes(settings, key) is None

    removed = await org.data(REMOVE_PHOTO, {"clientId": client_id})
    assert removed["removeClientPhoto"] == {"client": {"photo": None}, "errors": []}
    assert (await http.get(path_of(photo["url"]))).status_code == 404
    again = await org.data(REMOVE_PHOTO, {"clientId": client_id})
    assert again["removeClientPhoto"]["errors"] == [{"code": "NOT_FOUND", "field": ["clientId"]}]


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
async def test_photo_formats_and_other_org(org, make_org, fmt):
    client_id = await create_client(org)
    result = await upload(
        org,
        SET_PHOTO,
        {"clientId": client_id},
        {"file": ("p", image_bytes(fmt, (300, 100)), "application/pdf")},
    )
    photo = result["data"]["setClientPhoto"]["client"]["photo"]
    assert (photo["width"], photo["height"]) == (300, 100)
    other = await make_org()
    attempt = await upload(
        other, SET_PHOTO, {"clientId": client_id}, {"file": ("p", image_bytes(fmt), "image/png")}
    )
    assert attempt["data"]["setClientPhoto"]["errors"][0]["code"] == "NOT_FOUND"
    seen = await other.data("query($id: ID!) { client(id: $id) { id } }", {"id": client_id})
    assert seen["client"] is None


async def test_too_many_pixels(org, override_settings):
    override_settings(max_image_pixels=100)
    client_id = await create_client(org)
    result = await upload(
        org,
        SET_PHOTO,
        {"clientId": client_id},
        {"file": ("p.png", image_bytes("PNG", (11, 10)), "image/png")},
    )
    assert result["data"]["setClientPhoto"]["errors"][0]["code"] == "IMAGE_TOO_LARGE"
    fits = await upload(
        org,
        SET_PHOTO,
        {"clientId": client_id},
        {"file": ("p.png", image_bytes("PNG", (10, 10)), "image/png")},
    )
    assert fits["data"]["setClientPhoto"]["errors"] == []


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` x `height` pixels, with almost no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


async def test_a_photo_claiming_enormous_dimensions_is_too_large(org):
    # Far past Pillow's own decompression-bomb guard, which fires before our limit.
    client_id = await create_client(org)
    result = await upload(
        org,
        SET_PHOTO,
        {"clientId": client_id},
        {"file": ("p.png", _png_claiming(50_000, 50_000), "image/png")},
    )
    errors = result["data"]["setClientPhoto"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("IMAGE_TOO_LARGE", ["file"])]
    assert await File.filter(client_id=int(_pk(client_id))).count() == 0


async def test_a_truncated_photo_is_damaged(org):
    client_id = await create_client(org)
    jpeg = image_bytes("JPEG", (400, 300))
    for headers, text in (({}, "damaged"), ({"Accept-Language": "es"}, "dañada")):
        result = await upload(
            org,
            SET_PHOTO,
            {"clientId": client_id},
            {"file": ("p.jpg", jpeg[: len(jpeg) // 2], "image/jpeg")},
            headers=headers,
        )
        errors = result["data"]["setClientPhoto"]["errors"]
        assert [(e["code"], e["field"]) for e in errors] == [("DAMAGED_IMAGE", ["file"])]
        assert text in errors[0]["message"]
    assert await File.filter(client_id=int(_pk(client_id))).count() == 0


async def test_list_photos_and_files_in_constant_queries(org, sql_statements):
    ids = [await create_client(org, name=f"C{i}") for i in range(4)]
    for client_id in ids:
        await upload(
            org,
            SET_PHOTO,
            {"clientId": client_id},
            {"file": ("p.png", image_bytes("PNG"), "image/png")},
        )
        await attach(org, client_id, "a.txt", client_id.encode(), "text/plain")
    query = """query($n: Int) { clients(first: $n) { edges { node {
        photo { thumbnailUrl }
        files { totalCount edges { node { name uploadedBy { email } } } } } } } }"""
    counts = []
    for n in (1, 4):
        sql_statements.clear()
        data = await org.data(query, {"n": n})
        assert all(edge["node"]["photo"] for edge in data["clients"]["edges"])
        assert all(
            edge["node"]["files"]["totalCount"] == 1 and len(edge["node"]["files"]["edges"]) == 1
            for edge in data["clients"]["edges"]
        )
        # The search's trigram statistics (PostgreSQL), read every few minutes, aside.
        counts.append(len([s for s in sql_statements if "pg_stats_ext_exprs" not in s]))
        # The planned path: the photos, their links and the files are subqueries of the
        # page's one statement.
        assert len([s for s in sql_statements if '"file"' in s]) == 1, sql_statements
    assert counts[0] == counts[1]


PLANNED_LINKS = """
query($id: ID!) {
  clients(first: 50) { edges { node { id photo { url thumbnailUrl width height } } } }
  client(id: $id) { photo { url } files { edges { node { id url } } } }
  node(id: $id) { ... on Client { files(first: 1) { edges { node { url } } } } }
}"""


async def test_planned_links_download_the_files(app, org, make_org, http, settings):
    client_id = await create_client(org)
    attached = (await attach(org, client_id, "notes.txt", b"planned", "text/plain"))["file"]
    photo = await upload(
        org,
        SET_PHOTO,
        {"clientId": client_id},
        {"file": ("p.png", image_bytes("PNG", (40, 20)), "image/png")},
    )
    assert photo["data"]["setClientPhoto"]["errors"] == []
    planner = next(
        route.endpoint.planner for route in app.routes if isinstance(route.endpoint, GraphQLApp)
    )
    before = planner.counts.copy()
    data = await org.data(PLANNED_LINKS, {"id": client_id})
    assert planner.counts - before == Counter(planned=1)

    (listed,) = [e["node"] for e in data["clients"]["edges"] if e["node"]["id"] == client_id]
    assert (listed["photo"]["width"], listed["photo"]["height"]) == (40, 20)
    client = data["client"]
    file_links = [
        client["files"]["edges"][0]["node"]["url"],
        data["node"]["files"]["edges"][0]["node"]["url"],
    ]
    for url in file_links:
        assert url.startswith("http://testserver/files/")
        response = await http.get(path_of(url))
        assert response.status_code == 200 and response.content == b"planned"
        file_pk = int(urlsplit(url).path.rsplit("/", 1)[1])
        assert file_pk == int(_pk(attached["id"]))
        token = parse_qs(urlsplit(url).query)["token"][0]
        assert downloads.org_of_download_token(settings, token, file_pk) == org.id
    for url in (listed["photo"]["url"], client["photo"]["url"]):
        response = await http.get(path_of(url))
        assert response.status_code == 200 and response.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(response.content)).size == (40, 20)
    thumbnail = await http.get(path_of(listed["photo"]["thumbnailUrl"]))
    size = settings.thumbnail_size
    assert Image.open(io.BytesIO(thumbnail.content)).size == (size, size)

    # Another organization's links: none to this organization's files.
    other = await make_org()
    theirs = await other.data(PLANNED_LINKS, {"id": client_id})
    assert theirs["client"] is None and theirs["node"] is None
    assert all(e["node"]["id"] != client_id for e in theirs["clients"]["edges"])


async def test_oversized_request_is_refused_before_parsing(org, settings):
    # The body limits sit in the middleware, outside the GraphQL view: an app of their own.
    app = create_app(dataclasses.replace(settings, max_upload_bytes=1000), init_orm=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        response = await client.post(
            "/graphql",
            content=b"x" * (1000 + 1024 * 1024 + 1),
            headers={
                "Authorization": f"Bearer {org.tokens[Role.ADMIN]}",
                "Content-Type": "multipart/form-data; boundary=x",
                "GraphQL-Require-Preflight": "1",
                "Accept-Language": "es",
            },
        )
    assert response.status_code == 413
    assert response.json()["errors"][0] == {
        "message": "El archivo supera los 1000 bytes.",
        "extensions": {"code": "FILE_TOO_LARGE"},
    }


@hypothesis_settings(max_examples=300)
@given(st.text(), st.sampled_from(sorted(ATTACHMENT_TYPES)))
def test_safe_file_name_never_carries_a_path(raw, content_type):
    name = safe_file_name(raw, content_type)
    assert "/" not in name and "\\" not in name and not name.startswith(".")
    assert 0 < len(name) <= 255
    assert all(unicodedata.category(ch)[0] not in "C" for ch in name)
    assert any(name.lower().endswith(ext) for ext in ATTACHMENT_TYPES[content_type])


async def test_deleting_the_last_file_of_some_bytes_while_they_are_uploaded_again(
    org, http, settings
):
    """The race of a release and an upload of the same bytes: the upload found the blob
    present (so wrote nothing) just before the release removed it. Whatever the order the
    requests run in, every file that survives downloads with its bytes."""
    client_id = await create_client(org)
    for round_ in range(20):
        pdf = PDF + uuid.uuid4().hex.encode() + str(round_).encode()
        last = (await attach(org, client_id, "last.pdf", pdf, "application/pdf"))["file"]
        deleted, *uploaded = await asyncio.gather(
            org.data(DELETE, {"id": last["id"]}),
            attach(org, client_id, "again.pdf", pdf, "application/pdf"),
            attach(org, client_id, "again.pdf", pdf, "application/pdf"),
        )
        assert deleted["deleteFile"]["errors"] == []
        for result in uploaded:
            assert result["errors"] == []
            response = await http.get(path_of(result["file"]["url"]))
            assert response.status_code == 200
            assert response.content == pdf
        for result in uploaded:
            await org.data(DELETE, {"id": result["file"]["id"]})
        assert await stored_bytes(settings, last["sha256"]) is None


async def test_removing_a_photo_while_the_same_image_is_set_on_another_client(org, http):
    """Photos share the release: the photo and thumbnail of a client that another client
    takes the same image as, while the first removes it, download on the second."""
    first, second = await create_client(org, "Ana"), await create_client(org, "Bea")
    for round_ in range(10):
        # Bytes of this round only (blobs are shared by content with every other test).
        png = image_bytes(color=(round_, uuid.uuid4().int % 256, 7))
        png_file = {"file": ("me.png", png, "image/png")}
        assert (await upload(org, SET_PHOTO, {"clientId": first}, png_file))["data"][
            "setClientPhoto"
        ]["errors"] == []
        removed, taken = await asyncio.gather(
            org.data(REMOVE_PHOTO, {"clientId": first}),
            upload(org, SET_PHOTO, {"clientId": second}, png_file),
        )
        assert removed["removeClientPhoto"]["errors"] == []
        photo = taken["data"]["setClientPhoto"]["client"]["photo"]
        for url in (photo["url"], photo["thumbnailUrl"]):
            response = await http.get(path_of(url))
            assert response.status_code == 200
            assert Image.open(io.BytesIO(response.content)).format == "PNG"
