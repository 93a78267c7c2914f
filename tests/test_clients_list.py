"""The clients list: search, filters, ordering and cursor pagination."""

from datetime import UTC, datetime, timedelta

import pytest

from gql_crm.models import Client
from tests.helpers import CREATE_CATEGORY, LIST_CLIENTS, create_client, names, pk_of


async def listing(org, **variables) -> dict:
    return (await org.data(LIST_CLIENTS, variables))["clients"]


async def test_search_ignores_case_and_accents(org):
    await create_client(org, name="José Álvarez", email="jose@example.com")
    await create_client(org, name="Jose Luis Peña", mobile="+34 612 000 111")
    await create_client(
        org,
        name="Marta Ibáñez",
        company={
            "name": "Talleres Ñandú",
            "legalName": "Talleres Ñandú S.A.",
            "taxId": "12345678Z",
        },
    )
    assert sorted(names(await listing(org, search="jose"))) == ["Jose Luis Peña", "José Álvarez"]
    assert names(await listing(org, search="JOSÉ ALVAREZ")) == ["José Álvarez"]
    assert names(await listing(org, search="pena")) == ["Jose Luis Peña"]
    assert names(await listing(org, search="nandu")) == ["Marta Ibáñez"]
    assert names(await listing(org, search="talleres ñandú s.a.")) == ["Marta Ibáñez"]
    assert names(await listing(org, search="12345678z")) == ["Marta Ibáñez"]
    assert names(await listing(org, search="612000111")) == ["Jose Luis Peña"]
    assert names(await listing(org, search="+34612000111")) == ["Jose Luis Peña"]
    assert names(await listing(org, search="jose@example")) == ["José Álvarez"]
    assert names(await listing(org, search="100%")) == []
    assert names(await listing(org, search="_")) == []
    assert names(await listing(org, search="jos\x00é álvarez")) == ["José Álvarez"]
    assert names(await listing(org, search="álvarez\x00")) == ["José Álvarez"]
    assert (await listing(org, search="   "))["totalCount"] == 3


async def test_filters(org, make_org):
    vip = (await org.data(CREATE_CATEGORY, {"name": "VIP"}))["createClientCategory"][
        "clientCategory"
    ]
    retail = (await org.data(CREATE_CATEGORY, {"name": "Retail"}))["createClientCategory"][
        "clientCategory"
    ]
    old = await create_client(org, name="Old", country="ES", categoryId=vip["id"])
    mid = await create_client(org, name="Mid", country="MX", categoryId=retail["id"])
    new = await create_client(org, name="New", country="PT")
    now = datetime.now(UTC)
    for client, days in ((old, 30), (mid, 10), (new, 0)):
        await Client.filter(id=pk_of(client["id"])).update(created_at=now - timedelta(days=days))

    def at(days: int) -> str:
        return (now - timedelta(days=days)).isoformat()

    assert names(await listing(org, filter={"createdAfter": at(10)})) == ["New", "Mid"]
    assert names(await listing(org, filter={"createdBefore": at(10)})) == ["Old"]
    assert names(await listing(org, filter={"createdAfter": at(20), "createdBefore": at(5)})) == [
        "Mid"
    ]
    assert names(await listing(org, filter={"categoryIds": [vip["id"]]})) == ["Old"]
    assert names(await listing(org, filter={"categoryIds": [vip["id"], retail["id"]]})) == [
        "Mid",
        "Old",
    ]
    assert names(await listing(org, filter={"countries": ["pt", "MX"]})) == ["New", "Mid"]
    assert names(await listing(org, filter={"countries": ["MX"]}, search="old")) == []
    assert names(await listing(org, filter={"countries": ["México", "Narnia", "\x00"]})) == ["Mid"]
    other = await make_org()
    foreign = (await other.data(CREATE_CATEGORY, {"name": "VIP"}))["createClientCategory"]
    assert (
        names(await listing(org, filter={"categoryIds": [foreign["clientCategory"]["id"]]})) == []
    )


