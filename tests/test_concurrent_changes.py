"""State changes sent at the same time: each reads, checks and writes its row under a lock,
so none is lost, none overwrites another's columns, and the activity tells the real story.

Each race is run several times: a single trial may happen to serialize on its own.
"""

import asyncio
from decimal import Decimal

from gql_crm.models import Activity, Client, Deal, Invoice, InvoicePayment, Quote
from tests.helpers import ARCHIVE_CLIENT, CREATE_CLIENT, UPDATE_CLIENT, pk_of
from tests.profile_helpers import (
    AUTHORIZE_INVOICE,
    CANCEL_INVOICE,
    CANCEL_PURCHASE_ORDER,
    CLOSE_PURCHASE_ORDER,
    MOVE_DEAL,
    RECORD_PAYMENT,
    SET_TASK_STATUS,
    day,
    deal,
    invoice,
    new_client,
    ok,
    project,
    purchase_order,
    quote,
    quote_action,
    task,
)

TRIALS = 5


async def at_once(org, *requests: tuple[str, dict, str]) -> list[dict]:
    """The payloads of mutations sent concurrently, in the order given."""
    bodies = await asyncio.gather(
        *(org.data(document, variables) for document, variables, _ in requests)
    )
    return [body[field] for body, (_, _, field) in zip(bodies, requests, strict=True)]


def succeeded(payloads: list[dict]) -> list[dict]:
    return [p for p in payloads if not p["errors"]]


def refused_codes(payloads: list[dict]) -> set[str]:
    return {error["code"] for p in payloads for error in p["errors"]}


async def entries(target_type: str, target_id: int, *verbs: str) -> int:
    """How many activity entries a record has with one of `verbs`."""
    return await Activity.filter(
        target_type=target_type, target_id=target_id, verb__in=verbs
    ).count()


async def test_payments_and_a_cancel_at_once_keep_amount_paid_equal_to_the_payments(org):
    client_id = await new_client(org)
    for _ in range(TRIALS):
        created = await invoice(
            org,
            client_id,
            authorize=True,
            lines=[{"description": "W", "quantity": "1", "unitPrice": "50"}],
        )
        pay = (
            RECORD_PAYMENT,
            {"id": created["id"], "amount": "5.00", "date": day(0)},
            "recordPayment",
        )
        payloads = await at_once(
            org, *[pay] * 5, (CANCEL_INVOICE, {"id": created["id"]}, "cancelInvoice"), *[pay] * 5
        )
        # A cancel after a payment is refused: a canceled invoice never holds payments.
        assert refused_codes(payloads) <= {"INVALID_STATE", "PARTLY_PAID"}
        stored = await Invoice.get(id=pk_of(created["id"]))
        payments = await InvoicePayment.filter(invoice_id=stored.id).values_list(
            "amount", flat=True
        )
        assert stored.amount_paid == sum(payments, Decimal(0))
        assert len(payments) == len(succeeded(payloads[:5] + payloads[6:]))
        canceled = not payloads[5]["errors"]
        assert stored.status == ("CANCELED" if canceled else "PAID")
        assert not canceled or payments == []
        assert await entries("Invoice", stored.id, "payment_recorded") == len(payments)


async def test_accept_and_decline_at_once_one_wins(org):
    client_id = await new_client(org)
    for _ in range(TRIALS):
        sent = await quote(org, client_id)
        await ok(org, quote_action("sendQuote"), {"id": sent["id"]}, "sendQuote", "quote")
        payloads = await at_once(
            org,
            (quote_action("acceptQuote"), {"id": sent["id"]}, "acceptQuote"),
            (quote_action("declineQuote"), {"id": sent["id"]}, "declineQuote"),
        )
        [winner] = succeeded(payloads)
        assert refused_codes(payloads) == {"INVALID_STATE"}
        stored = await Quote.get(id=pk_of(sent["id"]))
        assert stored.status == winner["quote"]["status"]
        assert await entries("Quote", stored.id, "accepted", "declined") == 1


async def test_a_deal_is_won_once(org):
    client_id = await new_client(org)
    for _ in range(TRIALS):
        created = await deal(org, client_id)
        won = (MOVE_DEAL, {"id": created["id"], "stage": "WON"}, "moveDeal")
        payloads = await at_once(org, won, won, won)
        assert len(succeeded(payloads)) == 1
        assert refused_codes(payloads) == {"INVALID_STATE"}
        assert await entries("Deal", pk_of(created["id"]), "moved") == 1


async def test_an_invoice_is_authorized_once(org):
    client_id = await new_client(org)
    for _ in range(TRIALS):
        created = await invoice(org, client_id)
        payloads = await at_once(
            org, *[(AUTHORIZE_INVOICE, {"id": created["id"]}, "authorizeInvoice")] * 20
        )
        assert len(succeeded(payloads)) == 1
        assert await entries("Invoice", pk_of(created["id"]), "authorized") == 1


def assert_chain(entries, field: str, first: str) -> str:
    """Each activity entry's old value is the previous entry's new one; returns the last."""
    previous = first
    for entry in entries:
        assert entry.changes[field]["old"] == previous
        previous = entry.changes[field]["new"]
    return previous


