"""The profile details of issue 14 through HTTP: deal owners and probabilities, quote dates,
invoice paid dates and days overdue, purchase order lines, task priorities, project hours and
budgets, a client's last activity and the activity filters. Figures are computed by hand."""

import asyncio
from datetime import datetime

from gql_crm.models import Activity, Deal, Quote, Role
from tests.helpers import pk_of
from tests.profile_helpers import (
    ERRORS,
    day,
    deal,
    errors_of,
    new_client,
    ok,
    quote,
    quote_action,
)

USERS = "{ users { id email role } }"

DEAL_FIELDS = """id title value { amount currency } probability
  weightedValue { amount currency } owner { email }"""

CREATE_DEAL = f"""
mutation($input: CreateDealInput!) {{
  createDeal(input: $input) {{ deal {{ {DEAL_FIELDS} }} {ERRORS} }}
}}"""

UPDATE_DEAL = f"""
mutation($id: ID!, $input: UpdateDealInput!) {{
  updateDeal(id: $id, input: $input) {{ deal {{ {DEAL_FIELDS} }} {ERRORS} }}
}}"""

DEALS_CARD = """
query($id: ID!) { client(id: $id) { summary { deals {
  open { count amounts { amount currency } }
  weightedOpen { amount currency }
} } } }"""

QUOTE_DATES = """
query($id: ID!) { node(id: $id) { ... on Quote { status sentAt acceptedAt declinedAt } } }"""


def codes(errors: list[dict]) -> set[tuple[str, tuple]]:
    return {(e["code"], tuple(e["field"] or ())) for e in errors}


async def user_id(org, role: Role = Role.MEMBER) -> str:
    users = (await org.data(USERS))["users"]
    return next(u["id"] for u in users if u["role"] == role.value)


