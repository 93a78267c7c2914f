"""Duplicate clients and merging them, through HTTP."""

import asyncio

from gql_crm.models import Activity, Client, File, Invoice, Project, Role, Task, TimeLog
from tests.helpers import ARCHIVE_CLIENT, UPDATE_CLIENT, create_client, pk_of
from tests.profile_helpers import (
    LOG_TIME,
    day,
    deal,
    invoice,
    ok,
    project,
    purchase_order,
    quote,
    task,
)
from tests.uploads import PDF, image_bytes, upload

ERRORS = "errors { code field message }"

DUPLICATES = """
query($first: Int, $after: String) {
  clientDuplicates(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { reasons client { id name } other { id name } } }
  }
}"""

MERGE = f"""
mutation($input: MergeClientsInput!) {{
  mergeClients(input: $input) {{
    client {{ id name email mobile country language status
              company {{ name }} category {{ name }} photo {{ width }} }}
    {ERRORS}
  }}
}}"""

PROFILE = """
query($id: ID!) {
  client(id: $id) {
    status
    projects { totalCount } tasks { totalCount } invoices { totalCount }
    purchaseOrders { totalCount } deals { totalCount } quotes { totalCount }
    files { totalCount }
    activity(first: 50) { edges { node { verb changes { field old new } } } }
  }
}"""

ATTACH = """
mutation($clientId: ID!, $file: Upload!) {
  attachClientFile(clientId: $clientId, file: $file) { file { id } errors { code } }
}"""
SET_PHOTO = """
mutation($clientId: ID!, $file: Upload!) {
  setClientPhoto(clientId: $clientId, file: $file) { client { id } errors { code } }
}"""


async def duplicate_pairs(org, **variables) -> list[tuple[str, str, list[str]]]:
    data = await org.data(DUPLICATES, variables)
    return [
        (
            edge["node"]["client"]["name"],
            edge["node"]["other"]["name"],
            sorted(edge["node"]["reasons"]),
        )
        for edge in data["clientDuplicates"]["edges"]
    ]


async def merge(org, keep: str, merge_ids: list[str], role=Role.MANAGER, **extra) -> dict:
    data = await org.data(
        MERGE, {"input": {"keepId": keep, "mergeIds": merge_ids, **extra}}, role=role
    )
    return data["mergeClients"]


def codes(payload: dict) -> set[tuple[str, tuple]]:
    return {(e["code"], tuple(e["field"] or ())) for e in payload["errors"]}


async def test_duplicate_pairs_and_their_reasons(org, make_org):
    company = {"name": "Talleres García", "taxId": "B-12345674", "address": {"country": "ES"}}
    ana = await create_client(org, name="Ana Pérez", email="ana@example.com", mobile="612345678")
    await create_client(org, name="Ana Perez B", mobile="+34 612 345 678")
    maria = await create_client(org, name="María García", company=company)
    await create_client(org, name="MARIA GARCIA", company=company)
    # The same company as an EU VAT number: another row, the same tax ID.
    await create_client(
        org, name="Jefe", company={"name": "Talleres García SL", "taxId": "ESB12345674"}
    )
    await create_client(org, name="Nadie", email="nadie@example.com", mobile="699999999")
    # An archived client and a new one with its email (the active key left with the archive).
    archived = await create_client(org, name="Old Ana", email="old@example.com")
    assert (await org.data(ARCHIVE_CLIENT, {"id": archived["id"]}))["archiveClient"]["client"]
    await create_client(org, name="New Ana", email="OLD@example.com")
    # Another organization's identical clients pair only there.
    other = await make_org()
    await create_client(other, name="Ana Pérez", email="ana@example.com", mobile="612345678")

    pairs = await duplicate_pairs(org)
    assert pairs == [
        ("New Ana", "Old Ana", ["EMAIL"]),
        ("Jefe", "MARIA GARCIA", ["TAX_ID"]),
        ("Jefe", "María García", ["TAX_ID"]),
        ("MARIA GARCIA", "María García", ["NAME_AND_COMPANY", "TAX_ID"]),
        ("Ana Perez B", "Ana Pérez", ["PHONE"]),
    ]
    assert await duplicate_pairs(other) == []

    # Pages: newest pairs first, continued by cursor, with the total.
    first = (await org.data(DUPLICATES, {"first": 2}))["clientDuplicates"]
    assert first["totalCount"] == 5 and first["pageInfo"]["hasNextPage"]
    rest = await duplicate_pairs(org, first=10, after=first["pageInfo"]["endCursor"])
    assert rest == pairs[2:]
    assert ana and maria


