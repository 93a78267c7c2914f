"""Deals through the sales pipeline, and the quotes sent for them."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from tortoise.timezone import now

from gql_crm.models import Deal, DealStage, Quote, QuoteLine, QuoteStatus, Role, User
from gql_crm.services.auth import Actor
from gql_crm.services.billing import clean_lines, create_with_lines, totals
from gql_crm.services.errors import ErrorCode
from gql_crm.services.records import (
    CENT,
    check_reference,
    create_recorded,
    lock_row,
    money_amount,
    require_client,
    required_choice,
    today,
    transition,
    update_recorded,
    write_transaction,
)
from gql_crm.services.validation import FieldInvalid, Validator, normalize_currency, required_text

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


# What updateDeal may change; the stage moves through moveDeal.
DEAL_FIELDS = ("title", "value", "expected_close_date", "owner_id", "probability")


def probability(value: Any) -> int | None:
    """The chance of winning, in percent; None: not estimated."""
    if value is not None and not 0 <= value <= 100:
        raise FieldInvalid(ErrorCode.INVALID)
    return value


def weighted_value(value: Decimal, chance: int | None) -> Decimal | None:
    """What a deal weighs in the pipeline: value x probability / 100, half-up to the cent."""
    if chance is None:
        return None
    return (value * chance / 100).quantize(CENT, rounding=ROUND_HALF_UP)


async def _clean_deal(
    actor: Actor, checks: Validator, data: dict[str, Any], current: Deal | None
) -> dict[str, Any]:
    """The columns an input sets: all of them for a new deal, the given ones for an update."""
    values: dict[str, Any] = {}
    if current is None or "title" in data:
        values["title"] = checks.check("title", required_text, data.get("title"), 300)
    if current is None or "value" in data:
        values["value"] = checks.check("value", money_amount, data.get("value"))
    for key in ("expected_close_date", "owner_id", "probability"):
        if key in data:
            values[key] = data[key]
    if "owner_id" in data:
        await check_reference(checks, actor, User, data["owner_id"], "owner_id")
    if "probability" in data:
        values["probability"] = checks.check("probability", probability, data["probability"])
    return values


async def create_deal(actor: Actor, data: dict[str, Any]) -> Deal:
    actor.require(Role.MEMBER)
    client = await require_client(actor, data.get("client_id"))
    checks = Validator()
    currency = checks.check("currency", normalize_currency, data.get("currency"))
    stage = checks.check("stage", required_choice, data.get("stage") or "LEAD", DealStage)
    values = await _clean_deal(actor, checks, data, None)
    checks.raise_if_errors()
    values.update(
        stage=stage,
        currency=currency or actor.organization.default_currency,
        weighted_value=weighted_value(values["value"], values.get("probability")),
    )
    closed_at = now() if stage in CLOSED_STAGES else None
    return await create_recorded(actor, Deal, values, client_id=client.id, closed_at=closed_at)


async def update_deal(actor: Actor, deal_id: int, data: dict[str, Any]) -> Deal:
    """Changes the given fields of a deal, under its lock; the weighted value follows."""
    actor.require(Role.MEMBER)
    async with write_transaction():
        deal = await lock_row(Deal, actor, deal_id)
        checks = Validator()
        values = await _clean_deal(actor, checks, data, deal)
        checks.raise_if_errors()
        values["weighted_value"] = weighted_value(
            values.get("value", deal.value), values.get("probability", deal.probability)
        )
        await update_recorded(actor, deal, values, (*DEAL_FIELDS, "weighted_value"))
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
    await check_reference(checks, actor, Deal, deal_id, "deal_id", client_id=client.id)
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


# The column each answer stamps, in the same conditional write as the status.
ANSWERED_AT = {
    QuoteStatus.SENT: "sent_at",
    QuoteStatus.ACCEPTED: "accepted_at",
    QuoteStatus.DECLINED: "declined_at",
}


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
        also=lambda _: {ANSWERED_AT[status]: now()},
    )


async def send_quote(actor: Actor, quote_id: int) -> Quote:
    return await _answer(actor, quote_id, (QuoteState.DRAFT,), QuoteStatus.SENT, "sent")


async def accept_quote(actor: Actor, quote_id: int) -> Quote:
    return await _answer(actor, quote_id, (QuoteState.SENT,), QuoteStatus.ACCEPTED, "accepted")


async def decline_quote(actor: Actor, quote_id: int) -> Quote:
    return await _answer(actor, quote_id, (QuoteState.SENT,), QuoteStatus.DECLINED, "declined")
