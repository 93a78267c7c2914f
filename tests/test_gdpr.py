"""A client's personal data: the export for the person and the erasure, through HTTP."""

import io
import json
import zipfile
from urllib.parse import urlsplit

from tortoise.models import Model

from gql_crm import models
from gql_crm.models import Activity, Client, Company, File, Invoice, InvoiceLine, Role
from gql_crm.services import signing
from gql_crm.services.storage import storage_for
from gql_crm.services.text import fold
from tests.helpers import create_client, pk_of
from tests.profile_helpers import (
    LOG_TIME,
    day,
    deal,
    invoice,
    ok,
    pay,
    project,
    purchase_order,
    quote,
    task,
)
from tests.uploads import PDF, image_bytes, upload

ERRORS = "errors { code field message }"
EXPORT = f"""
mutation($id: ID!) {{ exportClientData(id: $id) {{ url fileName expiresAt {ERRORS} }} }}"""
ERASE = f"""
mutation($id: ID!, $confirm: String!) {{
  eraseClient(id: $id, confirm: $confirm) {{
    erasedClientId erasedAt erasedClients keptRecords {ERRORS}
  }}
}}"""
MERGE = f"""
mutation($input: MergeClientsInput!) {{ mergeClients(input: $input) {{ client {{ id }} {ERRORS} }} }}"""
ATTACH = """
mutation($clientId: ID!, $file: Upload!) {
  attachClientFile(clientId: $clientId, file: $file) { file { id sha256 } errors { code } }
}"""
SET_PHOTO = """
mutation($clientId: ID!, $file: Upload!) {
  setClientPhoto(clientId: $clientId, file: $file) { client { id } errors { code } }
}"""
INVOICE_NODE = """
query($id: ID!) { node(id: $id) { ... on Invoice { number total { amount } client { id } } } }"""

# The session's database is shared by every test: the erasure test's person is its own.
NAME = "Zoraida Quintanilla-Ybarra"
EMAIL = "zoraida.quintanilla@example.com"
MOBILE = "+34655443322"
OLD_EMAIL = "zq.old@example.com"
ERASED_NAME = "Yolanda Peñarrubia-Xirau"
ERASED_EMAIL = "yolanda.penarrubia@example.com"
ERASED_MOBILE = "+34655443311"
ERASED_OLD_EMAIL = "yp.old@example.com"


async def attach(org, client_id: str, name: str, data: bytes) -> dict:
    body = await upload(org, ATTACH, {"clientId": client_id}, {"file": (name, data, "x/y")})
    assert body["data"]["attachClientFile"]["errors"] == [], body
    return body["data"]["attachClientFile"]["file"]


async def person(
    org,
    name=NAME,
    email=EMAIL,
    mobile=MOBILE,
    old_email=OLD_EMAIL,
    company="Quintanilla",
    color=(200, 30, 30),
) -> dict:
    """A client with records of every kind, a file, a photo and a client merged into it."""
    client = await create_client(
        org,
        name=name,
        email=email,
        mobile=mobile,
        company={"name": f"{company} Consulting", "taxId": "B-12345674"},
    )
    client_id = client["id"]
    created = await project(org, client_id, name=f"Reforma {name}")
    await task(org, created["id"], title=f"Llamar a {name}")
    await ok(
        org,
        LOG_TIME,
        {"input": {"projectId": created["id"], "date": day(0), "hours": "1", "note": email}},
        "logTime",
        "timeLog",
    )
    billed = await invoice(org, client_id, authorize=True)
    await pay(org, billed["id"], "50")
    await purchase_order(
        org,
        client_id,
        total=None,
        lines=[{"description": "Parts", "quantity": "2", "unitPrice": "50"}],
    )
    await quote(org, client_id, dealId=(await deal(org, client_id, title=name))["id"])
    await attach(org, client_id, f"DNI {name}.pdf", PDF + email.encode())
    body = await upload(
        org, SET_PHOTO, {"clientId": client_id}, {"file": ("me.png", image_bytes(color=color), "x")}
    )
    assert body["data"]["setClientPhoto"]["errors"] == []
    old = await create_client(org, name=f"{name} (old)", email=old_email)
    merged = await org.data(
        MERGE, {"input": {"keepId": client_id, "mergeIds": [old["id"]]}}, role=Role.MANAGER
    )
    assert merged["mergeClients"]["errors"] == []
    return {"id": client_id, "invoice": billed, "old": old["id"]}


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