async def test_bad_page_arguments(org):
    body = await org.gql(DUPLICATES, {"first": -1})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    body = await org.gql(DUPLICATES, {"after": "nonsense"})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def attach_file(org, client_id: str, name: str, data: bytes) -> None:
    body = await upload(org, ATTACH, {"clientId": client_id}, {"file": (name, data, "x/y")})
    assert body["data"]["attachClientFile"]["errors"] == [], body


async def set_photo(org, client_id: str, size: tuple[int, int]) -> None:
    body = await upload(
        org, SET_PHOTO, {"clientId": client_id}, {"file": ("p.png", image_bytes(size=size), "x")}
    )
    assert body["data"]["setClientPhoto"]["errors"] == [], body


async def full_client(org, name: str, **fields) -> str:
    """A client with one record of every kind, a file and a photo; its global ID."""
    client_id = (await create_client(org, name=name, **fields))["id"]
    created = await project(org, client_id)
    await task(org, created["id"])
    await ok(
        org,
        LOG_TIME,
        {"input": {"projectId": created["id"], "date": day(0), "hours": "2"}},
        "logTime",
        "timeLog",
    )
    await invoice(org, client_id)
    await purchase_order(org, client_id)
    await quote(org, client_id, dealId=(await deal(org, client_id))["id"])
    await attach_file(org, client_id, f"{name}.pdf", PDF + name.encode())
    return client_id


RECORD_MODELS = (Project, Task, TimeLog, Invoice)


