"""The summary's sums are exact on both databases, up to the largest amounts accepted: on
SQLite, where decimals are stored as text, a plain SUM would go through floating point."""

from tests.profile_helpers import (
    SUMMARY,
    by_status,
    day,
    deal,
    figure,
    invoice,
    new_client,
    ok,
    pay,
    purchase_order,
    quote,
)

BIG = "1234567890123456.79"
# 100 x 12345678901234.5679 = BIG: the unit price fits its 18 digits, 4 of them decimal.
BIG_LINE = {"description": "Big", "quantity": "100", "unitPrice": "12345678901234.5679"}


def line(amount: str) -> dict:
    return {"description": "Small", "quantity": "1", "unitPrice": amount}


async def test_sums_of_the_largest_amounts_keep_every_cent(org):
    client_id = await new_client(org)
    for lines in ([BIG_LINE], [line("0.01")], [line("0.02")]):
        await invoice(org, client_id, currency="COP", lines=lines)
    for lines in ([BIG_LINE], [line("0.01")]):
        await invoice(org, client_id, currency="COP", lines=lines, authorize=True, dueDate=day(30))
    paid = await invoice(
        org, client_id, currency="COP", lines=[BIG_LINE], authorize=True, dueDate=day(-1)
    )
    await pay(org, paid["id"], "0.03")
    for value in ("9999999999999999.99", "0.01", "0.05"):
        await deal(org, client_id, value=value, currency="COP")
        await purchase_order(org, client_id, total=value, currency="COP")
    for lines in ([BIG_LINE], [line("0.01")], [line("0.02")]):
        await quote(org, client_id, currency="COP", lines=lines)

    summary = (await org.data(SUMMARY, {"id": client_id}))["client"]["summary"]
    sales = summary["sales"]
    assert by_status(sales["byStatus"])["DRAFT"] == figure(3, ("1234567890123456.82", "COP"))
    assert sales["pending"] == figure(2, ("1234567890123456.80", "COP"))
    assert sales["overdue"] == figure(1, ("1234567890123456.79", "COP"))
    assert sales["amountDue"] == [{"amount": "2469135780246913.56", "currency": "COP"}]
    assert summary["deals"]["open"] == figure(3, ("10000000000000000.05", "COP"))
    assert summary["purchaseOrders"]["total"] == [
        {"amount": "10000000000000000.05", "currency": "COP"}
    ]
    assert by_status(summary["quotes"]["byStatus"])["DRAFT"] == figure(
        3, ("1234567890123456.82", "COP")
    )


async def test_hours_are_summed_exactly(org):
    from tests.profile_helpers import LOG_TIME, project

    client_id = await new_client(org)
    web = await project(org, client_id)
    for hours in ("0.01", "0.02", "23.99", "0.1"):
        await ok(
            org,
            LOG_TIME,
            {"input": {"projectId": web["id"], "date": day(-1), "hours": hours}},
            "logTime",
            "timeLog",
        )
    summary = (await org.data(SUMMARY, {"id": client_id}))["client"]["summary"]
    assert summary["projects"]["hoursLogged"] == "24.12"
