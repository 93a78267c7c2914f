"""The planned path (SQL that writes the JSON) against Strawberry's executor: the same
requests, on the same data, must get the same answers, byte for byte once parsed, but for
the tokens of signed links, which hold the second they were made in: a link is compared by
what its token says (its organization and file), every other character as it is.

The corpus: the README's example queries, the queries the test suite sends for clients,
hand-written ones for every argument, error and limit, and documents generated from the
schema's covered part by hypothesis-graphql (random arguments, aliases, fragments).
"""

import dataclasses
import itertools
import json
import os
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from graphql import parse, validate
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from tortoise import connections
from tortoise.models import Model

from gql_crm import models
from gql_crm.api.activity.types import api_field_name
from gql_crm.api.planned.sql import dialect_of
from gql_crm.api.schema import build_schema
from gql_crm.app import GraphQLApp, create_app
from gql_crm.config import Settings
from gql_crm.models import (
    Activity,
    Client,
    Company,
    File,
    FilePurpose,
    ImportJob,
    Invoice,
    Quote,
    Role,
    Task,
    TimeLog,
)
from gql_crm.services import activity
from gql_crm.services.files import downloads
from gql_crm.services.imports import jobs as import_jobs
from tests.generated_documents import ID_SLOTS, covered_schema, documents, materialize
from tests.helpers import (
    ARCHIVE_CLIENT,
    CLIENT_FIELDS,
    CREATE_CATEGORY,
    DELETE,
    LIST_CLIENTS,
    RESTORE_CLIENT,
    UPDATE_CLIENT,
    create_client,
    global_id,
    pk_of,
)
from tests.imports import csv_bytes, run_import
from tests.profile_helpers import (
    CANCEL_INVOICE,
    CANCEL_PURCHASE_ORDER,
    CLOSE_PURCHASE_ORDER,
    FIGURE,
    MOVE_DEAL,
    SET_TASK_STATUS,
    SUMMARY,
    UPDATE_PROJECT,
    UPDATE_TASK,
    build_profile,
    day,
    deal,
    expired_quote,
    invoice,
    log_time,
    new_client,
    ok,
    org_today,
    pay,
    project,
    purchase_order,
    quote,
    quote_action,
    task,
)
from tests.uploads import image_bytes, upload

README = Path(__file__).resolve().parent.parent / "README.md"