async def test_export_client_data_as_a_zip(org, make_org, http, settings):
    subject = await person(org)
    exported = (await org.data(EXPORT, {"id": subject["id"]}, role=Role.MANAGER))[
        "exportClientData"
    ]
    assert exported["errors"] == [] and exported["fileName"].endswith(".zip")

    response = await http.get(path_of(exported["url"]))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["cache-control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    data = json.loads(archive.read("client.json"))
    assert (data["client"]["name"], data["client"]["email"]) == (NAME, EMAIL)
    assert [c["email"] for c in data["mergedClients"]] == [OLD_EMAIL]
    assert data["company"]["tax_id"] == "B12345674"
    records = data["records"]
    counts = {name: len(rows) for name, rows in records.items() if name != "Activity"}
    assert counts == {
        "Deal": 1,
        "File": 2 + 1,  # the attachment, the photo and its thumbnail
        "Invoice": 1,
        "InvoiceLine": 1,
        "InvoicePayment": 1,
        "Project": 1,
        "PurchaseOrder": 1,
        "PurchaseOrderLine": 1,
        "Quote": 1,
        "QuoteLine": 1,
        "Task": 1,
        "TimeLog": 1,
    }
    assert records["Invoice"][0]["number"] == subject["invoice"]["number"]
    assert records["InvoicePayment"][0]["amount"] == "50.00"
    verbs = {entry["verb"] for entry in records["Activity"]}
    assert {"created", "file_attached", "photo_set", "merged", "payment_recorded"} <= verbs
    attachment = next(row for row in records["File"] if row["purpose"] == "ATTACHMENT")
    assert archive.read(attachment["path"]) == PDF + EMAIL.encode()
    photos = [row["path"] for row in records["File"] if row["purpose"] != "ATTACHMENT"]
    assert all(archive.read(path)[:4] == b"\x89PNG" for path in photos)

    # Only MANAGER and above; another organization's ID is one of nothing.
    body = await org.gql(EXPORT, {"id": subject["id"]}, role=Role.MEMBER)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    other = await make_org()
    refused = (await other.data(EXPORT, {"id": subject["id"]}))["exportClientData"]
    assert refused["url"] is None
    assert refused["errors"] == [{"code": "NOT_FOUND", "field": ["id"], "message": "Not found."}]
    invoice_id = subject["invoice"]["id"]
    refused = (await org.data(EXPORT, {"id": invoice_id}))["exportClientData"]
    assert refused["errors"][0]["code"] == "NOT_FOUND"

    # The link is signed: tampered, expired or of another purpose, it opens nothing.
    token = urlsplit(exported["url"]).path.rsplit("/", 1)[1]
    assert (await http.get(f"/client-data/{token}x")).status_code == 404
    payload = {"c": pk_of(subject["id"]), "t": "2026-01-01T00:00:00+00:00"}
    expired = signing.sign(settings, "client-data", org.id, payload, -1)
    assert (await http.get(f"/client-data/{expired}")).status_code == 404
    as_export = signing.sign(settings, "export", org.id, payload, 60)
    assert (await http.get(f"/client-data/{as_export}")).status_code == 404
    for_other = signing.sign(settings, "client-data", other.id, payload, 60)
    assert (await http.get(f"/client-data/{for_other}")).status_code == 404
    assert (await http.get(path_of(exported["url"]))).status_code == 200


async def stored_text() -> str:
    """Every row of every table, as text: what a search of the database would find."""
    dump = []
    for name in models.__all__:
        model = getattr(models, name)
        if isinstance(model, type) and issubclass(model, Model):
            dump += [
                json.dumps(row, default=str, ensure_ascii=False)
                for row in await model.all().values()
            ]
    return "\n".join(dump).casefold()


async def test_erase_client(org, make_org, http, settings):
    subject = await person(
        org, ERASED_NAME, ERASED_EMAIL, ERASED_MOBILE, ERASED_OLD_EMAIL, "Peñarrubia", (10, 90, 210)
    )
    # A file with the same bytes attached to someone else keeps its blob.
    someone = await create_client(org, name="Someone else")
    shared = await attach(org, someone["id"], "copy.pdf", PDF + ERASED_EMAIL.encode())
    keys = await File.filter(client_id=pk_of(subject["id"])).values_list("storage_key", flat=True)
    own_keys = set(keys) - {shared["sha256"]}
    assert own_keys and shared["sha256"] in keys
    company_id = (await Client.get(id=pk_of(subject["id"]))).company_id
    exported = (await org.data(EXPORT, {"id": subject["id"]}))["exportClientData"]
    before = await stored_text()
    assert fold(ERASED_NAME) in before and ERASED_EMAIL in before

    # Refused: the wrong confirmation, a MANAGER, another organization, an ID of nothing.
    for confirm in ("", ERASED_NAME.upper(), "Someone else"):
        refused = (await org.data(ERASE, {"id": subject["id"], "confirm": confirm}))["eraseClient"]
        assert refused["erasedClientId"] is None
        assert [(e["code"], e["field"]) for e in refused["errors"]] == [
            ("CONFIRMATION_MISMATCH", ["confirm"])
        ]
    body = await org.gql(ERASE, {"id": subject["id"], "confirm": ERASED_NAME}, role=Role.MANAGER)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    other = await make_org()
    refused = (await other.data(ERASE, {"id": subject["id"], "confirm": ERASED_NAME}))[
        "eraseClient"
    ]
    assert [e["code"] for e in refused["errors"]] == ["NOT_FOUND"]
    assert await Client.filter(id=pk_of(subject["id"])).exists()

    erased = (await org.data(ERASE, {"id": subject["id"], "confirm": f" {ERASED_NAME} "}))[
        "eraseClient"
    ]
    assert erased["errors"] == []
    assert erased["erasedClientId"] == subject["id"]
    assert (erased["erasedClients"], erased["keptRecords"]) == (2, 2)

    # No stored row holds the name, the emails or the phone any more.
    after = await stored_text()
    for needle in (
        ERASED_NAME,
        ERASED_EMAIL,
        ERASED_OLD_EMAIL,
        ERASED_MOBILE,
        ERASED_MOBILE.removeprefix("+34"),
        "Peñarrubia",
        fold(ERASED_NAME),
    ):
        assert needle.casefold() not in after, needle
    assert not await Client.filter(id__in=[pk_of(subject["id"]), pk_of(subject["old"])]).exists()
    assert not await Company.filter(id=company_id).exists()
    # The blobs only this client used are gone; the shared one stays for its other file.
    store = storage_for(settings)
    assert not any(store.path(key).exists() for key in own_keys)
    assert store.path(shared["sha256"]).exists()
    # The invoice stays, detached, with its number, amounts, lines and payment.
    kept = await Invoice.get(id=pk_of(subject["invoice"]["id"]))
    assert kept.client_id is None and str(kept.amount_paid) == "50.00"
    assert await InvoiceLine.filter(invoice_id=kept.id).count() == 1
    node = (await org.data(INVOICE_NODE, {"id": subject["invoice"]["id"]}))["node"]
    assert node == {
        "number": subject["invoice"]["number"],
        "total": {"amount": "100.00"},
        "client": None,
    }
    # The history stays, detached and without values; the erasure is recorded, by whom.
    entry = await Activity.get(verb="erased", target_id=pk_of(subject["id"]))
    admin = await models.User.get(id=entry.actor_id)
    assert (entry.client_id, entry.changes, admin.role) == (None, {}, "ADMIN")
    history = await Activity.filter(target_type="Invoice", target_id=kept.id)
    assert history and all(row.client_id is None for row in history)
    assert all(
        value in (None, "[erased]")
        for row in history
        for change in row.changes.values()
        for value in change.values()
    )
    # Gone for good: the ID names nothing, the export link opens nothing.
    again = (await org.data(ERASE, {"id": subject["id"], "confirm": ERASED_NAME}))["eraseClient"]
    assert [e["code"] for e in again["errors"]] == ["NOT_FOUND"]
    assert (await org.data("query($id: ID!) { client(id: $id) { id } }", {"id": subject["id"]}))[
        "client"
    ] is None
    assert (await http.get(path_of(exported["url"]))).status_code == 404
