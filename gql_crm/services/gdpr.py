"""A client's personal data (GDPR): a copy of all of it for the person (right of access and
portability: one ZIP of JSON and files), and its erasure (right to erasure).

What an erasure keeps: invoices (with their lines and payments) and purchase orders, which
commercial and tax law make the organization keep for years. They stay with their numbers,
dates, amounts and lines, detached from the person (`client` null). Everything else of the
person goes: the client row, the clients merged into it, its projects, tasks, time logs,
deals, quotes, files and photo (their bytes once no other file uses them), and its company
unless another client works there. Its activity entries stay, detached, with every value
replaced by a marker (the history tells what was done when, not to what); one more entry
records the erasure: who and when, nothing of the data.
"""

import asyncio
import json
import os
import tempfile
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiofiles
from tortoise.fields.relational import ForeignKeyFieldInstance
from tortoise.models import Model

from gql_crm import models
from gql_crm.config import Settings
from gql_crm.models import (
    Activity,
    Client,
    ClientCategory,
    Company,
    File,
    Invoice,
    Organization,
    PurchaseOrder,
    Role,
)
from gql_crm.services import activity, signing
from gql_crm.services.activity import TargetType, Verb
from gql_crm.services.auth import Actor
from gql_crm.services.errors import ErrorCode, UserErrors
from gql_crm.services.files.uploads import release_blobs
from gql_crm.services.records import client_record_models, require_client, write_transaction
from gql_crm.services.storage import storage_for

SIGNED_PURPOSE = "client-data"
ERASED = "[erased]"
# Records the law makes the organization keep: detached from the person, not deleted.
KEPT_RECORDS: tuple[type[Model], ...] = (Invoice, PurchaseOrder)
# Derived columns (search keys) and the tenancy column say nothing the rest does not.
_INTERNAL_COLUMNS = frozenset(
    {"organization_id", "name_key", "active_email_key", "search_text", "storage_key"}
)


# ---- access: the ZIP -------------------------------------------------------------------


@dataclass(frozen=True)
class SignedClientData:
    token: str
    file_name: str
    expires_at: datetime


def _file_name(organization: Organization, client_id: int, at: datetime) -> str:
    stamp = at.astimezone(ZoneInfo(organization.timezone))
    return f"client-data-{organization.slug}-{client_id}-{stamp:%Y%m%d-%H%M%S}.zip"


async def request_client_data(actor: Actor, settings: Settings, client_id: int) -> SignedClientData:
    """A signed, short-lived link to the client's data; the download builds the ZIP then."""
    actor.require(Role.MANAGER)
    client = await require_client(actor, client_id, "id")
    ttl = settings.download_url_ttl
    now = datetime.now(UTC)
    return SignedClientData(
        token=signing.sign(
            settings, SIGNED_PURPOSE, actor.org_id, {"c": client.id, "t": now.isoformat()}, ttl
        ),
        file_name=_file_name(actor.organization, client.id, now),
        expires_at=now + timedelta(seconds=ttl),
    )


@dataclass(frozen=True)
class ClientDataDownload:
    organization: Organization
    client: Client
    file_name: str


async def redeem(settings: Settings, token: str) -> ClientDataDownload | None:
    """What a valid client-data token names; None for any other token or a client gone."""
    claims = signing.verify(settings, SIGNED_PURPOSE, token)
    if claims is None:
        return None
    org_id, payload = claims
    organization = await Organization.get_or_none(id=org_id)
    client = await Client.get_or_none(organization_id=org_id, id=payload["c"])
    if organization is None or client is None:
        return None
    at = datetime.fromisoformat(payload["t"])
    return ClientDataDownload(organization, client, _file_name(organization, client.id, at))


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {
        key: activity.json_safe(value) for key, value in row.items() if key not in _INTERNAL_COLUMNS
    }


def _child_models(parents: list[type[Model]]) -> list[tuple[type[Model], str, type[Model]]]:
    """(model, foreign key column, parent) for the rows that belong to a client's records
    without a client of their own (an invoice's lines and payments, a quote's lines)."""
    children = []
    for name in models.__all__:
        model = getattr(models, name)
        if not (isinstance(model, type) and issubclass(model, Model)) or model in parents:
            continue
        for field_name, field in model._meta.fields_map.items():
            if isinstance(field, ForeignKeyFieldInstance) and field.related_model in parents:
                children.append((model, f"{field_name}_id", field.related_model))
    return children