async def test_concurrent_moves_keep_the_deal_history_a_chain(org):
    client_id = await new_client(org)
    stages = [
        "QUALIFIED",
        "PROPOSAL",
        "NEGOTIATION",
        "LEAD",
        "PROPOSAL",
        "QUALIFIED",
        "NEGOTIATION",
        "LEAD",
    ]
    for _ in range(TRIALS):
        created = await deal(org, client_id)
        payloads = await at_once(
            org,
            *[(MOVE_DEAL, {"id": created["id"], "stage": stage}, "moveDeal") for stage in stages],
        )
        # A cancel after a payment is refused: a canceled invoice never holds payments.
        assert refused_codes(payloads) <= {"INVALID_STATE", "PARTLY_PAID"}
        entries = await Activity.filter(
            target_type="Deal", target_id=pk_of(created["id"]), verb="moved"
        ).order_by("id")
        assert len(entries) == len(succeeded(payloads))
        last = assert_chain(entries, "stage", "LEAD")
        assert (await Deal.get(id=pk_of(created["id"]))).stage == last


async def test_close_and_cancel_of_a_purchase_order_and_task_moves_at_once(org):
    client_id = await new_client(org)
    web = await project(org, client_id)
    for _ in range(TRIALS):
        order = await purchase_order(org, client_id)
        payloads = await at_once(
            org,
            (CLOSE_PURCHASE_ORDER, {"id": order["id"]}, "closePurchaseOrder"),
            (CANCEL_PURCHASE_ORDER, {"id": order["id"]}, "cancelPurchaseOrder"),
        )
        assert len(succeeded(payloads)) == 1
        todo = await task(org, web["id"])
        moves = ["IN_PROGRESS", "DONE", "IN_PROGRESS", "DONE"]
        payloads = await at_once(
            org,
            *[
                (SET_TASK_STATUS, {"id": todo["id"], "status": status}, "setTaskStatus")
                for status in moves
            ],
        )
        entries = await Activity.filter(
            target_type="Task", target_id=pk_of(todo["id"]), verb="updated"
        ).order_by("id")
        assert len(entries) == len(succeeded(payloads))
        assert_chain(entries, "status", "TODO")


async def test_an_edit_sent_with_an_archive_keeps_both(org):
    for trial in range(TRIALS):
        client_id = await new_client(org, name=f"Ana {trial}", email=f"ana{trial}@example.com")
        payloads = await at_once(
            org,
            (ARCHIVE_CLIENT, {"id": client_id}, "archiveClient"),
            (
                UPDATE_CLIENT,
                {"id": client_id, "input": {"name": f"Ana María {trial}"}},
                "updateClient",
            ),
        )
        assert not refused_codes(payloads)
        stored = await Client.get(id=pk_of(client_id))
        assert (stored.status, stored.name) == ("ARCHIVED", f"Ana María {trial}")
        assert stored.active_email_key is None


async def test_edits_of_two_clients_sharing_a_company_both_land(org):
    company = {"name": "Acme", "taxId": "B85866127"}
    first = await new_client(org, name="Uno", company=company)
    second = await new_client(org, name="Dos", company=company)
    for trial in range(TRIALS):
        payloads = await at_once(
            org,
            *[
                (
                    UPDATE_CLIENT,
                    {
                        "id": client_id,
                        "input": {
                            "name": f"{name} {trial}",
                            "company": {**company, "legalName": f"{name} SL"},
                        },
                    },
                    "updateClient",
                )
                for client_id, name in ((first, "Uno"), (second, "Dos"))
            ],
        )
        assert not refused_codes(payloads)
        names = {c.id: c.name for c in await Client.filter(id__in=[pk_of(first), pk_of(second)])}
        assert names == {pk_of(first): f"Uno {trial}", pk_of(second): f"Dos {trial}"}


async def test_payments_at_once_never_pay_more_than_is_due_nor_get_lost(org):
    client_id = await new_client(org)
    for _ in range(TRIALS):
        created = await invoice(
            org,
            client_id,
            authorize=True,
            lines=[{"description": "W", "quantity": "1", "unitPrice": "50", "taxRate": "0"}],
        )
        pay = (
            RECORD_PAYMENT,
            {"id": created["id"], "amount": "10.00", "date": day(0)},
            "recordPayment",
        )
        payloads = await at_once(org, *[pay] * 8)
        assert len(succeeded(payloads)) == 5
        # Refused once too much would be paid, or once the invoice is PAID.
        assert refused_codes(payloads) <= {"EXCEEDS_AMOUNT_DUE", "INVALID_STATE"}
        stored = await Invoice.get(id=pk_of(created["id"]))
        payments = await InvoicePayment.filter(invoice_id=stored.id).values_list(
            "amount", flat=True
        )
        assert (stored.amount_paid, stored.status) == (Decimal("50.00"), "PAID")
        assert sorted(payments) == [Decimal("10.00")] * 5
        assert await entries("Invoice", stored.id, "payment_recorded") == 5


async def test_one_email_sent_by_several_clients_at_once_goes_to_one(org):
    for trial in range(TRIALS):
        email = f"race{trial}@example.com"
        others = [await new_client(org) for _ in range(2)]
        payloads = await at_once(
            org,
            *[
                (CREATE_CLIENT, {"input": {"name": f"New {n}", "email": email}}, "createClient")
                for n in range(3)
            ],
            *[
                (UPDATE_CLIENT, {"id": other, "input": {"email": email}}, "updateClient")
                for other in others
            ],
        )
        [winner] = succeeded(payloads)
        for payload in payloads:
            if payload is not winner:
                assert [(e["code"], e["field"]) for e in payload["errors"]] == [
                    ("DUPLICATE", ["email"])
                ]
        [stored] = await Client.filter(organization_id=org.id, email=email)
        assert stored.id == pk_of(winner["client"]["id"])
