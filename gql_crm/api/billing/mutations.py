import strawberry
from strawberry.types import Info

from gql_crm.api import docs
from gql_crm.api.billing.inputs import (
    CreateInvoiceInput,
    CreatePurchaseOrderInput,
    RecordPaymentInput,
)
from gql_crm.api.billing.types import (
    Invoice,
    InvoicePayload,
    PurchaseOrder,
    PurchaseOrderPayload,
)
from gql_crm.api.core.relay import input_to_data, record_id
from gql_crm.api.errors import MutationPayload
from gql_crm.models import PurchaseOrderStatus
from gql_crm.services import billing

ID_TYPES = {"client_id": "Client"}


INVOICE_PAYLOAD = MutationPayload(InvoicePayload, "invoice", Invoice.from_model)
PURCHASE_ORDER_PAYLOAD = MutationPayload(
    PurchaseOrderPayload, "purchase_order", PurchaseOrder.from_model
)


@strawberry.type
class BillingMutations:
    @strawberry.mutation(
        description="A DRAFT invoice; the server computes every total. Needs MEMBER."
    )
    async def create_invoice(
        self,
        info: Info,
        input: docs.argument(CreateInvoiceInput, docs.CREATE),
    ) -> InvoicePayload:
        data = input_to_data(input, ID_TYPES)
        data["lines"] = [input_to_data(line) for line in input.lines]
        return await INVOICE_PAYLOAD.run(
            info, lambda: billing.create_invoice(info.context.actor, data)
        )

    @strawberry.mutation(
        description="Issues a DRAFT invoice: it becomes PENDING (OVERDUE once "
        "past its due date). Needs MEMBER."
    )
    async def authorize_invoice(self, info: Info, id: docs.record_id("Invoice")) -> InvoicePayload:
        return await INVOICE_PAYLOAD.run(
            info, lambda: billing.authorize_invoice(info.context.actor, record_id(id, "Invoice"))
        )

    @strawberry.mutation(
        description="A payment of a PENDING or OVERDUE invoice, at most the "
        "amount still due; the one that completes it makes it PAID. Needs MEMBER."
    )
    async def record_payment(
        self,
        info: Info,
        input: docs.argument(RecordPaymentInput, docs.RECORD),
    ) -> InvoicePayload:
        return await INVOICE_PAYLOAD.run(
            info,
            lambda: billing.record_payment(
                info.context.actor,
                record_id(input.invoice_id, "Invoice", "invoice_id"),
                input.amount,
                input.date,
            ),
        )

    @strawberry.mutation(
        description="A DRAFT, PENDING or OVERDUE invoice becomes CANCELED. Needs MEMBER. One "
        "with payments (partly paid) is refused with PARTLY_PAID: its payments need a credit "
        "first."
    )
    async def cancel_invoice(self, info: Info, id: docs.record_id("Invoice")) -> InvoicePayload:
        return await INVOICE_PAYLOAD.run(
            info, lambda: billing.cancel_invoice(info.context.actor, record_id(id, "Invoice"))
        )

    @strawberry.mutation(
        description="An OPEN purchase order, with lines (the server computes its totals) or "
        "a total. Needs MEMBER."
    )
    async def create_purchase_order(
        self, info: Info, input: docs.argument(CreatePurchaseOrderInput, docs.CREATE)
    ) -> PurchaseOrderPayload:
        data = input_to_data(input, ID_TYPES)
        if input.lines is not None:
            data["lines"] = [input_to_data(line) for line in input.lines]
        return await PURCHASE_ORDER_PAYLOAD.run(
            info, lambda: billing.create_purchase_order(info.context.actor, data)
        )

    @strawberry.mutation(description="OPEN -> CLOSED. Needs MEMBER.")
    async def close_purchase_order(
        self,
        info: Info,
        id: docs.record_id("PurchaseOrder"),
    ) -> PurchaseOrderPayload:
        return await PURCHASE_ORDER_PAYLOAD.run(
            info,
            lambda: billing.set_purchase_order_status(
                info.context.actor, record_id(id, "PurchaseOrder"), PurchaseOrderStatus.CLOSED
            ),
        )

    @strawberry.mutation(description="OPEN -> CANCELED. Needs MEMBER.")
    async def cancel_purchase_order(
        self, info: Info, id: docs.record_id("PurchaseOrder")
    ) -> PurchaseOrderPayload:
        return await PURCHASE_ORDER_PAYLOAD.run(
            info,
            lambda: billing.set_purchase_order_status(
                info.context.actor, record_id(id, "PurchaseOrder"), PurchaseOrderStatus.CANCELED
            ),
        )