async def client_data(client: Client) -> dict[str, Any]:
    """Everything stored about the client, as JSON-safe values keyed by model."""
    org_id = client.organization_id
    people = [client, *await _merged_into(client)]
    ids = [person.id for person in people]
    category = (
        await ClientCategory.get_or_none(id=client.category_id) if client.category_id else None
    )
    record_models = client_record_models()
    records: dict[str, list[dict[str, Any]]] = {}
    found: dict[type[Model], list[int]] = {}
    for model in record_models:
        rows = await model.filter(organization_id=org_id, client_id__in=ids).order_by("id").values()
        found[model] = [row["id"] for row in rows]
        records[model.__name__] = [_plain(row) for row in rows]
    for model, column, parent in _child_models(record_models):
        rows = (
            await model.filter(organization_id=org_id, **{f"{column}__in": found[parent]})
            .order_by("id")
            .values()
        )
        records.setdefault(model.__name__, []).extend(_plain(row) for row in rows)
    for row in records.get(File.__name__, []):
        if row["deleted_at"] is None:
            row["path"] = _zip_path(row)
    clients = {row["id"]: _plain(row) for row in await Client.filter(id__in=ids).values()}
    companies = await Company.filter(id=client.company_id).values() if client.company_id else []
    return {
        "exportedAt": datetime.now(UTC).isoformat(),
        "client": clients[client.id],
        "mergedClients": [clients[person.id] for person in people[1:]],
        "company": _plain(companies[0]) if companies else None,
        "category": category.name if category else None,
        "records": records,
    }


def _zip_path(file_row: dict[str, Any]) -> str:
    return f"files/{file_row['id']}-{file_row['name']}"


async def build_zip(settings: Settings, client: Client) -> str:
    """The client's data as a ZIP in a temporary file (its path): `client.json` and every
    live file under `files/`. The blobs are copied chunk by chunk, so memory stays flat."""
    data = await client_data(client)
    descriptor, path = tempfile.mkstemp(suffix=".zip")
    os.close(descriptor)
    store = storage_for(settings)
    try:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            document = json.dumps(data, ensure_ascii=False, indent=2)
            await asyncio.to_thread(archive.writestr, "client.json", document)
            for row in data["records"].get(File.__name__, []):
                if "path" not in row:
                    continue
                stored = await File.get(id=row["id"])
                # Already compressed, mostly (images, PDF, office files): stored as is.
                info = zipfile.ZipInfo(row["path"], date_time=stored.created_at.timetuple()[:6])
                with archive.open(info, "w") as out:
                    async for chunk in store.open(stored.storage_key):
                        await asyncio.to_thread(out.write, chunk)
    except BaseException:
        os.unlink(path)
        raise
    return path


async def stream_file(path: str) -> AsyncIterator[bytes]:
    """The temporary file's bytes, removing it once sent (or abandoned)."""
    try:
        async with aiofiles.open(path, "rb") as source:
            while chunk := await source.read(64 * 1024):
                yield chunk
    finally:
        os.unlink(path)


# ---- erasure -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Erasure:
    client_id: int
    erased_at: datetime
    erased_clients: int
    kept_records: int


async def _merged_into(client: Client) -> list[Client]:
    """The clients merged into `client`, and into those, and so on: the same person."""
    found: list[Client] = []
    frontier = [client.id]
    while frontier:
        level = await Client.filter(
            organization_id=client.organization_id, merged_into_id__in=frontier
        )
        level = [row for row in level if row.id not in {c.id for c in found}]
        found += level
        frontier = [row.id for row in level]
    return found


def _marked(changes: dict[str, Any]) -> dict[str, Any]:
    return {
        name: {side: None if value.get(side) is None else ERASED for side in ("old", "new")}
        for name, value in changes.items()
    }


async def erase_client(
    actor: Actor, settings: Settings, client_id: int, confirm: str | None
) -> Erasure:
    """Erases the client's personal data for good (see the module's docstring)."""
    actor.require(Role.ADMIN)
    async with write_transaction():
        rows = await Client.filter(organization_id=actor.org_id, id=client_id).select_for_update()
        if not rows:
            raise UserErrors.single(ErrorCode.NOT_FOUND, "id")
        client = rows[0]
        if (confirm or "").strip() != client.name:
            raise UserErrors.single(ErrorCode.CONFIRMATION_MISMATCH, "confirm")
        people = [client, *await _merged_into(client)]
        ids = [person.id for person in people]
        company_ids = {person.company_id for person in people if person.company_id}
        kept = 0
        for model in KEPT_RECORDS:
            kept += await model.filter(organization_id=actor.org_id, client_id__in=ids).update(
                client_id=None
            )
        entries = await Activity.filter(organization_id=actor.org_id, client_id__in=ids)
        for entry in entries:
            entry.client_id = None
            entry.changes = _marked(entry.changes)
        if entries:
            await Activity.bulk_update(entries, fields=["client_id", "changes"])
        blobs = [
            row.storage_key
            for row in await File.filter(organization_id=actor.org_id, client_id__in=ids).only(
                "id", "storage_key"
            )
        ]
        for model in client_record_models():
            if model not in (*KEPT_RECORDS, Activity):
                await model.filter(organization_id=actor.org_id, client_id__in=ids).delete()
        await Client.filter(organization_id=actor.org_id, id__in=ids).delete()
        for company_id in company_ids:
            if not await Client.filter(company_id=company_id).exists():
                await Company.filter(organization_id=actor.org_id, id=company_id).delete()
        entry = await activity.record(
            actor,
            client_id=None,
            verb=Verb.ERASED,
            target_type=TargetType.CLIENT,
            target_id=client.id,
        )
    await release_blobs(settings, blobs)
    return Erasure(client.id, entry.created_at, len(ids), kept)