async def test_deal_owner_probability_and_weighted_value(org, make_org):
    client_id = await new_client(org)
    owner = await user_id(org)
    created = await ok(
        org,
        CREATE_DEAL,
        {
            "input": {
                "clientId": client_id,
                "title": "Web",
                "value": "1234.55",
                "probability": 35,
                "ownerId": owner,
            }
        },
        "createDeal",
        "deal",
    )
    # 1234.55 x 35 / 100 = 432.0925 -> 432.09
    assert created["probability"] == 35
    assert created["weightedValue"] == {"amount": "432.09", "currency": "EUR"}
    assert created["owner"]["email"].startswith("member@")

    updated = await ok(
        org,
        UPDATE_DEAL,
        {"id": created["id"], "input": {"value": "1000.10", "probability": 5}},
        "updateDeal",
        "deal",
    )
    # 1000.10 x 5 / 100 = 50.005 -> 50.01 (half-up)
    assert updated["weightedValue"]["amount"] == "50.01"
    assert updated["title"] == "Web" and updated["owner"] is not None
    cleared = await ok(
        org,
        UPDATE_DEAL,
        {"id": created["id"], "input": {"probability": None, "ownerId": None}},
        "updateDeal",
        "deal",
    )
    assert (cleared["probability"], cleared["weightedValue"], cleared["owner"]) == (
        None,
        None,
        None,
    )
    stored = await Deal.get(id=pk_of(created["id"]))
    assert (stored.probability, stored.weighted_value, stored.owner_id) == (None, None, None)
    entry = await Activity.filter(target_type="Deal", target_id=stored.id, verb="updated").last()
    assert entry.changes["probability"] == {"old": 5, "new": None}

    theirs = await make_org()
    their_user = await user_id(theirs)
    for value in (-1, 101):
        errors = await errors_of(
            org,
            CREATE_DEAL,
            {"input": {"clientId": client_id, "title": "X", "value": "1", "probability": value}},
            "createDeal",
        )
        assert codes(errors) == {("INVALID", ("probability",))}
    errors = await errors_of(
        org,
        CREATE_DEAL,
        {"input": {"clientId": client_id, "title": "X", "value": "1", "ownerId": their_user}},
        "createDeal",
    )
    assert codes(errors) == {("NOT_FOUND", ("ownerId",))}
    errors = await errors_of(
        org,
        UPDATE_DEAL,
        {"id": created["id"], "input": {"ownerId": client_id, "probability": 200, "title": ""}},
        "updateDeal",
    )
    assert codes(errors) == {
        ("NOT_FOUND", ("ownerId",)),
        ("INVALID", ("probability",)),
        ("REQUIRED", ("title",)),
    }
    their_deal = await deal(theirs, await new_client(theirs))
    errors = await errors_of(
        org, UPDATE_DEAL, {"id": their_deal["id"], "input": {"probability": 1}}, "updateDeal"
    )
    assert codes(errors) == {("NOT_FOUND", ("id",))}
    assert (await Deal.get(id=pk_of(their_deal["id"]))).probability is None
    body = await org.gql(
        UPDATE_DEAL, {"id": created["id"], "input": {"probability": 1}}, role=Role.VIEWER
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_weighted_pipeline_in_the_deals_card(org):
    client_id = await new_client(org)
    other_id = await new_client(org, name="Otro")
    for value, probability, currency, stage in (
        ("1000", 50, "EUR", "LEAD"),  # 500.00
        ("333.33", 33, "EUR", "PROPOSAL"),  # 109.9989 -> 110.00
        ("250", None, "EUR", "QUALIFIED"),  # no probability: nothing
        ("80", 25, "USD", "NEGOTIATION"),  # 20.00
        ("5000", 90, "EUR", "WON"),  # closed: not in the pipeline
        ("7000", 10, "EUR", "LOST"),  # closed
    ):
        await ok(
            org,
            CREATE_DEAL,
            {
                "input": {
                    "clientId": client_id,
                    "title": "D",
                    "value": value,
                    "currency": currency,
                    "stage": stage,
                    "probability": probability,
                }
            },
            "createDeal",
            "deal",
        )
    await deal(org, other_id, value="999", probability=99)
    card = (await org.data(DEALS_CARD, {"id": client_id}))["client"]["summary"]["deals"]
    assert card["open"]["count"] == 4
    assert card["weightedOpen"] == [
        {"amount": "610.00", "currency": "EUR"},
        {"amount": "20.00", "currency": "USD"},
    ]
    empty = await new_client(org, name="Vacío")
    card = (await org.data(DEALS_CARD, {"id": empty}))["client"]["summary"]["deals"]
    assert card["weightedOpen"] == []


async def test_concurrent_deal_updates_keep_the_weighted_value_consistent(org):
    client_id = await new_client(org)
    for _ in range(5):
        created = await deal(org, client_id, value="100", probability=10)
        await asyncio.gather(
            org.data(UPDATE_DEAL, {"id": created["id"], "input": {"value": "300"}}),
            org.data(UPDATE_DEAL, {"id": created["id"], "input": {"probability": 70}}),
        )
        stored = await Deal.get(id=pk_of(created["id"]))
        assert (stored.value, stored.probability, str(stored.weighted_value)) == (
            300,
            70,
            "210.00",
        )


async def test_quote_dates_follow_the_transitions(org, make_org):
    client_id = await new_client(org)
    created = await quote(org, client_id, validUntil=day(5))
    dates = (await org.data(QUOTE_DATES, {"id": created["id"]}))["node"]
    assert dates == {"status": "DRAFT", "sentAt": None, "acceptedAt": None, "declinedAt": None}
    await ok(org, quote_action("sendQuote"), {"id": created["id"]}, "sendQuote", "quote")
    await ok(org, quote_action("acceptQuote"), {"id": created["id"]}, "acceptQuote", "quote")
    dates = (await org.data(QUOTE_DATES, {"id": created["id"]}))["node"]
    sent, accepted = (datetime.fromisoformat(dates[k]) for k in ("sentAt", "acceptedAt"))
    assert dates["status"] == "ACCEPTED" and dates["declinedAt"] is None
    assert sent <= accepted
    stored = await Quote.get(id=pk_of(created["id"]))
    assert (stored.sent_at, stored.accepted_at) == (sent, accepted)

    declined = await quote(org, client_id)
    await ok(org, quote_action("sendQuote"), {"id": declined["id"]}, "sendQuote", "quote")
    await ok(org, quote_action("declineQuote"), {"id": declined["id"]}, "declineQuote", "quote")
    dates = (await org.data(QUOTE_DATES, {"id": declined["id"]}))["node"]
    assert dates["acceptedAt"] is None and dates["declinedAt"] is not None

    # A refused transition stamps nothing.
    errors = await errors_of(
        org, quote_action("acceptQuote"), {"id": declined["id"]}, "acceptQuote"
    )
    assert codes(errors) == {("INVALID_STATE", ("id",))}
    assert (await Quote.get(id=pk_of(declined["id"]))).accepted_at is None
    theirs = await make_org()
    errors = await errors_of(theirs, quote_action("sendQuote"), {"id": created["id"]}, "sendQuote")
    assert codes(errors) == {("NOT_FOUND", ("id",))}
    assert (await theirs.data(QUOTE_DATES, {"id": created["id"]}))["node"] is None


async def test_accept_and_decline_at_once_stamp_one_date(org):
    client_id = await new_client(org)
    for _ in range(5):
        created = await quote(org, client_id)
        await ok(org, quote_action("sendQuote"), {"id": created["id"]}, "sendQuote", "quote")
        accept, decline = await asyncio.gather(
            org.data(quote_action("acceptQuote"), {"id": created["id"]}),
            org.data(quote_action("declineQuote"), {"id": created["id"]}),
        )
        outcomes = [accept["acceptQuote"]["errors"], decline["declineQuote"]["errors"]]
        assert sorted(bool(e) for e in outcomes) == [False, True]
        stored = await Quote.get(id=pk_of(created["id"]))
        if stored.status == "ACCEPTED":
            assert stored.accepted_at is not None and stored.declined_at is None
        else:
            assert stored.declined_at is not None and stored.accepted_at is None
