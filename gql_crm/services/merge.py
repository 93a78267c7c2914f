"""Merging duplicate clients into one: every record moves to the kept client in one
transaction, its empty fields are filled (or chosen fields overridden) from the merged
clients, and the merged clients are archived (marked merged) or deleted."""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tortoise.timezone import now

from gql_crm.config import Settings
from gql_crm.models import Client, ClientStatus, Company, File, Role
from gql_crm.services import activity
from gql_crm.services.activity import Verb
from gql_crm.services.auth import Actor
from gql_crm.services.clients import save_client
from gql_crm.services.errors import ErrorCode, InputError, UserErrors
from gql_crm.services.exports import client_global_id
from gql_crm.services.files.photos import photos_by_client
from gql_crm.services.files.uploads import release_blobs
from gql_crm.services.keys import email_key
from gql_crm.services.records import client_record_models, snapshot, write_transaction


class MergeField(StrEnum):
    """The client's values a merge can take from one of the merged clients."""

    NAME = "name"
    EMAIL = "email"
    MOBILE = "mobile"
    COUNTRY = "country"
    GENDER = "gender"
    LANGUAGE = "language"
    CATEGORY = "category_id"
    COMPANY = "company_id"
    PHOTO = "photo"


COLUMNS = tuple(field.value for field in MergeField if field is not MergeField.PHOTO)


class MergedClients(StrEnum):
    """What becomes of the merged clients once their records moved."""

    ARCHIVE = "ARCHIVE"
    DELETE = "DELETE"


@dataclass(frozen=True)
class MergeRequest:
    keep_id: int
    # 0 stands for an ID that names no client (of another type, say): reported NOT_FOUND.
    merge_ids: Sequence[int]
    # Field -> the client (the kept one or a merged one) whose value the kept client takes.
    choices: Sequence[tuple[MergeField, int]] = ()
    merged: MergedClients = MergedClients.ARCHIVE


def _check_request(request: MergeRequest) -> None:
    """The request's own consistency, before any row is read."""
    errors = []
    if not request.merge_ids:
        errors.append(InputError(ErrorCode.REQUIRED, ("merge_ids",)))
    seen: set[int] = set()
    for i, merge_id in enumerate(request.merge_ids):
        if merge_id and merge_id == request.keep_id:
            errors.append(InputError(ErrorCode.SAME_CLIENT, ("merge_ids", str(i))))
        elif merge_id and merge_id in seen:
            errors.append(InputError(ErrorCode.DUPLICATE, ("merge_ids", str(i))))
        seen.add(merge_id)
    chosen: set[MergeField] = set()
    allowed = {request.keep_id, *request.merge_ids} - {0}
    for i, (field, client_id) in enumerate(request.choices):
        if field in chosen:
            errors.append(InputError(ErrorCode.DUPLICATE, ("field_choices", str(i), "field")))
        chosen.add(field)
        if client_id not in allowed:
            # Only the clients of this merge can give a value.
            errors.append(InputError(ErrorCode.INVALID, ("field_choices", str(i), "client_id")))
    if errors:
        raise UserErrors(errors)


async def _lock_clients(actor: Actor, request: MergeRequest) -> tuple[Client, list[Client]]:
    """The kept and merged clients, locked in id order (two merges sharing a client wait for
    each other, never deadlock), checked against their current state."""
    ids = sorted({request.keep_id, *request.merge_ids} - {0})
    # FOR UPDATE, not FOR NO KEY UPDATE: a record inserted for a merged client meanwhile
    # (which takes a key-share lock) waits for the merge rather than being left behind.
    rows = (
        await Client.filter(organization_id=actor.org_id, id__in=ids)
        .order_by("id")
        .select_for_update()
    )
    found = {row.id: row for row in rows}
    errors = []
    keep = found.get(request.keep_id)
    if keep is None:
        errors.append(InputError(ErrorCode.NOT_FOUND, ("keep_id",)))
    elif keep.status != ClientStatus.ACTIVE:
        errors.append(InputError(ErrorCode.INVALID_STATE, ("keep_id",), {"state": keep.status}))
    merged = []
    for i, merge_id in enumerate(request.merge_ids):
        row = found.get(merge_id)
        if row is None:
            errors.append(InputError(ErrorCode.NOT_FOUND, ("merge_ids", str(i))))
        elif row.merged_into_id is not None and row.status == ClientStatus.ARCHIVED:
            errors.append(
                InputError(ErrorCode.INVALID_STATE, ("merge_ids", str(i)), {"state": "MERGED"})
            )
        else:
            merged.append(row)
    if errors:
        raise UserErrors(errors)
    assert keep is not None
    return keep, merged