async def test_merge_moves_every_record_and_fills_the_fields(org, make_org, settings):
    category = (
        await org.data(
            'mutation { createClientCategory(input: {name: "VIP"}) { clientCategory { id } } }'
        )
    )["createClientCategory"]["clientCategory"]["id"]
    keep = (await create_client(org, name="Ana", mobile="612345678"))["id"]
    await set_photo(org, keep, (10, 10))
    first = await full_client(
        org,
        "Ana P.",
        email="ana@example.com",
        country="ES",
        categoryId=category,
        company={"name": "Talleres"},
    )
    await set_photo(org, first, (20, 20))
    second = await full_client(org, "Ana Old", email="old@example.com", language="en")
    assert (await org.data(ARCHIVE_CLIENT, {"id": second}))["archiveClient"]["errors"] == []
    kept_activity = await Activity.filter(client_id__in=[pk_of(first), pk_of(second)]).count()

    merged = await merge(
        org,
        keep,
        [first, second],
        fieldChoices=[{"field": "NAME", "clientId": first}, {"field": "PHOTO", "clientId": first}],
    )
    assert merged["errors"] == []
    assert merged["client"] == {
        "id": keep,
        "name": "Ana P.",
        "email": "ana@example.com",
        "mobile": "+34612345678",
        "country": "ES",
        "language": "en",
        "status": "ACTIVE",
        "company": {"name": "Talleres"},
        "category": {"name": "VIP"},
        "photo": {"width": 20},
    }
    keep_pk = pk_of(keep)
    for model in (*RECORD_MODELS,):
        rows = await model.filter(organization_id=org.id).values_list("client_id", flat=True)
        assert set(rows) == {keep_pk}, model
    profile = (await org.data(PROFILE, {"id": keep}))["client"]
    assert {
        name: profile[name]["totalCount"] for name in profile if name not in ("status", "activity")
    } == {
        "projects": 2,
        "tasks": 2,
        "invoices": 2,
        "purchaseOrders": 2,
        "deals": 2,
        "quotes": 2,
        "files": 2,
    }
    entries = [edge["node"] for edge in profile["activity"]["edges"]]
    assert entries[0]["verb"] == "MERGED"
    changes = {change["field"]: change for change in entries[0]["changes"]}
    assert changes["mergedClients"]["new"] == [first, second]
    assert changes["name"] == {"field": "name", "old": "Ana", "new": "Ana P."}
    assert changes["email"]["new"] == "ana@example.com"
    # Their history came along, and each merged client says where it went.
    assert await Activity.filter(client_id=keep_pk).count() >= kept_activity + 1
    for merged_id in (first, second):
        row = await Client.get(id=pk_of(merged_id))
        assert (row.status, row.merged_into_id, row.active_email_key) == ("ARCHIVED", keep_pk, None)
        history = (await org.data(PROFILE, {"id": merged_id}))["client"]["activity"]["edges"]
        assert [edge["node"]["verb"] for edge in history] == ["MERGED_INTO"]
    # One photo is left, the chosen one; the kept client's own is retired.
    live = await File.filter(
        client_id=keep_pk, purpose="PHOTO", deleted_at__isnull=True
    ).values_list("width", flat=True)
    assert live == [20]
    # Merged clients are no duplicates any more, and cannot be merged again.
    assert await duplicate_pairs(org) == []
    again = await merge(org, keep, [first])
    assert codes(again) == {("INVALID_STATE", ("mergeIds", "0"))}
    # Another organization sees nothing of it.
    other = await make_org()
    assert codes(await merge(other, keep, [first])) == {
        ("NOT_FOUND", ("keepId",)),
        ("NOT_FOUND", ("mergeIds", "0")),
    }


async def test_merge_and_delete(org):
    keep = (await create_client(org, name="Ana"))["id"]
    gone = await full_client(org, "Ana 2", email="ana2@example.com")
    merged = await merge(org, keep, [gone], mergedClients="DELETE")
    assert merged["errors"] == [] and merged["client"]["email"] == "ana2@example.com"
    assert not await Client.filter(id=pk_of(gone)).exists()
    assert (await org.data(PROFILE, {"id": keep}))["client"]["invoices"]["totalCount"] == 1
    assert await Client.get(id=pk_of(keep)).values_list("active_email_key", flat=True) == (
        "ana2@example.com"
    )


async def test_bad_merges_change_nothing(org, make_org):
    keep = (await create_client(org, name="Ana"))["id"]
    other_id = await full_client(org, "Ana 2")
    outsider = (await create_client(await make_org(), name="Ana"))["id"]
    archived = (await create_client(org, name="Archived"))["id"]
    await org.data(ARCHIVE_CLIENT, {"id": archived})
    project_id = (await project(org, other_id))["id"]

    cases = [
        ({"keepId": keep, "mergeIds": []}, {("REQUIRED", ("mergeIds",))}),
        ({"keepId": keep, "mergeIds": [keep]}, {("SAME_CLIENT", ("mergeIds", "0"))}),
        ({"keepId": keep, "mergeIds": [outsider]}, {("NOT_FOUND", ("mergeIds", "0"))}),
        ({"keepId": outsider, "mergeIds": [other_id]}, {("NOT_FOUND", ("keepId",))}),
        ({"keepId": keep, "mergeIds": [project_id]}, {("NOT_FOUND", ("mergeIds", "0"))}),
        ({"keepId": archived, "mergeIds": [other_id]}, {("INVALID_STATE", ("keepId",))}),
        (
            {"keepId": keep, "mergeIds": [other_id, other_id]},
            {("DUPLICATE", ("mergeIds", "1"))},
        ),
        (
            {
                "keepId": keep,
                "mergeIds": [other_id],
                "fieldChoices": [{"field": "NAME", "clientId": archived}],
            },
            {("INVALID", ("fieldChoices", "0", "clientId"))},
        ),
        (
            {
                "keepId": keep,
                "mergeIds": [other_id],
                "fieldChoices": [
                    {"field": "NAME", "clientId": keep},
                    {"field": "NAME", "clientId": other_id},
                ],
            },
            {("DUPLICATE", ("fieldChoices", "1", "field"))},
        ),
    ]
    for variables, expected in cases:
        payload = (await org.data(MERGE, {"input": variables}, role=Role.MANAGER))["mergeClients"]
        assert payload["client"] is None and codes(payload) == expected, variables
    assert (await Client.get(id=pk_of(other_id))).status == "ACTIVE"
    assert await Project.filter(client_id=pk_of(other_id)).count() == 2

    body = await org.gql(
        MERGE, {"input": {"keepId": keep, "mergeIds": [other_id]}}, role=Role.MEMBER
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await Client.get(id=pk_of(other_id))).status == "ACTIVE"


