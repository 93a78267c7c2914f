"""Invoices (sales and purchases) with their lines and payments, and purchase orders.

Totals are computed here, in Decimal, from the lines: a client never sends a total.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.timezone import now
from tortoise.transactions import in_transaction

from gql_crm.models import (
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoicePayment,
    InvoiceStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    Role,
)
from gql_crm.models.base import ClientRecord, OrgScoped
from gql_crm.services import activity
from gql_crm.services.auth import Actor
from gql_crm.services.errors import ErrorCode, UserErrors
from gql_crm.services.records import (
    CENT,
    bounded_decimal,
    date_order,
    lock_row,
    money_amount,
    positive_money_amount,
    record,
    require_client,
    required_choice,
    save_changed,
    snapshot,
    transition,
    write_transaction,
)
from gql_crm.services.validation import (
    FieldInvalid,
    Validator,
    normalize_currency,
    optional_text,
    required_text,
)

MAX_LINES = 500
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Line:
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    subtotal: Decimal
    tax: Decimal
    total: Decimal


def _tax_rate(value: Any) -> Decimal | None:
    rate = bounded_decimal(value, max_digits=6, places=3)
    if rate is not None and rate > HUNDRED:
        raise FieldInvalid(ErrorCode.INVALID_AMOUNT)
    return rate


def clean_lines(checks: Validator, lines: list[dict[str, Any]] | None) -> list[Line]:
    """Validated lines with their amounts, each rounded half-up to the cent."""
    if not lines:
        checks.add(ErrorCode.REQUIRED, "lines")
        return []
    if len(lines) > MAX_LINES:
        checks.add(ErrorCode.TOO_MANY_ROWS, "lines", max_rows=MAX_LINES)
        return []
    result = []
    for i, data in enumerate(lines):
        path = ("lines", str(i))
        description = checks.check(
            (*path, "description"), required_text, data.get("description"), 500
        )
        quantity = checks.check((*path, "quantity"), _quantity, data.get("quantity"))
        unit_price = checks.check((*path, "unit_price"), _unit_price, data.get("unit_price"))
        tax_rate = checks.check((*path, "tax_rate"), _tax_rate, data.get("tax_rate", 0))
        if None in (description, quantity, unit_price, tax_rate):
            continue
        subtotal = (quantity * unit_price).quantize(CENT, rounding=ROUND_HALF_UP)
        tax = (subtotal * tax_rate / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)
        result.append(
            Line(description, quantity, unit_price, tax_rate, subtotal, tax, subtotal + tax)
        )
    total = sum((line.total for line in result), Decimal("0"))
    if total.adjusted() >= 16:
        checks.add(ErrorCode.INVALID_AMOUNT, "lines")
    return result


def _quantity(value: Any) -> Decimal | None:
    return bounded_decimal(value, max_digits=14, places=4, positive=True)


def _unit_price(value: Any) -> Decimal | None:
    return bounded_decimal(value, max_digits=18, places=4)


def totals(lines: list[Line]) -> dict[str, Decimal]:
    subtotal = sum((line.subtotal for line in lines), Decimal("0.00"))
    tax_total = sum((line.tax for line in lines), Decimal("0.00"))
    return {"subtotal": subtotal, "tax_total": tax_total, "total": subtotal + tax_total}


async def create_with_lines(
    actor: Actor,
    model: type[ClientRecord],
    line_model: type[OrgScoped],
    parent_field: str,
    client_id: int,
    values: dict[str, Any],
    lines: list[Line],
) -> Any:
    """An invoice, a quote or a purchase order with its lines and its activity entry, in one
    transaction.

    The number was checked before; one that another request took meanwhile is a DUPLICATE.
    """
    try:
        async with in_transaction():
            document = await model.create(
                organization_id=actor.org_id, client_id=client_id, **values
            )
            changes = activity.diff({}, values)
            if lines:
                # An order may have none: its total was given.
                await line_model.bulk_create(
                    [
                        line_model(
                            organization_id=actor.org_id,
                            **{parent_field: document.id},
                            position=i,
                            description=line.description,
                            quantity=line.quantity,
                            unit_price=line.unit_price,
                            tax_rate=line.tax_rate,
                            subtotal=line.subtotal,
                            tax=line.tax,
                            total=line.total,
                        )
                        for i, line in enumerate(lines)
                    ]
                )
                lines_changed = [
                    {
                        "description": line.description,
                        "quantity": str(line.quantity),
                        "unitPrice": str(line.unit_price),
                        "taxRate": str(line.tax_rate),
                    }
                    for line in lines
                ]
                changes["lines"] = {"old": None, "new": lines_changed}
            await record(actor, document, "created", changes)
    except IntegrityError:
        raise UserErrors.single(ErrorCode.DUPLICATE, "number") from None
    return document


async def create_invoice(actor: Actor, data: dict[str, Any]) -> Invoice:
    actor.require(Role.MEMBER)
    client = await require_client(actor, data.get("client_id"))
    checks = Validator()
    kind = checks.check("kind", required_choice, data.get("kind"), InvoiceKind)
    number = checks.check("number", required_text, data.get("number"), 50)
    currency = checks.check("currency", normalize_currency, data.get("currency"))
    issue_date, due_date = data.get("issue_date"), data.get("due_date")
    if issue_date is None:
        checks.add(ErrorCode.REQUIRED, "issue_date")
    elif not date_order(issue_date, due_date):
        checks.add(ErrorCode.INVALID_DATE, "due_date")
    lines = clean_lines(checks, data.get("lines"))
    if (
        kind
        and number
        and await Invoice.filter(organization_id=actor.org_id, kind=kind, number=number).exists()
    ):
        checks.add(ErrorCode.DUPLICATE, "number")
    checks.raise_if_errors()
    values = {
        "kind": kind,
        "number": number,
        "issue_date": issue_date,
        "due_date": due_date,
        "currency": currency or actor.organization.default_currency,
        **totals(lines),
    }
    return await create_with_lines(
        actor, Invoice, InvoiceLine, "invoice_id", client.id, values, lines
    )


async def authorize_invoice(actor: Actor, invoice_id: int) -> Invoice:
    actor.require(Role.MEMBER)
    return await transition(
        actor,
        Invoice,
        invoice_id,
        "status",
        (InvoiceStatus.DRAFT,),
        InvoiceStatus.AUTHORIZED,
        "authorized",
        also=lambda _: {"authorized_at": now()},
    )


def _no_payments(invoice: Invoice) -> None:
    """Payments cannot vanish with a cancel: they stay until a credit accounts for them."""
    if invoice.amount_paid:
        raise UserErrors.single(
            ErrorCode.PARTLY_PAID, "id", amount_paid=f"{invoice.amount_paid} {invoice.currency}"
        )


async def cancel_invoice(actor: Actor, invoice_id: int) -> Invoice:
    actor.require(Role.MEMBER)
    return await transition(
        actor,
        Invoice,
        invoice_id,
        "status",
        (InvoiceStatus.DRAFT, InvoiceStatus.AUTHORIZED),
        InvoiceStatus.CANCELED,
        "canceled",
        check=_no_payments,
    )


async def record_payment(actor: Actor, invoice_id: int, amount: Any, day: Any) -> Invoice:
    """A full or partial payment of an authorized invoice; the last one marks it PAID."""
    actor.require(Role.MEMBER)
    checks = Validator()
    amount = checks.check("amount", positive_money_amount, amount)
    if day is None:
        checks.add(ErrorCode.REQUIRED, "date")
    checks.raise_if_errors()
    async with write_transaction():
        # Locked so two concurrent payments cannot both fit the same amount due, nor a
        # payment land on an invoice being canceled. The refusals name the mutation's
        # argument, `invoiceId`.
        invoice = await lock_row(Invoice, actor, invoice_id, "invoice_id")
        if invoice.status != InvoiceStatus.AUTHORIZED:
            raise UserErrors.single(
                ErrorCode.INVALID_STATE, "invoice_id", state=invoice.status.value
            )
        due = invoice.total - invoice.amount_paid
        if amount > due:
            raise UserErrors.single(ErrorCode.EXCEEDS_AMOUNT_DUE, "amount", amount_due=str(due))
        await InvoicePayment.create(
            organization_id=actor.org_id, invoice_id=invoice.id, amount=amount, date=day
        )
        changed = ("amount_paid", "status", "paid_at")
        before = snapshot(invoice, changed)
        invoice.amount_paid += amount
        if invoice.amount_paid == invoice.total:
            invoice.status = InvoiceStatus.PAID
            # Payments may be recorded late and out of order: it was paid on the last one's day.
            latest = await InvoicePayment.filter(invoice_id=invoice.id).order_by("-date").first()
            assert latest is not None
            invoice.paid_at = latest.date
        changes = activity.diff(before, snapshot(invoice, changed))
        await save_changed(invoice, changes)
        await record(
            actor,
            invoice,
            "payment_recorded",
            {
                **changes,
                "payment": {"old": None, "new": {"amount": str(amount), "date": day.isoformat()}},
            },
        )
    return invoice


async def create_purchase_order(actor: Actor, data: dict[str, Any]) -> PurchaseOrder:
    """An OPEN order: with lines, its totals computed from them as an invoice's are; without,
    the total given (an order nobody itemized)."""
    actor.require(Role.MEMBER)
    client = await require_client(actor, data.get("client_id"))
    checks = Validator()
    number = checks.check("number", required_text, data.get("number"), 50)
    currency = checks.check("currency", normalize_currency, data.get("currency"))
    description = checks.check("description", optional_text, data.get("description"), 10_000)
    issue_date, delivery = data.get("issue_date"), data.get("expected_delivery_date")
    if issue_date is None:
        checks.add(ErrorCode.REQUIRED, "issue_date")
    elif not date_order(issue_date, delivery):
        checks.add(ErrorCode.INVALID_DATE, "expected_delivery_date")
    lines: list[Line] = []
    amounts: dict[str, Any] = {}
    if data.get("lines") is not None:
        lines = clean_lines(checks, data["lines"])
        if data.get("total") is not None:
            # The total of an itemized order is the lines': a second one could disagree.
            checks.add(ErrorCode.INVALID, "total")
        amounts = totals(lines)
    elif data.get("total") is None:
        checks.add(ErrorCode.REQUIRED, "lines")
    else:
        amounts = {"total": checks.check("total", money_amount, data["total"])}
    if number and await PurchaseOrder.filter(organization_id=actor.org_id, number=number).exists():
        checks.add(ErrorCode.DUPLICATE, "number")
    checks.raise_if_errors()
    values = {
        "number": number,
        "issue_date": issue_date,
        "expected_delivery_date": delivery,
        "currency": currency or actor.organization.default_currency,
        "description": description or "",
        **amounts,
    }
    return await create_with_lines(
        actor, PurchaseOrder, PurchaseOrderLine, "purchase_order_id", client.id, values, lines
    )


async def set_purchase_order_status(
    actor: Actor, order_id: int, status: PurchaseOrderStatus
) -> PurchaseOrder:
    actor.require(Role.MEMBER)
    verb = "closed" if status == PurchaseOrderStatus.CLOSED else "canceled"
    return await transition(
        actor, PurchaseOrder, order_id, "status", (PurchaseOrderStatus.OPEN,), status, verb
    )