def _values(
    request: MergeRequest, keep: Client, merged: list[Client]
) -> dict[str, tuple[Any, int | None]]:
    """Each column's new value for the kept client with the client it comes from (None:
    stays the kept client's): the chosen client's value, else the kept client's, else the
    first merged client's that has one. Emails come as candidates, checked later."""
    by_id = {client.id: client for client in (keep, *merged)}
    chosen = dict(request.choices)
    values: dict[str, tuple[Any, int | None]] = {}
    for column in COLUMNS:
        source = chosen.get(MergeField(column))
        if source is not None:
            values[column] = (getattr(by_id[source], column), source)
        elif getattr(keep, column) is None:
            donor = next((c for c in merged if getattr(c, column) is not None), None)
            if donor is not None:
                values[column] = (getattr(donor, column), donor.id)
    return values


async def _email_free(org_id: int, keep_id: int, email: str | None) -> bool:
    if email is None:
        return True
    return not await (
        Client.filter(organization_id=org_id, active_email_key=email_key(email))
        .exclude(id=keep_id)
        .exists()
    )


async def _pick_email(
    actor: Actor, request: MergeRequest, keep: Client, merged: list[Client], values: dict
) -> None:
    """Settles `values["email"]`: the merged clients' active emails are free by now; an
    email another active client holds is refused when chosen and skipped when filling."""
    chosen = dict(request.choices).get(MergeField.EMAIL)
    if chosen is not None:
        if not await _email_free(actor.org_id, keep.id, values["email"][0]):
            index = [field for field, _ in request.choices].index(MergeField.EMAIL)
            raise UserErrors.single(ErrorCode.DUPLICATE, "field_choices", str(index), "client_id")
        return
    if "email" not in values:
        return
    for donor in merged:
        if donor.email is not None and await _email_free(actor.org_id, keep.id, donor.email):
            values["email"] = (donor.email, donor.id)
            return
    del values["email"]


async def _settle_photos(
    actor: Actor, request: MergeRequest, keep: Client, merged: list[Client]
) -> list[str]:
    """Leaves one photo among the clients (the chosen one's, else the kept client's, else
    the first merged client's that has one) and retires the others; their storage keys."""
    ids = [keep.id, *(client.id for client in merged)]
    photos = await photos_by_client(actor.org_id, ids)
    owner = dict(request.choices).get(MergeField.PHOTO)
    if owner is None:
        owner = next((client_id for client_id in ids if client_id in photos), None)
    retired = [
        row
        for client_id, photo in photos.items()
        if client_id != owner
        for row in (photo.original, photo.thumbnail)
        if row is not None
    ]
    if retired:
        await File.filter(id__in=[row.id for row in retired]).update(deleted_at=now())
    return [row.storage_key for row in retired]


async def merge_clients(actor: Actor, settings: Settings, request: MergeRequest) -> Client:
    """Merges `request.merge_ids` into `request.keep_id`; the kept client as it is now."""
    actor.require(Role.MANAGER)
    _check_request(request)
    async with write_transaction():
        keep, merged = await _lock_clients(actor, request)
        merged_ids = [client.id for client in merged]
        values = _values(request, keep, merged)
        # The merged clients let go of their emails first: the kept one may take one.
        await Client.filter(id__in=merged_ids).update(active_email_key=None)
        await _pick_email(actor, request, keep, merged, values)
        retired = await _settle_photos(actor, request, keep, merged)
        for model in client_record_models():
            await model.filter(organization_id=actor.org_id, client_id__in=merged_ids).update(
                client_id=keep.id
            )
        # A client merged earlier into one merged now points at the client that has it all.
        await Client.filter(organization_id=actor.org_id, merged_into_id__in=merged_ids).update(
            merged_into_id=keep.id
        )
        await _settle_merged(actor, keep, merged, request.merged)
        before = snapshot(keep, COLUMNS)
        for column, (value, _) in values.items():
            setattr(keep, column, value)
        company = await Company.get_or_none(id=keep.company_id) if keep.company_id else None
        await save_client(keep, company, list(values))
        changes = activity.diff(before, snapshot(keep, COLUMNS))
        changes["merged_clients"] = {
            "old": None,
            "new": [client_global_id(client_id) for client_id in merged_ids],
        }
        await activity.record_on_client(actor, keep.id, Verb.MERGED, changes)
    await release_blobs(settings, retired)
    return keep


async def _settle_merged(
    actor: Actor, keep: Client, merged: list[Client], outcome: MergedClients
) -> None:
    merged_ids = [client.id for client in merged]
    if outcome is MergedClients.DELETE:
        # Nothing references them any more: their records, files and history moved.
        await Client.filter(id__in=merged_ids).delete()
        return
    await Client.filter(id__in=merged_ids).update(
        status=ClientStatus.ARCHIVED, merged_into_id=keep.id, updated_at=now()
    )
    for client in merged:
        await activity.record_on_client(
            actor,
            client.id,
            Verb.MERGED_INTO,
            activity.diff(
                {"status": client.status, "merged_into": None},
                {"status": ClientStatus.ARCHIVED, "merged_into": client_global_id(keep.id)},
            ),
        )