async def test_a_chosen_email_another_active_client_holds_is_refused(org):
    keep = (await create_client(org, name="Ana"))["id"]
    old = (await create_client(org, name="Ana old", email="ana@example.com"))["id"]
    await org.data(ARCHIVE_CLIENT, {"id": old})
    await create_client(org, name="Someone", email="ANA@example.com")
    chosen = [{"field": "EMAIL", "clientId": old}]
    assert codes(await merge(org, keep, [old], fieldChoices=chosen)) == {
        ("DUPLICATE", ("fieldChoices", "0", "clientId"))
    }
    # Filling it instead skips the taken email.
    merged = await merge(org, keep, [old])
    assert merged["errors"] == [] and merged["client"]["email"] is None


async def test_concurrent_merges_sharing_a_client(org):
    for _ in range(3):
        first = (await create_client(org, name="A"))["id"]
        second = (await create_client(org, name="B"))["id"]
        shared = await full_client(org, "Shared")
        payloads = await asyncio.gather(merge(org, first, [shared]), merge(org, second, [shared]))
        winners = [p for p in payloads if not p["errors"]]
        assert len(winners) == 1
        loser = next(p for p in payloads if p["errors"])
        assert codes(loser) == {("INVALID_STATE", ("mergeIds", "0"))}
        owner = pk_of(winners[0]["client"]["id"])
        assert set(
            await Invoice.filter(
                client_id__in=[pk_of(first), pk_of(second), pk_of(shared)]
            ).values_list("client_id", flat=True)
        ) == {owner}


async def test_concurrent_merges_in_both_directions(org):
    for _ in range(3):
        first = await full_client(org, "A")
        second = await full_client(org, "B")
        payloads = await asyncio.gather(merge(org, first, [second]), merge(org, second, [first]))
        assert sorted(bool(p["errors"]) for p in payloads) == [False, True]
        owner = pk_of(next(p for p in payloads if not p["errors"])["client"]["id"])
        rows = await Project.filter(client_id__in=[pk_of(first), pk_of(second)]).values_list(
            "client_id", flat=True
        )
        assert set(rows) == {owner} and len(rows) == 2


async def test_an_edit_during_a_merge_is_kept(org):
    for _ in range(3):
        keep = (await create_client(org, name="A"))["id"]
        gone = await full_client(org, "B", email=f"b{pk_of(keep)}@example.com")
        edit = org.data(
            UPDATE_CLIENT, {"id": keep, "input": {"mobile": "612345678"}}, role=Role.MEMBER
        )
        merged, edited = await asyncio.gather(merge(org, keep, [gone]), edit)
        assert merged["errors"] == [] and edited["updateClient"]["errors"] == []
        row = await Client.get(id=pk_of(keep))
        assert (row.mobile, row.email) == ("+34612345678", f"b{pk_of(keep)}@example.com")
        assert "612345678" in row.search_text and "b" in row.search_text
