"""The demo organization fills every card and tab of a client's profile."""

from gql_crm.api.planned.tabs import CLIENT_TABS
from gql_crm.services.demo import seed_demo
from tests.profile_helpers import SUMMARY

FIRST_CLIENT = """{ clients(first: 1) { edges { node { id
  projects { totalCount } tasks { totalCount } invoices { totalCount }
  purchaseOrders { totalCount } deals { totalCount } quotes { totalCount }
  activity { totalCount } } } } }"""


async def test_demo_profile_shows_every_state(http, database):
    _, token = await seed_demo(client_count=8)
    headers = {"Authorization": f"Bearer {token}"}

    async def data(query: str, variables: dict | None = None) -> dict:
        response = await http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    client = (await data(FIRST_CLIENT))["clients"]["edges"][0]["node"]
    assert all(
        client[tab]["totalCount"] > 0
        # The demo attaches no files.
        for tab in CLIENT_TABS
        if tab != "files"
    )
    summary = (await data(SUMMARY, {"id": client["id"]}))["client"]["summary"]
    assert summary["projects"]["count"] == 3 and summary["projects"]["hoursLogged"] != "0.00"
    assert all(summary["tasks"][card] > 0 for card in ("overdue", "pending", "upcoming"))
    assert all(entry["count"] > 0 for entry in summary["purchaseOrders"]["byStatus"])
    assert all(entry["count"] > 0 for entry in summary["sales"]["byStatus"])
    assert len(summary["sales"]["pending"]["amounts"]) == 2  # EUR and USD
    assert summary["purchases"]["overdue"]["count"] > 0
    assert all(entry["count"] > 0 for entry in summary["deals"]["byStage"])
    assert all(entry["count"] > 0 for entry in summary["quotes"]["byStatus"])
