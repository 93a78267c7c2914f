import strawberry
from strawberry.types import Info

from gql_crm.api import docs
from gql_crm.api.core.relay import input_to_data, record_id
from gql_crm.api.deals.inputs import CreateDealInput, CreateQuoteInput, UpdateDealInput
from gql_crm.api.deals.types import Deal, DealPayload, DealStage, Quote, QuotePayload
from gql_crm.api.errors import MutationPayload
from gql_crm.models import DealStage as StoredDealStage
from gql_crm.services import deals

ID_TYPES = {"client_id": "Client", "deal_id": "Deal", "owner_id": "User"}


DEAL_PAYLOAD = MutationPayload(DealPayload, "deal", Deal.from_model)
QUOTE_PAYLOAD = MutationPayload(QuotePayload, "quote", Quote.from_model)


@strawberry.type
class DealMutations:
    @strawberry.mutation(description="A new deal of a client, LEAD unless said. Needs MEMBER.")
    async def create_deal(
        self,
        info: Info,
        input: docs.argument(CreateDealInput, docs.CREATE),
    ) -> DealPayload:
        data = input_to_data(input, ID_TYPES)
        return await DEAL_PAYLOAD.run(info, lambda: deals.create_deal(info.context.actor, data))

    @strawberry.mutation(
        description="Changes a deal's title, value, expected close date, owner or "
        "probability; the weighted value follows. Needs MEMBER."
    )
    async def update_deal(
        self,
        info: Info,
        id: docs.record_id("Deal"),
        input: docs.argument(UpdateDealInput, "The fields to change."),
    ) -> DealPayload:
        data = input_to_data(input, ID_TYPES)
        return await DEAL_PAYLOAD.run(
            info, lambda: deals.update_deal(info.context.actor, record_id(id, "Deal"), data)
        )

    @strawberry.mutation(
        description="Any stage to any other; WON and LOST close the deal. Needs MEMBER; moving a "
        "WON deal back to an open stage needs MANAGER (FORBIDDEN otherwise). Reopening a closed "
        "deal keeps its close in previousClose."
    )
    async def move_deal(
        self,
        info: Info,
        id: docs.record_id("Deal"),
        stage: docs.argument(DealStage, "The new stage."),
    ) -> DealPayload:
        return await DEAL_PAYLOAD.run(
            info,
            lambda: deals.move_deal(
                info.context.actor, record_id(id, "Deal"), StoredDealStage(stage.value)
            ),
        )

    @strawberry.mutation(
        description="A DRAFT quote; the server computes every total. Needs MEMBER. A "
        "validUntil before today is refused (ALREADY_EXPIRED)."
    )
    async def create_quote(
        self,
        info: Info,
        input: docs.argument(CreateQuoteInput, docs.CREATE),
    ) -> QuotePayload:
        data = input_to_data(input, ID_TYPES)
        data["lines"] = [input_to_data(line) for line in input.lines]
        return await QUOTE_PAYLOAD.run(info, lambda: deals.create_quote(info.context.actor, data))

    @strawberry.mutation(description="DRAFT -> SENT. Needs MEMBER.")
    async def send_quote(self, info: Info, id: docs.record_id("Quote")) -> QuotePayload:
        return await QUOTE_PAYLOAD.run(
            info, lambda: deals.send_quote(info.context.actor, record_id(id, "Quote"))
        )

    @strawberry.mutation(description="SENT -> ACCEPTED, unless EXPIRED. Needs MEMBER.")
    async def accept_quote(self, info: Info, id: docs.record_id("Quote")) -> QuotePayload:
        return await QUOTE_PAYLOAD.run(
            info, lambda: deals.accept_quote(info.context.actor, record_id(id, "Quote"))
        )

    @strawberry.mutation(description="SENT -> DECLINED, unless EXPIRED. Needs MEMBER.")
    async def decline_quote(self, info: Info, id: docs.record_id("Quote")) -> QuotePayload:
        return await QUOTE_PAYLOAD.run(
            info, lambda: deals.decline_quote(info.context.actor, record_id(id, "Quote"))
        )
