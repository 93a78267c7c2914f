"""Amounts as the API shows them."""

from decimal import Decimal

import strawberry


@strawberry.type(
    description="An amount in one currency. Amounts of different currencies are "
    "never added together."
)
class Money:
    amount: Decimal = strawberry.field(description="Exact, two decimal places.")
    currency: str = strawberry.field(description="ISO 4217, e.g. EUR.")


def money_list(amounts: dict[str, Decimal]) -> list[Money]:
    """One Money per currency, by currency code."""
    return [Money(amount=amounts[code], currency=code) for code in sorted(amounts)]
