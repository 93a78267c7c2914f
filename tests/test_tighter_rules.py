"""The rules issue 14 tightened, through HTTP: a partly paid invoice is not canceled without
a credit, a quote is not created already expired, and only a MANAGER reopens a WON deal,
whose close is kept. Each with another organization's IDs."""

from decimal import Decimal

from gql_crm.models import Activity, Deal, DealStage, Invoice, InvoiceStatus, Quote, Role
from tests.helpers import pk_of
from tests.profile_helpers import (
    CANCEL_INVOICE,
    CREATE_QUOTE,
    MOVE_DEAL,
    day,
    deal,
    errors_of,
    invoice,
    new_client,
    ok,
    pay,
)

MOVE_DEAL_WITH_CLOSE = """
mutation($id: ID!, $stage: DealStage!) {
  moveDeal(id: $id, stage: $stage) {
    deal { id stage closedAt
           previousClose { stage closedAt value { amount currency } reopenedAt } }
    errors { code field message }
  }
}"""


async def test_a_partly_paid_invoice_is_not_canceled(org):
    client_id = await new_client(org)
    bill = await invoice(org, client_id, authorize=True, dueDate=day(10))
    await pay(org, bill["id"], "40")

    errors = await errors_of(org, CANCEL_INVOICE, {"id": bill["id"]}, "cancelInvoice")
    assert [(e["code"], e["field"]) for e in errors] == [("PARTLY_PAID", ["id"])]
    assert "40.00 EUR" in errors[0]["message"] and "credit" in errors[0]["message"]
    spanish = await errors_of(
        org,
        CANCEL_INVOICE,
        {"id": bill["id"]},
        "cancelInvoice",
        headers={"Accept-Language": "es"},
    )
    assert spanish[0]["code"] == "PARTLY_PAID" and "abono" in spanish[0]["message"]

    stored = await Invoice.get(id=pk_of(bill["id"]))
    assert (stored.status, stored.amount_paid) == (InvoiceStatus.AUTHORIZED, Decimal("40.00"))
    assert not await Activity.filter(target_id=stored.id, verb="canceled").exists()


async def test_an_unpaid_invoice_is_still_canceled(org):
    client_id = await new_client(org)
    draft = await invoice(org, client_id)
    pending = await invoice(org, client_id, authorize=True)
    for bill in (draft, pending):
        canceled = await ok(org, CANCEL_INVOICE, {"id": bill["id"]}, "cancelInvoice", "invoice")
        assert canceled["status"] == "CANCELED"


async def test_another_organizations_invoice_is_not_found(make_org):
    mine, theirs = await make_org(), await make_org()
    bill = await invoice(theirs, await new_client(theirs), authorize=True)
    await pay(theirs, bill["id"], "10")
    errors = await errors_of(mine, CANCEL_INVOICE, {"id": bill["id"]}, "cancelInvoice")
    assert [e["code"] for e in errors] == ["NOT_FOUND"]
    assert (await Invoice.get(id=pk_of(bill["id"]))).status == InvoiceStatus.AUTHORIZED


def _quote_input(client_id: str, number: str, valid_until: str) -> dict:
    return {
        "input": {
            "clientId": client_id,
            "number": number,
            "validUntil": valid_until,
            "lines": [{"description": "Work", "quantity": "1", "unitPrice": "100"}],
        }
    }


async def test_a_quote_is_not_created_already_expired(org):
    client_id = await new_client(org)
    expired = _quote_input(client_id, "Q-PAST", day(-1))
    errors = await errors_of(org, CREATE_QUOTE, expired, "createQuote")
    assert [(e["code"], e["field"]) for e in errors] == [("ALREADY_EXPIRED", ["validUntil"])]
    spanish = await errors_of(
        org, CREATE_QUOTE, expired, "createQuote", headers={"Accept-Language": "es"}
    )
    assert "caducado" in spanish[0]["message"]
    assert not await Quote.filter(organization_id=org.id, number="Q-PAST").exists()

    # Valid through the organization's today: not expired yet.
    today = await ok(
        org, CREATE_QUOTE, _quote_input(client_id, "Q-TODAY", day(0)), "createQuote", "quote"
    )
    assert (today["validUntil"], today["status"]) == (day(0), "DRAFT")