async def test_ordering_is_stable_with_ties(org):
    for name in ["beta", "Álvaro", "alvaro", "Beta", "Carmen", "beta"]:
        await create_client(org, name=name)
    same_time = datetime(2026, 1, 1, tzinfo=UTC)
    await Client.filter(organization_id=org.id).update(created_at=same_time)
    by_name = await listing(org, orderBy=[{"field": "NAME", "direction": "ASC"}], first=10)
    assert [n.casefold() for n in names(by_name)] == [
        "álvaro",
        "alvaro",
        "beta",
        "beta",
        "beta",
        "carmen",
    ]
    ids = [pk_of(e["node"]["id"]) for e in by_name["edges"]]
    assert ids[:2] == sorted(ids[:2]) and ids[2:5] == sorted(ids[2:5])

    # Paging through ties one row at a time neither repeats nor skips a client.
    seen, after = [], None
    for _ in range(6):
        page = await listing(
            org, orderBy=[{"field": "CREATED_AT", "direction": "DESC"}], first=1, after=after
        )
        seen += [e["node"]["id"] for e in page["edges"]]
        after = page["pageInfo"]["endCursor"]
    assert len(set(seen)) == 6
    assert page["pageInfo"]["hasNextPage"] is False

    desc = await listing(
        org,
        orderBy=[
            {"field": "NAME", "direction": "DESC"},
            {"field": "CREATED_AT", "direction": "ASC"},
        ],
    )
    assert names(desc)[0] == "Carmen"


async def test_pagination_both_ways(org):
    for i in range(7):
        await create_client(org, name=f"Client {i}")
    order = [{"field": "NAME", "direction": "ASC"}]
    page1 = await listing(org, orderBy=order, first=3)
    assert names(page1) == ["Client 0", "Client 1", "Client 2"]
    assert page1["totalCount"] == 7
    assert page1["pageInfo"]["hasNextPage"] is True
    assert page1["pageInfo"]["hasPreviousPage"] is False
    page2 = await listing(org, orderBy=order, first=3, after=page1["pageInfo"]["endCursor"])
    assert names(page2) == ["Client 3", "Client 4", "Client 5"]
    assert page2["pageInfo"]["hasPreviousPage"] is True
    page3 = await listing(org, orderBy=order, first=3, after=page2["pageInfo"]["endCursor"])
    assert names(page3) == ["Client 6"]
    assert page3["pageInfo"]["hasNextPage"] is False

    back = await listing(org, orderBy=order, last=3, before=page3["pageInfo"]["startCursor"])
    assert names(back) == ["Client 3", "Client 4", "Client 5"]
    assert back["pageInfo"]["hasPreviousPage"] is True
    assert back["pageInfo"]["hasNextPage"] is True
    tail = await listing(org, orderBy=order, last=2)
    assert names(tail) == ["Client 5", "Client 6"]
    assert tail["pageInfo"]["hasNextPage"] is False
    first_page_back = await listing(
        org, orderBy=order, last=5, before=page2["pageInfo"]["startCursor"]
    )
    assert names(first_page_back) == ["Client 0", "Client 1", "Client 2"]
    assert first_page_back["pageInfo"]["hasPreviousPage"] is False
    assert (await listing(org, first=0))["edges"] == []


@pytest.mark.parametrize(
    "variables,reason",
    [
        ({"first": 101}, "PAGE_SIZE_EXCEEDED"),
        ({"last": 500}, "PAGE_SIZE_EXCEEDED"),
        ({"first": -1}, "NEGATIVE_PAGE_SIZE"),
        ({"last": -1}, "NEGATIVE_PAGE_SIZE"),
        ({"first": 2, "last": 2}, "INVALID_PAGINATION"),
        ({"after": "garbage!"}, "INVALID_CURSOR"),
        ({"after": "WzFd"}, "INVALID_CURSOR"),
    ],
)
async def test_bad_pagination_is_a_clear_error(org, variables, reason):
    body = await org.gql(LIST_CLIENTS, variables, headers={"Accept-Language": "es"})
    error = body["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "reason": reason}
    assert error["path"] == ["clients"]
    if reason == "PAGE_SIZE_EXCEEDED":
        assert error["message"] == "Pida como máximo 100 elementos por página."
    if variables == {"first": -1}:
        assert error["message"] == "first no puede ser negativo."


async def test_nested_fields_do_not_multiply_statements(org, sql_statements):
    category = (await org.data(CREATE_CATEGORY, {"name": "VIP"}))["createClientCategory"]
    for i in range(12):
        await create_client(
            org,
            name=f"C{i}",
            categoryId=category["clientCategory"]["id"],
            company={"name": f"Co {i}"},
        )
    query = """query($first: Int) { clients(first: $first) { totalCount edges { node {
        name category { name } company { name address { city } } } } } }"""
    counts = []
    for first in (2, 12):
        sql_statements.clear()
        data = await org.data(query, {"first": first})
        assert len(data["clients"]["edges"]) == first
        counts.append(len(sql_statements))
    assert counts[0] == counts[1]
    # one statement (the planned path) for the page, its nodes with their category and
    # company, and the count (the token is cached since the requests before)
    assert counts[1] == 1
