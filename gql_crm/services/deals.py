"""Deals through the sales pipeline, and the quotes sent for them."""

from datetime import date
from enum import StrEnum
from typing import Any

from tortoise.timezone import now
from tortoise.transactions import in_transaction

from gql_crm.models import Deal, DealStage, Quote, QuoteLine, QuoteStatus, Role
from gql_crm.services import activity
from gql_crm.services.auth import Actor
from gql_crm.services.billing import clean_lines, create_with_lines, totals
from gql_crm.services.errors import ErrorCode
from gql_crm.services.records import (
    money_amount,
    record,
    require_client,
    required_choice,
    today,
    transition,
)
from gql_crm.services.validation import Validator, normalize_currency, required_text

CLOSED_STAGES = (DealStage.WON, DealStage.LOST)
# Quotes that still wait for an answer; past their validUntil they read EXPIRED.
EXPIRING = (QuoteStatus.DRAFT, QuoteStatus.SENT)


class QuoteState(StrEnum):
    """What a quote reads as: its stored status, or EXPIRED once past valid_until."""

    DRAFT = "DRAFT"
    SENT = "SENT"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    EXPIRED = "EXPIRED"


def quote_state(quote: Quote, on: date) -> QuoteState:
    if quote.status in EXPIRING and quote.valid_until is not None and quote.valid_until < on:
        return QuoteState.EXPIRED
    return QuoteState(quote.status.value)


async def create_deal(actor: Actor, data: dict[str, Any]) -> Deal:
    actor.require(Role.MEMBER)
    client = await require_client(actor, data.get("client_id"))
    checks = Validator()
    title = checks.check("title", required_text, data.get("title"), 300)
    value = checks.check("value", money_amount, data.get("value"))
    currency = checks.check("currency", normalize_currency, data.get("currency"))
    stage = checks.check("stage", required_choice, data.get("stage") or "LEAD", DealStage)
    checks.raise_if_errors()
    values = {
        "title": title,
        "value": value,
        "stage": stage,
        "currency": currency or actor.organization.default_currency,
        "expected_close_date": data.get("expected_close_date"),
        "closed_at": now() if stage in CLOSED_STAGES else None,
    }
    async with in_transaction():
        deal = await Deal.create(organization_id=actor.org_id, client_id=client.id, **values)
        values.pop("closed_at")
        await record(actor, deal, "created", activity.diff({}, values))
    return deal


async def move_deal(actor: Actor, deal_id: int, stage: DealStage) -> Deal:
    """Any stage to any other. Reopening a WON deal (back to an open stage) needs MANAGER;
    reopening a closed deal keeps its close (stage, date, value) as the previous close."""
    actor.require(Role.MEMBER)
    others = tuple(s for s in DealStage if s != stage)
    reopening = stage not in CLOSED_STAGES

    def reopen_rule(deal: Deal) -> None:
        if reopening and deal.stage == DealStage.WON:
            actor.require(Role.MANAGER)

    def close_fields(deal: Deal) -> dict:
        if not reopening:
            return {"closed_at": deal.closed_at or now()}
        if deal.stage not in CLOSED_STAGES:
            return {"closed_at": None}
        return {
            "closed_at": None,
            "previous_close_stage": deal.stage,
            "previous_closed_at": deal.closed_at,
            "previous_close_value": deal.value,
            "reopened_at": now(),
        }

    return await transition(
        actor, Deal, deal_id, "stage", others, stage, "moved", also=close_fields, check=reopen_rule
    )


async def create_quote(actor: Actor, data: dict[str, Any]) -> Quote:
    actor.require(Role.MEMBER)
    client = await require_client(actor, data.get("client_id"))
    checks = Validator()
    number = checks.check("number", required_text, data.get("number"), 50)
    currency = checks.check("currency", normalize_currency, data.get("currency"))
    deal_id = data.get("deal_id")
    if (
        deal_id is not None
        and not await Deal.filter(
            organization_id=actor.org_id, id=deal_id, client_id=client.id
        ).exists()
    ):
        checks.add(ErrorCode.NOT_FOUND, "deal_id")
    lines = clean_lines(checks, data.get("lines"))
    if number and await Quote.filter(organization_id=actor.org_id, number=number).exists():
        checks.add(ErrorCode.DUPLICATE, "number")
    valid_until = data.get("valid_until")
    if valid_until is not None and valid_until < today(actor.organization):
        checks.add(ErrorCode.ALREADY_EXPIRED, "valid_until")
    checks.raise_if_errors()
    values = {
        "number": number,
        "deal_id": deal_id,
        "valid_until": valid_until,
        "currency": currency or actor.organization.default_currency,
        **totals(lines),
    }
    return await create_with_lines(actor, Quote, QuoteLine, "quote_id", client.id, values, lines)


async def _answer(
    actor: Actor, quote_id: int, allowed: tuple[QuoteState, ...], status: QuoteStatus, verb: str
) -> Quote:
    actor.require(Role.MEMBER)
    on = today(actor.organization)
    return await transition(
        actor,
        Quote,
        quote_id,
        "status",
        allowed,
        status,
        verb,
        state_of=lambda quote: quote_state(quote, on),
    )


async def send_quote(actor: Actor, quote_id: int) -> Quote:
    return await _answer(actor, quote_id, (QuoteState.DRAFT,), QuoteStatus.SENT, "sent")


async def accept_quote(actor: Actor, quote_id: int) -> Quote:
    return await _answer(actor, quote_id, (QuoteState.SENT,), QuoteStatus.ACCEPTED, "accepted")


async def decline_quote(actor: Actor, quote_id: int) -> Quote:
    return await _answer(actor, quote_id, (QuoteState.SENT,), QuoteStatus.DECLINED, "declined")
