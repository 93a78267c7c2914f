"""The schema's conventions through HTTP: one direction default for every orderBy, an order
on the files and activity tabs, history entries in the API's own vocabulary, and messages
entirely in the request's language."""

from gql_crm.services import activity
from gql_crm.services.messages import CATALOG
from tests.helpers import ATTACH, CREATE_CLIENT, LIST_CLIENTS, create_client, names
from tests.profile_helpers import invoice, new_client, pay
from tests.uploads import upload

TABS_ORDERED = """
query($id: ID!, $files: FileOrder, $activity: ActivityOrder) { client(id: $id) {
  files(orderBy: $files) { edges { node { name } } }
  activity(orderBy: $activity) { edges { node { verb targetType } } }
} }"""


async def test_an_order_without_direction_is_descending_for_every_list(org):
    for name in ("Beta", "Alfa", "Gamma"):
        await create_client(org, name=name)
    listed = await org.data(LIST_CLIENTS, {"orderBy": [{"field": "NAME"}]})
    assert names(listed["clients"]) == ["Gamma", "Beta", "Alfa"]
    ascending = await org.data(LIST_CLIENTS, {"orderBy": [{"field": "NAME", "direction": "ASC"}]})
    assert names(ascending["clients"]) == ["Alfa", "Beta", "Gamma"]


async def test_files_and_activity_take_an_order(org):
    client_id = await new_client(org)
    for name in ("b.txt", "c.txt", "a.txt"):
        await upload(
            org, ATTACH, {"clientId": client_id}, {"file": (name, name.encode() * 3, "text/plain")}
        )

    def tab(data: dict, name: str, key: str) -> list:
        return [e["node"][key] for e in data["client"][name]["edges"]]

    default = await org.data(TABS_ORDERED, {"id": client_id})
    assert tab(default, "files", "name") == ["a.txt", "c.txt", "b.txt"]  # newest first
    assert tab(default, "activity", "verb") == ["FILE_ATTACHED"] * 3 + ["CREATED"]

    ordered = await org.data(
        TABS_ORDERED,
        {
            "id": client_id,
            "files": {"field": "NAME", "direction": "ASC"},
            "activity": {"field": "CREATED_AT", "direction": "ASC"},
        },
    )
    assert tab(ordered, "files", "name") == ["a.txt", "b.txt", "c.txt"]
    assert tab(ordered, "activity", "verb") == ["CREATED"] + ["FILE_ATTACHED"] * 3
    assert tab(ordered, "activity", "targetType") == ["CLIENT"] + ["FILE"] * 3


async def test_history_speaks_the_apis_names(org):
    client_id = await new_client(org)
    created = await invoice(org, client_id, authorize=True)
    await pay(org, created["id"], "10")
    data = await org.data(
        """query($id: ID!) { client(id: $id) {
      activity(first: 1) { edges { node { verb targetType changes { field } } } } } }""",
        {"id": client_id},
    )
    entry = data["client"]["activity"]["edges"][0]["node"]
    assert (entry["verb"], entry["targetType"]) == ("PAYMENT_RECORDED", "INVOICE")
    assert {c["field"] for c in entry["changes"]} >= {"amountPaid"}

    client = await create_client(
        org, name="Con empresa", company={"name": "ACME", "taxId": "B12345674"}
    )
    data = await org.data(
        """query($id: ID!) { client(id: $id) {
      activity(first: 1) { edges { node { changes { field } } } } } }""",
        {"id": client["id"]},
    )
    fields = {c["field"] for c in data["client"]["activity"]["edges"][0]["node"]["changes"]}
    assert "company.taxId" in fields and not any("_" in f for f in fields)


def test_every_stored_verb_and_target_is_in_the_enums():
    # The enums are the API's whole vocabulary: a new verb must be added to them.
    assert {v.value for v in activity.Verb} >= {
        "created",
        "updated",
        "archived",
        "restored",
        "authorized",
        "payment_recorded",
        "canceled",
        "closed",
        "moved",
        "sent",
        "accepted",
        "declined",
        "file_attached",
        "file_deleted",
        "photo_set",
        "photo_removed",
        "imported",
        "updated_by_import",
        "company_updated_by_import",
    }


async def test_spanish_messages_hold_no_english_library_text(org):
    cases = ["sin-arroba", "a@@b.es", "@ejemplo.es", "ana@ejemplo", "ana@exa mple.es"]
    for email in cases:
        body = await org.data(
            CREATE_CLIENT,
            {"input": {"name": "Ana", "email": email}},
            headers={"Accept-Language": "es"},
        )
        [error] = body["createClient"]["errors"]
        assert error["code"] == "INVALID_EMAIL" and error["field"] == ["email"]
        message = error["message"]
        assert message.startswith("La dirección de correo no es válida"), message
        for english in ("@-sign", "The ", "must", "domain name", "period"):
            assert english not in message, (email, message)

    body = await upload(
        org,
        ATTACH,
        {"clientId": await new_client(org)},
        {"file": ("x.bin", bytes(range(256)) * 8, "text/plain")},
        headers={"Accept-Language": "es"},
    )
    [error] = body["data"]["attachClientFile"]["errors"]
    assert error["code"] == "UNSUPPORTED_FILE"
    assert error["message"] == "Archivo no admitido: un tipo desconocido."


def test_every_phrase_has_both_languages():
    for key, texts in CATALOG.items():
        assert set(texts) == {"en", "es"}, key