async def test_an_expired_quote_for_another_organizations_client_is_not_found(make_org):
    mine, theirs = await make_org(), await make_org()
    foreign = await new_client(theirs)
    errors = await errors_of(
        mine, CREATE_QUOTE, _quote_input(foreign, "Q-X", day(-5)), "createQuote"
    )
    assert {e["code"] for e in errors} == {"NOT_FOUND"}


async def test_only_a_manager_reopens_a_won_deal_and_its_close_is_kept(org):
    client_id = await new_client(org)
    won = await deal(org, client_id, value="2500.50")
    closed = await ok(org, MOVE_DEAL, {"id": won["id"], "stage": "WON"}, "moveDeal", "deal")
    reopen = {"id": won["id"], "stage": "NEGOTIATION"}

    body = await org.gql(MOVE_DEAL_WITH_CLOSE, reopen, role=Role.MEMBER)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["data"] is None or body["data"]["moveDeal"] is None
    stored = await Deal.get(id=pk_of(won["id"]))
    assert (stored.stage, stored.reopened_at) == (DealStage.WON, None)

    # A member may still move a WON deal to LOST and a LOST one back to open.
    lost = await ok(
        org, MOVE_DEAL, {"id": won["id"], "stage": "LOST"}, "moveDeal", "deal", role=Role.MEMBER
    )
    assert lost["closedAt"] == closed["closedAt"]
    await ok(org, MOVE_DEAL, {"id": won["id"], "stage": "WON"}, "moveDeal", "deal")

    reopened = await ok(org, MOVE_DEAL_WITH_CLOSE, reopen, "moveDeal", "deal", role=Role.MANAGER)
    assert (reopened["stage"], reopened["closedAt"]) == ("NEGOTIATION", None)
    previous = reopened["previousClose"]
    assert (previous["stage"], previous["closedAt"], previous["value"]) == (
        "WON",
        closed["closedAt"],
        {"amount": "2500.50", "currency": "EUR"},
    )
    tab = await org.data(
        """query($id: ID!) { client(id: $id) { deals { edges { node {
             previousClose { stage closedAt value { amount currency } reopenedAt } } } } } }""",
        {"id": client_id},
    )
    assert [e["node"]["previousClose"] for e in tab["client"]["deals"]["edges"]] == [previous]
    stored = await Deal.get(id=pk_of(won["id"]))
    assert stored.previous_close_stage == DealStage.WON
    assert stored.previous_close_value == Decimal("2500.50")
    assert stored.reopened_at is not None and stored.closed_at is None
    entry = (
        await Activity.filter(target_type="Deal", target_id=stored.id, verb="moved")
        .order_by("-id")
        .first()
    )
    assert entry.changes["stage"] == {"old": "WON", "new": "NEGOTIATION"}
    assert entry.changes["previous_close_value"] == {"old": None, "new": "2500.50"}
    assert entry.changes["closed_at"]["new"] is None


async def test_a_member_reopens_a_lost_deal(org):
    client_id = await new_client(org)
    lost = await deal(org, client_id, stage="LOST")
    reopened = await ok(
        org,
        MOVE_DEAL_WITH_CLOSE,
        {"id": lost["id"], "stage": "LEAD"},
        "moveDeal",
        "deal",
        role=Role.MEMBER,
    )
    assert reopened["previousClose"]["stage"] == "LOST"
    untouched = await deal(org, client_id)
    moved = await ok(
        org,
        MOVE_DEAL_WITH_CLOSE,
        {"id": untouched["id"], "stage": "QUALIFIED"},
        "moveDeal",
        "deal",
        role=Role.MEMBER,
    )
    assert moved["previousClose"] is None


async def test_another_organizations_won_deal_is_not_found_whatever_the_role(make_org):
    mine, theirs = await make_org(), await make_org()
    foreign = await deal(theirs, await new_client(theirs), stage="WON")
    for role in (Role.MEMBER, Role.MANAGER):
        errors = await errors_of(
            mine, MOVE_DEAL, {"id": foreign["id"], "stage": "LEAD"}, "moveDeal", role=role
        )
        assert [e["code"] for e in errors] == ["NOT_FOUND"]
    assert (await Deal.get(id=pk_of(foreign["id"]))).stage == DealStage.WON