# What the planned path leaves to the executor (the README's list): documents are generated
# from the rest of the schema under the roots it plans.
PLANNED_ROOTS = ("client", "node", "clients")
UNCOVERED = {
    "Activity.target",
    "ImportJob.mapping",
    "ImportJob.errors",
    "ImportJob.undo",
    "ImportJob.failedRowsUrl",
    *(f"{t}.client" for t in ("Project", "Task", "Invoice", "PurchaseOrder", "Deal", "Quote")),
    "Project.hoursLogged",
    "Project.budgetUsed",
    "Project.budgetRemaining",
    "Project.hoursByUser",
    "Project.tasks",
    "Project.timeLogs",
}
# Documents drawn per root field; GQL_CRM_DIFF_EXAMPLES=N draws N new ones per root instead.
EXAMPLES = int(os.environ.get("GQL_CRM_DIFF_EXAMPLES") or 0)
GENERATED_PER_ROOT = {"client": 70, "node": 40, "clients": 60}

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def generated_documents() -> list[tuple[str, dict]]:
    """Documents drawn before the event loop runs the tests (Hypothesis is synchronous)."""
    schema = covered_schema(build_schema()._schema, PLANNED_ROOTS, UNCOVERED)
    drawn: dict[str, tuple[str, dict]] = {}
    for root, count in GENERATED_PER_ROOT.items():

        @hypothesis_settings(
            max_examples=EXAMPLES or count,
            phases=[Phase.generate],
            derandomize=not EXAMPLES,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(documents(schema, root, org_today()))
        def collect(document: tuple[str, dict]) -> None:
            drawn.setdefault(document[0] + repr(document[1]), document)

        collect()
    return list(drawn.values())


async def build_dataset(org, make_org) -> dict:
    """Clients with every kind of value the list shows: accents, ties, nulls, shared
    companies, categories, archived ones, round and fractional timestamps, a client without
    activity."""
    categories = [
        (await org.data(CREATE_CATEGORY, {"name": name}))["createClientCategory"]["clientCategory"]
        for name in ("VIP", "Retail")
    ]
    vip, retail = categories
    specs = [
        dict(
            name="Ana",
            email="ana@example.es",
            mobile="612000001",
            country="ES",
            gender="FEMALE",
            language="es",
            categoryId=vip["id"],
            company={
                "name": "ACME",
                "legalName": "ACME S.L.",
                "taxId": "B12345674",
                "website": "https://acme.es",
                "officePhone": "912000000",
                "address": {
                    "street": "Gran Vía 1",
                    "city": "Madrid",
                    "state": "Madrid",
                    "postalCode": "28013",
                    "country": "ES",
                },
            },
        ),
        dict(name="ana", email="ana2@example.es", company={"name": "ACME"}),
        dict(name="Álvaro Núñez", country="MX", gender="MALE", categoryId=retail["id"]),
        dict(name="Alvaro Nunez", email="alvaro@example.com", gender="UNDISCLOSED"),
        dict(
            name='Zoë "Z" O\'Brien',
            country="PT",
            language="pt",
            company={"name": "Ñandú \\ Co", "address": {"city": "Lisboa"}},
        ),
        dict(name="李小龙", email="li@example.cn", gender="OTHER", categoryId=vip["id"]),
    ]
    specs += [
        dict(
            name=f"Cliente {i:02d}",
            email=f"c{i}@example.es",
            categoryId=[vip["id"], retail["id"], None][i % 3],
            country=("ES", "MX", None)[i % 3],
        )
        for i in range(20)
    ]
    created = [await create_client(org, **spec) for spec in specs]
    # Pairs of equal created_at (the id breaks the tie), whole seconds and fractions of one.
    for index, client in enumerate(created):
        moment = NOW - timedelta(days=index // 4, microseconds=250_000 * (index % 2))
        await Client.filter(id=pk_of(client["id"])).update(created_at=moment)
    await add_photos(org, [client["id"] for client in created])
    for client in created[3:6]:
        await org.data(ARCHIVE_CLIENT, {"id": client["id"]})
    # Last activity at a whole second, and none at all.
    await Activity.filter(client_id=pk_of(created[0]["id"])).update(created_at=NOW)
    await Activity.filter(client_id=pk_of(created[1]["id"])).delete()
    other = await make_org()
    stranger = await create_client(other, name="Ana de otra empresa")
    await set_photo(other, stranger["id"])
    # What no mutation makes: another organization's photo of a client without one, its
    # thumbnail of a client with one (both newer than this organization's).
    for purpose, client in ((FilePurpose.PHOTO, 3), (FilePurpose.PHOTO_THUMBNAIL, 5)):
        await File.filter(organization_id=other.id, purpose=purpose).update(
            client_id=pk_of(created[client]["id"])
        )
    return {
        "clients": created,
        "vip": vip["id"],
        "retail": retail["id"],
        "stranger": stranger["id"],
    }


class SignedLinks:
    """The settings both apps sign links with, for same_answer to read the links."""

    settings: Settings | None = None


@pytest.fixture(autouse=True)
def signed_links(settings) -> None:
    SignedLinks.settings = settings


DOWNLOAD_LINK = re.compile(r"^(http://testserver/files/(\d+))\?token=([^&]+)$")


def read_links(value):
    """`value` (an answer) with each download link's token replaced by what it says: the
    organization it opens a file of, if it is valid for the link's file."""
    if isinstance(value, dict):
        return {key: read_links(item) for key, item in value.items()}
    if isinstance(value, list):
        return [read_links(item) for item in value]
    if isinstance(value, str) and (link := DOWNLOAD_LINK.match(value)):
        assert SignedLinks.settings is not None
        address, file_id, token = link.groups()
        org_id = downloads.org_of_download_token(SignedLinks.settings, token, int(file_id))
        assert org_id is not None, f"{value}: not a valid link to its file"
        return f"{address}?token=<signed for organization {org_id}>"
    return value


SET_PHOTO = """
mutation($clientId: ID!, $file: Upload!) {
  setClientPhoto(clientId: $clientId, file: $file) { errors { code } }
}"""


async def set_photo(org, client_id: str, size=(40, 20), fmt: str = "PNG") -> None:
    body = await upload(
        org, SET_PHOTO, {"clientId": client_id}, {"file": ("me", image_bytes(fmt, size), "x")}
    )
    assert body["data"]["setClientPhoto"]["errors"] == [], body


async def add_photos(org, client_ids: list[str]) -> None:
    """Photos of every kind on the first clients: replaced (the latest one shows), without
    a thumbnail or sizes (what no mutation makes), removed, and none."""
    replaced, bare, removed, *others = client_ids
    await set_photo(org, replaced, (30, 60), "JPEG")
    await set_photo(org, replaced, (64, 48))
    await set_photo(org, bare, (10, 10))
    await File.filter(client_id=pk_of(bare), purpose=FilePurpose.PHOTO).update(
        width=None, height=None
    )
    await File.filter(client_id=pk_of(bare), purpose=FilePurpose.PHOTO_THUMBNAIL).update(
        deleted_at=NOW
    )
    await set_photo(org, removed)
    removal = await org.data(
        "mutation($id: ID!) { removeClientPhoto(clientId: $id) { errors { code } } }",
        {"id": removed},
    )
    assert removal["removeClientPhoto"]["errors"] == []
    for client_id in others[1:4]:
        await set_photo(org, client_id, (5, 7), "WEBP")


async def same_answer(
    org, executor_http, query: str, variables: dict | None = None, *, token: bool = True
) -> dict:
    headers = {"X-Request-ID": "req-diff"}
    if token:
        headers["Authorization"] = f"Bearer {org.tokens[next(iter(org.tokens))]}"
    payload = {"query": query, "variables": variables or {}}
    planned = await org.http.post("/graphql", json=payload, headers=headers)
    executed = await executor_http.post("/graphql", json=payload, headers=headers)
    assert planned.status_code == executed.status_code, (query, variables)
    assert planned.headers.get("x-request-id") == executed.headers.get("x-request-id")
    if planned.status_code == 200:
        assert planned.headers["x-request-id"] == "req-diff"
    # Numbers compared as written: 1.50 is not 1.5.
    planned_answer = read_links(json.loads(planned.text, parse_float=str))
    executed_answer = read_links(json.loads(executed.text, parse_float=str))
    assert planned_answer == executed_answer, (
        query,
        variables,
        first_difference(planned_answer, executed_answer),
    )
    return planned.json()


def first_difference(planned, executed, path: tuple = ()) -> tuple:
    """Where two answers first differ, and the two values there."""
    if isinstance(planned, dict) and isinstance(executed, dict):
        if list(planned) != list(executed):
            return path, list(planned), list(executed)
        for key in planned:
            if planned[key] != executed[key]:
                return first_difference(planned[key], executed[key], (*path, key))
    if isinstance(planned, list) and isinstance(executed, list) and len(planned) == len(executed):
        for index, (a, b) in enumerate(zip(planned, executed, strict=True)):
            if a != b:
                return first_difference(a, b, (*path, index))
    return path, planned, executed


def readme_queries() -> list[str]:
    blocks = re.findall(r"```graphql\n(.*?)```", README.read_text(), re.S)
    return [b for b in blocks if not b.lstrip().startswith(("mutation", "subscription"))]


FULL_LIST = f"""
query($search: String, $filter: ClientFilter, $orderBy: [ClientOrder!],
      $first: Int, $after: String, $last: Int, $before: String) {{
  clients(search: $search, filter: $filter, orderBy: $orderBy,
          first: $first, after: $after, last: $last, before: $before) {{
    __typename totalCount
    pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor __typename }}
    edges {{ __typename cursor node {{ __typename {CLIENT_FIELDS} lastActivityAt
      company {{ id __typename address {{ __typename }} }} category {{ __typename }} }} }}
  }}
}}"""

PHOTO_LIST = """{ clients(first: 30, filter: {status: null}, orderBy: [{field: NAME}]) {
    edges { node { name photo { __typename width height url thumbnailUrl } } } } }"""

SHAPES = [
    "{ clients { totalCount } }",
    "{ clients(first: 3) { edges { cursor } } }",
    "{ clients(first: 2) { pageInfo { endCursor } } }",
    """{ a: clients(first: 2) { n: totalCount e: edges { c: cursor x: node { i: id n: name } } }
        b: clients(last: 2, orderBy: [{field: NAME, direction: DESC}]) {
          edges { node { ...F } } edges { cursor node { company { name } } } }
        __typename }
       fragment F on Client { id name ... on Node { id } ... on Client { email } }""",
    """query Q($id: ID!) { node(id: $id) { __typename id ... on Client { name company { name }
        ...C } ... on Company { legalName } } }
       fragment C on Client { category { id name } createdAt lastActivityAt }""",
    """query($id: ID!) { client(id: $id) { id name status createdAt updatedAt lastActivityAt
        company { name address { street city state postalCode country } } } }""",
    """query($yes: Boolean!) { clients(first: 2) { edges { node { name @include(if: $yes) } } } }""",
    "{ clients(first: 1) { edges { node { photo { url } } } } }",
    PHOTO_LIST,
    """query($id: ID!) { client(id: $id) { name photo { __typename width height url
        thumbnailUrl } p: photo { url } photo { width } }
        node(id: $id) { ... on Client { photo { thumbnailUrl ...P } } } }
       fragment P on ClientPhoto { height url }""",
    "{ clientCategories { name } clients(first: 1) { totalCount } }",
    "{ __schema { queryType { name } } }",
    '{ __type(name: "Client") { name } clients(first: 1) { totalCount } }',
    'query A { clients { totalCount } } query B { client(id: "x") { id } }',
]


def planner_of(app):
    return next(
        route.endpoint.planner for route in app.routes if isinstance(route.endpoint, GraphQLApp)
    )


async def test_hand_written_corpus_answers_the_same(app, org, make_org, executor_http):
    data = await build_dataset(org, make_org)
    before = planner_of(app).counts.copy()
    first_id = data["clients"][0]["id"]
    archived_id = data["clients"][4]["id"]
    variable_sets = [
        {},
        {"first": 5},
        {"first": 0},
        {"last": 3},
        {"first": 100},
        {"search": "ana"},
        {"search": "a"},
        {"search": "ál"},
        {"search": "ACME madrid"},
        {"search": "612000001"},
        {"search": "100%"},
        {"search": "zoë"},
        {"search": "  "},
        {"filter": {"status": None}},
        {"filter": {"status": "ARCHIVED"}},
        {"filter": {"countries": ["es", "México", "Narnia"]}},
        {"filter": {"categoryIds": [data["vip"]]}},
        {"filter": {"categoryIds": [data["vip"], first_id, "abc"]}},
        {
            "filter": {
                "createdAfter": (NOW - timedelta(days=3)).isoformat(),
                "createdBefore": NOW.isoformat(),
                "status": None,
            }
        },
        {"orderBy": [{"field": "NAME"}]},
        {"orderBy": [{"field": "NAME", "direction": "DESC"}]},
        {"orderBy": [{"field": "CREATED_AT", "direction": "ASC"}, {"field": "NAME"}], "first": 7},
        {"orderBy": [{"field": "UPDATED_AT", "direction": "DESC"}], "last": 4},
        # errors: page size, both directions, bad cursors, bad variables
        {"first": 101},
        {"first": -1},
        {"first": 2, "last": 2},
        {"after": "garbage"},
        {"before": "WyJ4Il0"},
        {"first": "two"},
        {"filter": {"status": "GONE"}},
    ]
    for query in (FULL_LIST, LIST_CLIENTS):
        for variables in variable_sets:
            await same_answer(org, executor_http, query, variables)

    # Walk every order forwards and backwards, page by page, through both paths.
    for order in (
        [{"field": "NAME"}],
        [{"field": "CREATED_AT", "direction": "DESC"}],
        [{"field": "UPDATED_AT"}],
    ):
        for forward in (True, False):
            cursor = None
            for _ in range(20):
                variables = {"orderBy": order, "filter": {"status": None}}
                variables.update(
                    {"first": 4, "after": cursor} if forward else {"last": 4, "before": cursor}
                )
                page = await same_answer(org, executor_http, FULL_LIST, variables)
                info = page["data"]["clients"]["pageInfo"]
                more = info["hasNextPage"] if forward else info["hasPreviousPage"]
                if not more:
                    break
                cursor = info["endCursor"] if forward else info["startCursor"]
            else:
                pytest.fail("the walk did not end")

    ids = [
        first_id,
        archived_id,
        data["stranger"],
        data["vip"],
        "abc",
        global_id("Client", "abc"),
        global_id("Client", 0),
    ]
    for shape in SHAPES:
        for id_ in ids:
            await same_answer(org, executor_http, shape, {"id": id_, "yes": True})
    for query in readme_queries():
        await same_answer(org, executor_http, query)
    # Anonymous callers, the alias limit.
    await same_answer(org, executor_http, FULL_LIST, token=False)
    aliases = "{ " + " ".join(f"a{i}: clients {{ totalCount }}" for i in range(31)) + " }"
    await same_answer(org, executor_http, aliases)
    answered = planner_of(app).counts - before
    # Most of the corpus is covered; errors and uncovered fields went to the executor.
    assert answered["planned"] > answered["executor"], answered
    assert not answered["failed"], answered


async def answers_of_both_paths(org, settings, query: str) -> list[dict]:
    """The answers to `query` with the planned path on, then off, under `settings`."""
    answers = []
    for fast_path in (True, False):
        app = create_app(dataclasses.replace(settings, fast_path=fast_path), init_orm=False)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client:
            response = await client.post(
                "/graphql",
                json={"query": query},
                headers={"Authorization": f"Bearer {org.tokens[next(iter(org.tokens))]}"},
            )
            answers.append(response.json())
    return answers


async def test_depth_limit_applies_to_both_paths(org, settings, database):
    shallow = dataclasses.replace(settings, max_query_depth=4)
    deep = "{ clients { edges { node { company { address { city } } } } } }"
    planned, executed = await answers_of_both_paths(org, shallow, deep)
    assert planned == executed
    assert "exceeds maximum operation depth" in planned["errors"][0]["message"]


async def test_cost_limit_applies_to_both_paths(org, settings, database):
    frugal = dataclasses.replace(settings, max_query_cost=150)
    costly = "{ a: clients(first: 100) { edges { node { name company { name } } } } }"
    planned, executed = await answers_of_both_paths(org, frugal, costly)
    assert planned == executed
    assert planned["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"


async def build_generated_dataset(org, make_org) -> dict:
    """Every dataset of this module in one organization, plus what the generated documents'
    edges need: a client with every kind of history, records of an archived client, text
    no ASCII has, and rows pointing at another organization's (which read as null)."""
    listed = await build_dataset(org, make_org)
    profile = await build_profile_dataset(org, make_org)
    odd = await odd_client(org)
    history = await build_history(org, make_org)
    archived = await new_client(org, "Archivé Ñoño")
    p = await project(org, archived, name='Señal ✓ "quoted" \\ end', budget="0.01")
    await task(org, p["id"], title="Überprüfen 日本", description="línea\nnueva", dueDate=day(-2))
    await invoice(
        org,
        archived,
        authorize=True,
        dueDate=day(-20),
        lines=[{"description": "Diseño €", "quantity": "1.333", "unitPrice": "0.07"}],
    )
    await deal(org, archived, title="Trato ñ", value="0", probability=0)
    await upload(
        org, ATTACH, {"clientId": archived}, {"file": ("résumé €.txt", b"x", "text/plain")}
    )
    await org.data(ARCHIVE_CLIENT, {"id": archived})
    # What no mutation makes: a task assigned to, and a quote of a deal of, another
    # organization.
    other = await make_org()
    outsider = await new_client(other, "Fuera")
    their_deal = (await deal(other, outsider))["id"]
    their_user = (await other.data("{ users { id } }"))["users"][0]["id"]
    client_pk = pk_of(profile["client"])
    first_task = await Task.filter(client_id=client_pk).order_by("id").first()
    first_quote = await Quote.filter(client_id=client_pk).order_by("id").first()
    assert first_task and first_quote
    await Task.filter(id=first_task.id).update(assignee_id=pk_of(their_user))
    await Quote.filter(id=first_quote.id).update(deal_id=pk_of(their_deal))
    users = (await org.data("{ users { id } }"))["users"]
    projects = await org.data(
        "query($id: ID!) { client(id: $id) { projects { edges { node { id } } } } }",
        {"id": profile["client"]},
    )
    ids = [
        profile["client"],
        odd,
        profile["empty"],
        archived,
        profile["stranger"],
        outsider,
        history["client"],
        listed["clients"][0]["id"],
        projects["client"]["projects"]["edges"][0]["node"]["id"],
        users[0]["id"],
        listed["vip"],
        global_id("Client", 0),
    ]
    assert len(ids) == ID_SLOTS
    return {"ids": ids, "client": profile["client"], "archived": archived}


async def harvest_cursors(org, executor_http, client_id: str) -> list[str]:
    """Real cursors of every tab and the list, in every order, taken in turns so that a
    placeholder's number picks any kind."""
    schema = build_schema()._schema
    client_type = schema.get_type("Client")
    lists = []
    for name in TAB_NODES:
        order = client_type.fields[name].args["orderBy"].type
        for field in order.fields["field"].type.of_type.values:
            for direction in ("ASC", "DESC"):
                query = f"""query($id: ID!) {{ client(id: $id) {{ {name}(first: 100,
                    orderBy: {{field: {field}, direction: {direction}}}) {{
                    edges {{ cursor }} }} }} }}"""
                body = await same_answer(org, executor_http, query, {"id": client_id})
                lists.append([e["cursor"] for e in body["data"]["client"][name]["edges"]])
    for field in ("NAME", "CREATED_AT", "UPDATED_AT"):
        query = f"""{{ clients(first: 100, filter: {{status: null}},
            orderBy: [{{field: {field}}}]) {{ edges {{ cursor }} }} }}"""
        body = await same_answer(org, executor_http, query)
        lists.append([e["cursor"] for e in body["data"]["clients"]["edges"]])
    return [cursor for turn in itertools.zip_longest(*lists) for cursor in turn if cursor]


async def test_generated_documents_answer_the_same(
    app, org, make_org, executor_http, generated_documents
):
    data = await build_generated_dataset(org, make_org)
    cursors = await harvest_cursors(org, executor_http, data["client"])
    schema = build_schema()._schema
    before = planner_of(app).counts.copy()
    invalid = 0
    for text, variables in generated_documents:
        query, values = materialize(text, variables, data["ids"], cursors)
        # The covered schema is a part of the real one: its documents are valid there too,
        # but for fields that conflict once aliased.
        invalid += bool(validate(schema, parse(query)))
        await same_answer(org, executor_http, query, values)
    answered = planner_of(app).counts - before
    assert invalid < len(generated_documents) / 5, invalid
    # The others asked for another type's node, a text order's cursor, or had bad
    # arguments (errors both ways).
    assert answered["planned"] > len(generated_documents) / 2, answered
    assert not answered["failed"], answered


async def test_hot_queries_take_one_statement_per_root_field(org, make_org, sql_statements):
    data = await build_dataset(org, make_org)
    hot = [
        (FULL_LIST, {"first": 20, "search": "ana", "orderBy": [{"field": "NAME"}]}, 1),
        (FULL_LIST, {"last": 3, "filter": {"status": None}}, 1),
        (SHAPES[3], {}, 2),
        (SHAPES[4], {"id": data["clients"][0]["id"]}, 1),
        (SHAPES[5], {"id": data["clients"][0]["id"]}, 1),
        # Photos and their links: one subquery per client row, no statement of their own.
        (PHOTO_LIST, {}, 1),
    ]
    for query, variables, roots in hot:
        sql_statements.clear()
        await org.data(query, variables)
        # The token's look-up aside, the statements that read clients.
        reads = [s for s in sql_statements if '"apitoken"' not in s]
        assert len(reads) == roots, reads


async def test_totals_pages_search_filters_and_order_match_the_data(org, make_org):
    data = await build_dataset(org, make_org)
    page = (
        await org.data(
            FULL_LIST,
            {"search": "ana", "orderBy": [{"field": "NAME", "direction": "ASC"}], "first": 1},
        )
    )["clients"]
    assert page["totalCount"] == 2
    assert [e["node"]["name"] for e in page["edges"]] == ["Ana"]
    assert page["pageInfo"]["hasNextPage"] and not page["pageInfo"]["hasPreviousPage"]
    rest = (
        await org.data(
            FULL_LIST,
            {
                "search": "ana",
                "orderBy": [{"field": "NAME", "direction": "ASC"}],
                "after": page["pageInfo"]["endCursor"],
            },
        )
    )["clients"]
    assert [e["node"]["name"] for e in rest["edges"]] == ["ana"]
    assert rest["pageInfo"]["hasPreviousPage"] and not rest["pageInfo"]["hasNextPage"]
    vip = (
        await org.data(
            FULL_LIST, {"filter": {"categoryIds": [data["vip"]], "status": None}, "first": 100}
        )
    )["clients"]
    assert vip["totalCount"] == len(vip["edges"])
    assert {e["node"]["category"]["id"] for e in vip["edges"]} == {data["vip"]}
    archived = (await org.data(FULL_LIST, {"filter": {"status": "ARCHIVED"}}))["clients"]
    assert archived["totalCount"] == 3
    newest = (await org.data(FULL_LIST, {"first": 3}))["clients"]["edges"]
    assert [e["node"]["name"] for e in newest] == ["Álvaro Núñez", "Ana", "ana"]
    assert newest[1]["node"]["company"]["address"]["city"] == "Madrid"
    assert (await org.data(SHAPES[5], {"id": data["stranger"]}))["client"] is None


# The profile's tabs: a client with records of every kind and state.
ATTACH = """
mutation($clientId: ID!, $file: Upload!, $description: String) {
  attachClientFile(clientId: $clientId, file: $file, description: $description) {
    file { id } errors { code }
  }
}"""


async def build_profile_dataset(org, make_org) -> dict:
    client_id = await new_client(org, "Perfil")
    empty_id = await new_client(org, "Sin registros")
    p1 = await project(org, client_id, name="Web", status="ACTIVE", budget="1500.5")
    await project(org, client_id, name="App", deadline=day(10))
    # Text orders' cursors: names outside ASCII, beyond the BMP, with quotes and backslashes.
    await project(org, client_id, name='Cohete 🚀 "ñ" \\ Ünïcode')
    await project(org, client_id, name="日本語")
    for due, priority in ((-1, "HIGH"), (0, None), (3, "URGENT"), (None, "LOW")):
        extra = {"priority": priority} if priority else {}
        await task(
            org, p1["id"], title=f"T{due} é", dueDate=None if due is None else day(due), **extra
        )
    done = await task(org, p1["id"], title="Done", dueDate=day(-5))
    await ok(org, SET_TASK_STATUS, {"id": done["id"], "status": "DONE"}, "setTaskStatus", "task")
    await invoice(org, client_id)
    late = await invoice(
        org,
        client_id,
        authorize=True,
        dueDate=day(-3),
        lines=[
            {"description": "Uno", "quantity": "2", "unitPrice": "100.125", "taxRate": "21"},
            {"description": "Dos", "quantity": "0.5", "unitPrice": "10"},
        ],
    )
    await pay(org, late["id"], "50.5", day(-2))
    await pay(org, late["id"], "10", day(-1))
    await invoice(org, client_id, authorize=True, kind="PURCHASE", currency="USD", dueDate=day(4))
    paid = await invoice(org, client_id, authorize=True)
    await pay(org, paid["id"], "100")
    canceled = await invoice(org, client_id)
    await ok(org, CANCEL_INVOICE, {"id": canceled["id"]}, "cancelInvoice", "invoice")
    await purchase_order(org, client_id, total="99.99", expectedDeliveryDate=day(2))
    await purchase_order(
        org,
        client_id,
        total=None,
        lines=[{"description": "Pieza", "quantity": "3", "unitPrice": "1.5"}],
        currency="USD",
    )
    won = await deal(org, client_id, title="Grande", probability=40, expectedCloseDate=day(20))
    await deal(org, client_id, title="Sin prob")
    await ok(org, MOVE_DEAL, {"id": won["id"], "stage": "WON"}, "moveDeal", "deal")
    await ok(org, MOVE_DEAL, {"id": won["id"], "stage": "NEGOTIATION"}, "moveDeal", "deal")
    await quote(org, client_id, dealId=won["id"], validUntil=day(5))
    await expired_quote(org, client_id, dealId=won["id"])
    sent = await quote(org, client_id)
    await ok(org, quote_action("sendQuote"), {"id": sent["id"]}, "sendQuote", "quote")
    for name in ("b.txt", "a.txt"):
        # Text shaped like the planned path's placeholder of a link, which stays text.
        lookalike = f"{'0f' * 16}:{org.id}:{pk_of(client_id)}"
        body = await upload(
            org,
            ATTACH,
            {"clientId": client_id, "description": lookalike},
            {"file": (name, b"hello", "text/plain")},
        )
        assert not body["data"]["attachClientFile"]["errors"], body
    other = await make_org()
    stranger = await new_client(other, "Ajeno")
    await project(other, stranger, name="Ajeno")
    return {"client": client_id, "empty": empty_id, "stranger": stranger}


MONEY = "{ amount currency __typename }"
IMPORT_JOB = """id __typename status fileName dryRun mode matchOn unknownColumns ignoredColumns
    totalRows processedRows created updated skipped failed failureReason createdAt startedAt
    finishedAt"""
TAB_NODES = {
    "projects": f"""id __typename name status startDate deadline budget {MONEY}
        hourlyRate {{ amount }} createdAt updatedAt""",
    "tasks": """id title description status priority dueDate isOverdue createdAt updatedAt
        project { id name status __typename } assignee { email role }""",
    "invoices": f"""id kind number status issueDate dueDate subtotal {MONEY} taxTotal {MONEY}
        total {{ amount }} amountPaid {MONEY} amountDue {MONEY} authorizedAt paidAt createdAt
        daysOverdue lines {{ __typename position description quantity unitPrice {MONEY} taxRate
        subtotal {{ amount }} tax {{ currency }} total {MONEY} }}
        payments {{ amount {MONEY} date createdAt }}""",
    "purchaseOrders": f"""id number status issueDate expectedDeliveryDate subtotal {MONEY}
        taxTotal {{ amount }} total {MONEY} description createdAt
        lines {{ position quantity unitPrice {{ amount }} total {MONEY} }}""",
    "deals": f"""id title value {MONEY} stage expectedCloseDate closedAt probability
        weightedValue {MONEY} createdAt updatedAt owner {{ email }}
        previousClose {{ stage closedAt value {MONEY} reopenedAt __typename }}
        quotes {{ totalCount edges {{ cursor node {{ number status }} }} }}""",
    "quotes": f"""id number validUntil subtotal {MONEY} taxTotal {{ amount }} total {MONEY}
        sentAt acceptedAt declinedAt createdAt status deal {{ id title stage }}
        lines {{ description total {{ amount }} }}""",
    "files": "id name description size contentType sha256 createdAt url uploadedBy { email }",
    "activity": f"""id verb targetType targetId createdAt actor {{ id email }}
        changes {{ __typename field old new }} importJob {{ {IMPORT_JOB} }}""",
}


def tab_query(name: str, arguments: str = "", variables: str = "") -> str:
    args = f"({arguments})" if arguments else ""
    return f"""query($id: ID!{variables}) {{ client(id: $id) {{ id
      {name}{args} {{ __typename totalCount
        pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
        edges {{ __typename cursor node {{ {TAB_NODES[name]} }} }} }} }} }}"""


PROFILE = (
    "query($id: ID!) { c: client(id: $id) { name "
    + " ".join(
        f"{name}(first: 20) {{ totalCount edges {{ cursor node {{ {nodes} }} }} }}"
        for name, nodes in TAB_NODES.items()
    )
    + " } }"
)


CONDITIONAL = [
    """query($yes: Boolean!, $id: ID!) { client(id: $id) @include(if: $yes) { name }
         clients(first: 2) @skip(if: $yes) { totalCount } }""",
    """query($yes: Boolean!, $id: ID!) { client(id: $id) { name @skip(if: $yes)
         email @include(if: $yes) ...F @include(if: $yes)
         ... on Client @skip(if: $yes) { tasks(first: 2) { totalCount } }
         summary { tasks { overdue @include(if: $yes) pending } } } }
       fragment F on Client { invoices(first: 1) { edges { node { number
         lines @skip(if: $yes) { description } } } } }""",
    """query($yes: Boolean! = true, $id: ID!) { client(id: $id) { deals { edges { node {
         title quotes @include(if: $yes) { totalCount } } } }
         name @include(if: false) @skip(if: false) } }""",
    """query($yes: Boolean!) { clients(first: 3) { edges @include(if: $yes) { cursor }
         edges { node { name } } pageInfo @skip(if: $yes) { endCursor } } }""",
    # Everything left out: an empty object.
    """query($yes: Boolean!, $id: ID!) { client(id: $id) { name @skip(if: true)
         tasks @include(if: $yes) @skip(if: $yes) { totalCount } } }""",
]


async def test_profile_tabs_answer_the_same(app, org, make_org, executor_http):
    data = await build_profile_dataset(org, make_org)
    before = planner_of(app).counts.copy()
    planned_queries = [
        *(tab_query(name) for name in TAB_NODES),
        *(tab_query(name, "first: 2") for name in TAB_NODES),
        *(tab_query(name, "first: 0") for name in TAB_NODES),
        tab_query("tasks", "due: OVERDUE"),
        tab_query("tasks", "due: PENDING, status: [TODO]"),
        tab_query("tasks", "due: $due, orderBy: {field: PRIORITY}", ", $due: TaskDue"),
        tab_query("invoices", "kind: SALE, status: [PENDING, OVERDUE]"),
        tab_query(
            "invoices",
            "kind: $kind, status: $status, first: $first",
            ", $kind: InvoiceKind, $status: [InvoiceStatus!], $first: Int",
        ),
        tab_query("invoices", "orderBy: {field: CREATED_AT, direction: ASC}"),
        tab_query("projects", "status: [ACTIVE]"),
        tab_query("purchaseOrders", "status: [OPEN]"),
        tab_query("deals", "stage: [NEGOTIATION, LEAD], orderBy: {field: UPDATED_AT}"),
        tab_query("quotes", "status: [EXPIRED, SENT]"),
        tab_query("activity", "verb: [CREATED], first: 3"),
        tab_query("activity", "targetType: [INVOICE, DEAL]"),
        # Found by the generated documents: page info the arguments tell alone, with no
        # aggregate over the page (null without rows, an error with several on PostgreSQL).
        """query($id: ID!) { client(id: $id) { a: tasks(last: 2) { pageInfo { hasNextPage } }
             b: invoices(first: 2) { pageInfo { hasPreviousPage __typename } totalCount } } }""",
        PROFILE,
        """query($id: ID!) { node(id: $id) { ... on Client { ...T } } }
           fragment T on Client { a: tasks(first: 1) { edges { node { ... on Node { id } } } }
             b: tasks { totalCount } }""",
        """{ clients(first: 3) { edges { node { name projects { totalCount edges { node {
             name } } } invoices(first: 1) { pageInfo { endCursor hasNextPage } } } } } }""",
    ]
    for query in planned_queries:
        for id_ in (data["client"], data["empty"], data["stranger"]):
            variables = {"id": id_, "due": "OVERDUE", "kind": "SALE", "first": 1}
            variables["status"] = ["PENDING", "OVERDUE", "PAID"]
            await same_answer(org, executor_http, query, variables)
    answered = planner_of(app).counts - before
    assert answered == {"planned": 3 * len(planned_queries)}, answered

    # @skip and @include: a plan per combination of their conditions.
    before = planner_of(app).counts.copy()
    for query in CONDITIONAL:
        for yes in (True, False):
            for id_ in (data["client"], data["stranger"]):
                await same_answer(org, executor_http, query, {"id": id_, "yes": yes})
    answered = planner_of(app).counts - before
    assert answered == {"planned": 4 * len(CONDITIONAL)}, answered

    # Every tab page by page, forwards and backwards, in its default order and by date.
    window = ", $first: Int, $after: String, $last: Int, $before: String, $order: "
    for name, order, text in (
        ("projects", "ProjectOrder", "NAME"),
        ("tasks", "TaskOrder", "TITLE"),
        ("invoices", "InvoiceOrder", "NUMBER"),
        ("deals", "DealOrder", "TITLE"),
        ("files", "FileOrder", "NAME"),
        ("quotes", "QuoteOrder", "NUMBER"),
    ):
        query = tab_query(
            name,
            "first: $first, after: $after, last: $last, before: $before, orderBy: $order",
            window + order,
        )
        # By text too: its cursors hold the text as Python's JSON writes it.
        for sort in (None, {"field": "CREATED_AT", "direction": "ASC"}, {"field": text}):
            for forward in (True, False):
                cursor = None
                for _ in range(30):
                    variables = {"id": data["client"], "order": sort}
                    variables.update(
                        {"first": 2, "after": cursor} if forward else {"last": 2, "before": cursor}
                    )
                    page = await same_answer(org, executor_http, query, variables)
                    info = page["data"]["client"][name]["pageInfo"]
                    if not (info["hasNextPage"] if forward else info["hasPreviousPage"]):
                        break
                    cursor = info["endCursor"] if forward else info["startCursor"]
                else:
                    pytest.fail("the walk did not end")
    walked = planner_of(app).counts - before
    assert set(walked) == {"planned"}, walked


async def test_profile_tabs_take_one_statement_whatever_the_page_size(
    org, make_org, sql_statements
):
    data = await build_profile_dataset(org, make_org)
    listed = """{ clients(first: 5) { edges { node { name tasks(first: 20) { totalCount
        edges { cursor node { title project { name } } } } invoices(first: 20) { edges {
        node { number lines { description } payments { date } } } } } } } }"""
    for query, variables in ((PROFILE, {"id": data["client"]}), (listed, {})):
        counts = []
        for size in (1, 30):
            sql_statements.clear()
            await org.data(query.replace("first: 20", f"first: {size}"), variables)
            counts.append(len([s for s in sql_statements if '"apitoken"' not in s]))
        assert counts == [1, 1], counts


SUMMARY_EVERYTHING = f"""
query($id: ID!) {{ client(id: $id) {{ id summary {{ __typename
  projects {{ __typename count byStatus {{ __typename status count }} hoursLogged }}
  tasks {{ __typename overdue pending upcoming }}
  purchaseOrders {{ __typename count total {{ __typename amount currency }} closedCount
    byStatus {{ __typename status {FIGURE} }} }}
  sales: invoices(kind: SALE) {{ __typename kind authorized {{ __typename {FIGURE} }}
    pending {{ {FIGURE} }} overdue {{ {FIGURE} }} paid {{ {FIGURE} }}
    amountDue {{ amount currency }} byStatus {{ __typename status {FIGURE} }} }}
  purchases: invoices(kind: PURCHASE) {{ kind authorized {{ {FIGURE} }} pending {{ {FIGURE} }}
    overdue {{ {FIGURE} }} paid {{ {FIGURE} }} amountDue {{ amount currency }}
    byStatus {{ status {FIGURE} }} }}
  deals {{ __typename open {{ {FIGURE} }} won {{ {FIGURE} }} lost {{ {FIGURE} }}
    weightedOpen {{ amount currency __typename }} byStage {{ __typename stage {FIGURE} }} }}
  quotes {{ __typename byStatus {{ __typename status {FIGURE} }} }}
}} }} }}"""

SUMMARY_SHAPES = [
    SUMMARY,
    SUMMARY_EVERYTHING,
    "query($id: ID!) { client(id: $id) { summary { tasks { overdue } } } }",
    "query($id: ID!) { client(id: $id) { summary { __typename } } }",
    """query($id: ID!) { client(id: $id) { name a: summary { t: tasks { o: overdue p: pending }
        d: deals { w: weightedOpen { c: currency a: amount } } }
        b: summary { sales: invoices(kind: SALE) { due: amountDue { amount } } } } }""",
    """query($id: ID!) { node(id: $id) { ... on Client { summary { ...Cards } } } }
       fragment Cards on ClientSummary {
         projects { ...on ProjectSummary { count } hoursLogged }
         invoices(kind: PURCHASE) { pending { ...Fig } byStatus { status count ...Fig2 } }
         quotes { byStatus { ... on QuoteStatusFigure { status count } } }
       }
       fragment Fig on CountAndAmounts { count amounts { amount } }
       fragment Fig2 on InvoiceStatusFigure { amounts { currency } }""",
    """query($id: ID!, $kind: InvoiceKind!) { client(id: $id) { summary {
         invoices(kind: $kind) { kind overdue { count amounts { amount currency } }
           authorized { count } } } } }""",
    """query($id: ID!) { client(id: $id) { summary {
         purchaseOrders { count } purchaseOrders { total { currency } closedCount } } } }""",
    """query($id: ID!, $kind: InvoiceKind!) { client(id: $id) { summary {
         invoices(kind: $kind) { oldestOverdue { __typename dueDate daysOverdue
           amountDue { amount currency } invoice { id number status dueDate daysOverdue
             amountDue { amount } total { amount currency } lines { description total {
             amount } } payments { date amount { amount } } } } }
         sales: invoices(kind: SALE) { oldestOverdue { daysOverdue } } } } }""",
    # Found by the generated documents: a card asked for nothing of its rows was one
    # object per row (null with none, an error with several on PostgreSQL).
    """query($id: ID!) { client(id: $id) { summary { projects { hoursLogged __typename }
         tasks { __typename } sales: invoices(kind: SALE) { kind } purchaseOrders { __typename }
         deals { __typename } quotes { __typename } } } }""",
    """query($id: ID!) { client(id: $id) { summary { projects { hoursByUser { __typename
         hours user { id email role createdAt __typename } } h: hoursByUser { hours } } } } }""",
]
SUMMARY_LIST = f"""query($first: Int) {{
  clients(first: $first, filter: {{ status: null }}, orderBy: [{{ field: NAME }}]) {{
    totalCount edges {{ cursor node {{ name company {{ name }} summary {{
      projects {{ count hoursLogged hoursByUser {{ hours user {{ email }} }} }}
      tasks {{ overdue pending upcoming }}
      sales: invoices(kind: SALE) {{ pending {{ {FIGURE} }} overdue {{ {FIGURE} }}
        amountDue {{ amount currency }} byStatus {{ status count }} }}
      deals {{ open {{ {FIGURE} }} weightedOpen {{ amount currency }} }}
      quotes {{ byStatus {{ status {FIGURE} }} }} }} }} }} }} }}"""


async def build_summaries(org, make_org) -> list[str]:
    """Clients whose summaries cover every card: the profile tests' client (tasks, invoices
    and quotes on both sides of today), one with amounts that test the exact sums and the
    signs, one with no records, and a client of another organization."""
    full = await new_client(org, name="Full")
    await build_profile(org, full)
    # Hours by user: ties (broken by the user, a user since deleted last), cents carried
    # into units, another organization's user (null, in its id's place).
    logged = await project(org, full, name="Horas")
    for role, hours in (
        (Role.MEMBER, "1.80"),
        (Role.MEMBER, "1.95"),
        (Role.MANAGER, "3.75"),
        (Role.ADMIN, "7.75"),
        (Role.ADMIN, "0.01"),
    ):
        await log_time(org, logged["id"], hours, role=role)
    logs = await TimeLog.filter(project_id=pk_of(logged["id"])).order_by("id")
    other = await make_org()
    their_user = (await other.data("{ users { id } }"))["users"][0]["id"]
    await TimeLog.filter(id=logs[3].id).update(user_id=None)
    await TimeLog.filter(id=logs[4].id).update(user_id=pk_of(their_user))
    for value, probability, currency in (("999.99", 35, "EUR"), ("10.01", None, "MXN")):
        await deal(org, full, value=value, probability=probability, currency=currency)

    odd = await odd_client(org)
    empty = await new_client(org, name="Empty")
    other = await make_org()
    stranger = await new_client(other, name="Stranger")
    await build_profile(other, stranger)
    return [full, odd, empty, stranger]


async def odd_client(org) -> str:
    """A client whose invoices test the exact sums and the signs."""
    odd = await new_client(org, name="Odd")
    today = org_today()
    rows = [
        # Overpaid, refunded below zero, the largest amounts: what no mutation makes.
        ("AUTHORIZED", "10.00", "10.50", today - timedelta(days=1), "EUR"),
        ("AUTHORIZED", "-12.50", "0", today, "EUR"),
        ("AUTHORIZED", "0.05", "0.10", None, "USD"),
        ("AUTHORIZED", "9999999999999999.99", "0.01", today + timedelta(days=1), "COP"),
        ("AUTHORIZED", "9999999999999999.99", "0", today + timedelta(days=2), "COP"),
        ("PAID", "-0.30", "-0.30", today, "USD"),
    ]
    await Invoice.bulk_create(
        [
            Invoice(
                organization_id=org.id,
                client_id=pk_of(odd),
                kind="SALE",
                number=f"ODD-{n}",
                status=status,
                issue_date=today - timedelta(days=30),
                due_date=due,
                currency=currency,
                total=Decimal(total),
                amount_paid=Decimal(paid),
            )
            for n, (status, total, paid, due, currency) in enumerate(rows)
        ]
    )
    return odd


async def test_summaries_answer_the_same(app, org, make_org, executor_http):
    clients = await build_summaries(org, make_org)
    before = planner_of(app).counts.copy()
    for shape in SUMMARY_SHAPES:
        for client_id in clients:
            for kind in ("SALE", "PURCHASE"):
                answer = await same_answer(
                    org, executor_http, shape, {"id": client_id, "kind": kind}
                )
                assert "errors" not in answer, answer
    for first in (1, 2, 3, 50):
        await same_answer(org, executor_http, SUMMARY_LIST, {"first": first})
    answered = planner_of(app).counts - before
    assert answered == {"planned": len(SUMMARY_SHAPES) * len(clients) * 2 + 4}, answered


async def test_summaries_take_one_statement_whatever_the_page(org, make_org, sql_statements):
    await build_summaries(org, make_org)
    for first in (1, 3):
        sql_statements.clear()
        await org.data(SUMMARY_LIST, {"first": first})
        assert [s for s in sql_statements if '"apitoken"' not in s] == sql_statements[-1:]


# Root fields the planned path answers beside ones it leaves to the executor: the same
# answers, errors (with their locations) and order as the executor's alone.
SPLICED = [
    "{ clients(first: 2) { totalCount edges { node { name } } } clientCategories { name } }",
    """query($id: ID!, $n: Int) {
      viewer { role }
      client(id: $id) { name email }
      clients(first: $n) { totalCount }
    }""",
    """fragment Person on Client { name email }
    fragment Who on Viewer { role user { email } }
    query($n: Int) {
      list: clients(first: $n) { edges { node { ...Person } } }
      viewer { ...Who }
    }""",
    # Every variable is the planned field's: the executor's document loses its parentheses.
    """query Both($n: Int = 3 # the page
    ) {
      clients(first: $n) { totalCount }
      clientCategories { name }
    }""",
    # A variable both halves use.
    """query($n: Int) {
      clients(first: $n) { totalCount }
      clientDuplicates(first: $n) { totalCount }
    }""",
    # An error in the executor's half, with its locations and path.
    """{
      clients(first: 1) { totalCount }
      importJob(id: "bad") { id }
      node(id: "Q2xpZW50OjA=") { id }
    }""",
    # @skip on the executor's half, the planned half first or last.
    "query($s: Boolean!) { viewer @skip(if: $s) { role } clients(first: 1) { totalCount } }",
    # A client field the compiler does not cover sends that root field to the executor.
    """query($id: ID!) {
      a: client(id: $id) { name tasks { edges { node { client { name } } } } }
      b: client(id: $id) { name }
      clients(first: 1) { edges { node { name } } }
    }""",
]
# Left to the executor whole: a root fragment, or nothing but __typename planned.
NOT_SPLICED = [
    "{ ... on Query { clients(first: 1) { totalCount } } viewer { role } }",
    "{ __typename viewer { role } }",
    "{ viewer { role } users { email } }",
]


async def test_planned_and_executed_root_fields_are_spliced(app, org, make_org, executor_http):
    data = await build_dataset(org, make_org)
    planner = planner_of(app)
    client_id = data["clients"][0]["id"]
    variable_sets = [{"id": client_id, "n": 2, "s": True}, {"id": data["stranger"], "s": False}]
    located_errors = []
    for query in SPLICED:
        for variables in variable_sets:
            before = planner.counts.copy()
            answer = await same_answer(org, executor_http, query, variables)
            located_errors += [e["locations"] for e in answer.get("errors", []) if e["locations"]]
            # Planned whole when @skip leaves out what the executor would have answered.
            skipped = "@skip" in query and variables["s"]
            expected = Counter(planned=1) if skipped else Counter(spliced=1)
            assert planner.counts - before == expected, (query, variables, answer)
    assert located_errors, "the executor's half reported an error at its place in the text"
    for query in NOT_SPLICED:
        before = planner.counts.copy()
        await same_answer(org, executor_http, query, variable_sets[0])
        assert planner.counts - before == Counter(executor=1), query


# A client's history: every verb an entry about a client shows (ERASED entries are
# detached from any client), and changes of every kind of value the services store.
HISTORY_TAX_ID = "B85866127"
UPDATE_DEAL = """mutation($id: ID!, $input: UpdateDealInput!) {
  updateDeal(id: $id, input: $input) { deal { id } errors { code field } } }"""
MERGE = """mutation($input: MergeClientsInput!) {
  mergeClients(input: $input) { client { id } errors { code field } } }"""
UNDO_IMPORT = """mutation($id: ID!) {
  undoImportJob(id: $id, dryRun: false) { importJob { id } errors { code field } } }"""
REMOVE_PHOTO = """mutation($clientId: ID!) {
  removeClientPhoto(clientId: $clientId) { client { id } errors { code } } }"""
# What no mutation writes: names the API spells in odd ways, values of every JSON kind
# (text with control characters, quotes, backslashes and characters beyond the BMP,
# integers at the limits, booleans, nested lists and objects, nulls), members without
# "old" or "new", names outside ASCII's letters sorting by code point.
CRAFTED_CHANGES = {
    "a__b": {"old": "", "new": "x\u0001\t\n\"'\\/"},
    "_leading": {"old": 0, "new": -(2**63)},
    "trailing_": {"old": 2**63 - 1, "new": True},
    "UPPER_case_WORD": {"old": False, "new": None},
    "company.postal_code": {"new": "28013"},
    "x.y_z.__": {"old": {"b": [1, {"c": None}, []], "a": "ñ", "": {}}},
    "Zeta": {},
    "zeta": {"old": "🚀 日本 é", "new": ["é", 1, None, {"z": "\u2028"}]},
    "ñame": {"old": "1.50", "new": "2026-01-31"},
    "é": {"old": "e", "new": "E"},
}
HISTORY_NODE = f"""id verb targetType targetId createdAt actor {{ email }}
    changes {{ __typename field old new }} c2: changes {{ f: field n: new }}
    importJob {{ {IMPORT_JOB} }} job: importJob {{ status }}"""
HISTORY = f"""query($id: ID!, $first: Int, $after: String) {{ client(id: $id) {{
  activity(first: $first, after: $after) {{ totalCount pageInfo {{ hasNextPage endCursor }}
    edges {{ cursor node {{ {HISTORY_NODE} }} }} }} }} }}"""
HISTORY_SHAPES = [
    """query($id: ID!) { node(id: $id) { ... on Client { activity(first: 5,
         verb: [UPDATED, MERGED, IMPORT_UNDONE, COMPANY_UPDATED_BY_IMPORT]) { edges { node {
         verb changes { ...C } } } } } } }
       fragment C on FieldChange { field ... on FieldChange { old } new __typename }""",
    """{ clients(first: 4, filter: {status: null}, orderBy: [{field: NAME}]) { edges { node {
         name activity(first: 3) { edges { node { changes { field } } } } } } } }""",
    """query($id: ID!, $yes: Boolean!) { client(id: $id) { activity(last: 4) { edges { node {
         changes @include(if: $yes) { old } changes { new field @skip(if: $yes) } } } } } }""",
]


async def build_history(org, make_org) -> dict:
    category = (await org.data(CREATE_CATEGORY, {"name": "Historia"}))["createClientCategory"]
    client = await create_client(
        org,
        name="Historia",
        email="historia@example.es",
        mobile="612000009",
        company={
            "name": "Hist",
            "legalName": "Hist S.L.",
            "taxId": HISTORY_TAX_ID,
            "website": "https://hist.example",
            "address": {"street": "Calle 1", "city": "Madrid", "postalCode": "28001"},
        },
    )
    client_id = client["id"]
    for change in (
        {
            "name": "Historia Ñandú 🚀",
            "gender": "FEMALE",
            "categoryId": category["clientCategory"]["id"],
            "company": {
                "legalName": 'Hist "Nueva" \\ S.L.',
                "address": {"postalCode": "29001", "city": "Málaga"},
            },
        },
        {"mobile": None, "language": "es"},
    ):
        edited = await org.data(UPDATE_CLIENT, {"id": client_id, "input": change})
        assert edited["updateClient"]["errors"] == [], edited
    await ok(org, ARCHIVE_CLIENT, {"id": client_id}, "archiveClient", "client")
    await ok(org, RESTORE_CLIENT, {"id": client_id}, "restoreClient", "client")
    await set_photo(org, client_id)
    await ok(org, REMOVE_PHOTO, {"clientId": client_id}, "removeClientPhoto", "client")
    attached = await upload(
        org, ATTACH, {"clientId": client_id}, {"file": ("informe ñ.txt", b"x", "text/plain")}
    )
    file_id = attached["data"]["attachClientFile"]["file"]["id"]
    assert (await org.data(DELETE, {"id": file_id}))["deleteFile"]["errors"] == []

    made = await project(org, client_id, name="Obra", budget="1500.50", deadline=day(30))
    await ok(
        org,
        UPDATE_PROJECT,
        {"id": made["id"], "input": {"budget": "1.5", "hourlyRate": "0.01", "status": "ON_HOLD"}},
        "updateProject",
        "project",
    )
    await log_time(org, made["id"], "2.25")
    work = await task(org, made["id"], title="Tarea", priority="LOW", dueDate=day(3))
    await ok(
        org,
        UPDATE_TASK,
        {"id": work["id"], "input": {"priority": "URGENT", "dueDate": None, "description": "ü"}},
        "updateTask",
        "task",
    )
    await ok(org, SET_TASK_STATUS, {"id": work["id"], "status": "DONE"}, "setTaskStatus", "task")
    billed = await invoice(
        org,
        client_id,
        authorize=True,
        dueDate=day(-1),
        lines=[
            {"description": "Diseño €", "quantity": "1.333", "unitPrice": "0.07", "taxRate": "21"},
            {"description": "Dos", "quantity": "2", "unitPrice": "10"},
        ],
    )
    await pay(org, billed["id"], "0.50")
    dropped = await invoice(org, client_id)
    await ok(org, CANCEL_INVOICE, {"id": dropped["id"]}, "cancelInvoice", "invoice")
    closed = await purchase_order(
        org,
        client_id,
        total=None,
        lines=[{"description": "Pieza", "quantity": "3", "unitPrice": "1.5"}],
    )
    await ok(org, CLOSE_PURCHASE_ORDER, {"id": closed["id"]}, "closePurchaseOrder", "purchaseOrder")
    dropped = await purchase_order(org, client_id, total="99.99")
    await ok(
        org, CANCEL_PURCHASE_ORDER, {"id": dropped["id"]}, "cancelPurchaseOrder", "purchaseOrder"
    )
    sale = await deal(org, client_id, title="Venta", value="999.99", probability=40)
    updated = await org.data(
        UPDATE_DEAL, {"id": sale["id"], "input": {"probability": None, "value": "0.10"}}
    )
    assert updated["updateDeal"]["errors"] == [], updated
    await ok(org, MOVE_DEAL, {"id": sale["id"], "stage": "WON"}, "moveDeal", "deal")
    for action in ("acceptQuote", "declineQuote"):
        sent = await quote(org, client_id, validUntil=day(5))
        await ok(org, quote_action("sendQuote"), {"id": sent["id"]}, "sendQuote", "quote")
        await ok(org, quote_action(action), {"id": sent["id"]}, action, "quote")

    merged = [
        (await create_client(org, name=name, email=email))["id"]
        for name, email in (("Duplicado", "dup@example.es"), ("Otro", None))
    ]
    merging = await org.data(
        MERGE, {"input": {"keepId": client_id, "mergeIds": merged}}, role=Role.MANAGER
    )
    assert merging["mergeClients"]["errors"] == [], merging

    header = ["Name", "Email", "Company", "Legal name", "Tax ID", "Website", "Notas ñ"]
    rows = [
        header,
        ["Importada Ö", "importada@example.es", "Nueva Co", "", "", "", "x"],
        [
            "Historia Importada",
            "historia@example.es",
            "Hist",
            "Hist Import S.L.",
            HISTORY_TAX_ID,
            "https://import.example",
            "",
        ],
    ]
    job = await run_import(org, csv_bytes(rows), {"mode": "UPDATE_EXISTING"})
    assert (job["created"], job["updated"]) == (1, 1), job
    # A record of the client the import created keeps it (and its entries) past the undo.
    imported = await Client.get(organization_id=org.id, email="importada@example.es")
    await project(org, global_id("Client", imported.id), name="Tras importar")
    undone = await org.data(UNDO_IMPORT, {"id": job["id"]}, role=Role.MANAGER)
    assert undone["undoImportJob"]["errors"] == [], undone
    await jobs_done(job["id"])
    other = await make_org()

    # Its import job another organization's: null, as load_node reads it.
    their_job = await ImportJob.create(organization_id=other.id, file_name="theirs.csv")
    await Activity.create(
        organization_id=org.id,
        client_id=pk_of(client_id),
        verb="updated",
        target_type="Client",
        target_id=pk_of(client_id),
        changes=CRAFTED_CHANGES,
        import_job_id=their_job.id,
    )
    stranger = await new_client(other, "Ajeno")
    return {
        "client": client_id,
        "merged": merged[0],
        "imported": global_id("Client", imported.id),
        "stranger": stranger,
    }


async def jobs_done(job_id: str) -> None:
    """Awaits the import job's task (an undo's) in this process."""
    task = import_jobs.task_of(pk_of(job_id))
    if task is not None:
        await task


async def history_of(org, executor_http, client_id: str) -> list[dict]:
    """Every entry of the client's history, page by page through both paths."""
    entries: list[dict] = []
    cursor = None
    for _ in range(30):
        variables = {"id": client_id, "first": 7, "after": cursor}
        page = (await same_answer(org, executor_http, HISTORY, variables))["data"]["client"]
        if page is None:
            return entries
        entries += [edge["node"] for edge in page["activity"]["edges"]]
        if not page["activity"]["pageInfo"]["hasNextPage"]:
            return entries
        cursor = page["activity"]["pageInfo"]["endCursor"]
    pytest.fail("the walk did not end")


async def test_activity_changes_answer_the_same(app, org, make_org, executor_http):
    data = await build_history(org, make_org)
    before = planner_of(app).counts.copy()
    entries = []
    for client_id in (data["client"], data["merged"], data["imported"], data["stranger"]):
        entries += await history_of(org, executor_http, client_id)
    for shape in HISTORY_SHAPES:
        for yes in (True, False):
            await same_answer(org, executor_http, shape, {"id": data["client"], "yes": yes})
    answered = planner_of(app).counts - before
    assert set(answered) == {"planned"}, answered
    verbs = {entry["verb"] for entry in entries}
    assert verbs == {verb.name for verb in activity.Verb} - {"ERASED"}, verbs
    jobs = [entry["importJob"] for entry in entries if entry["importJob"]]
    assert {(job["status"], job["mode"], *job["unknownColumns"]) for job in jobs} == {
        ("UNDONE", "UPDATE_EXISTING", "Notas ñ")
    }, jobs
    crafted_entry = next(e for e in entries if e["changes"][0]["field"] == "UPPERCaseWord")
    assert crafted_entry["importJob"] is None
    crafted = crafted_entry["changes"]
    # By code point: capitals, "_", small letters, then beyond ASCII.
    assert [change["field"] for change in crafted] == [
        "UPPERCaseWord",
        "Zeta",
        "Leading",
        "a_B",
        "company.postalCode",
        "trailing_",
        "x.yZ.__",
        "zeta",
        "é",
        "ñame",
    ]


async def test_stored_change_names_are_spelled_as_the_executor_spells_them(org, make_org):
    """The database spells a stored name as api_field_name does: for every name the
    services store (each model's fields, a company's prefixed, the names they add), checked
    against the names the history above stored, and names with odd underscores."""
    await build_history(org, make_org)
    model_names = {
        name
        for model in vars(models).values()
        if isinstance(model, type) and issubclass(model, Model)
        for name in model._meta.fields_map
    }
    known = (
        model_names
        | {f"company.{name}" for name in Company._meta.fields_map}
        | {"lines", "payment", "merged_clients", "merged_into"}
    )
    stored = {
        name
        for changes in await Activity.filter(organization_id=org.id).values_list(
            "changes", flat=True
        )
        for name in changes
    } - set(CRAFTED_CHANGES)
    assert stored <= known, stored - known
    # ASCII identifiers, where upper() and lower() are Python's on every database.
    assert all(part.isascii() and part.isidentifier() for n in known for part in n.split("."))
    dialect = dialect_of(connections.get("default"))
    assert dialect is not None
    odd = ["", "_", "__", "a_", "_a", "a__b", "a_b_", "A_BC_dE", "x1_2y", "a.b_c", "._.", "a..b_c"]
    for name in sorted(known | set(CRAFTED_CHANGES) | set(odd)):
        rows = await dialect.execute(
            f"SELECT {dialect.api_field_name('CAST(' + dialect.placeholder(1) + ' AS TEXT)')}",
            [name],
        )
        assert rows[0][0] == api_field_name(name), name
