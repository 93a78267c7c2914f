"""The clients list's search through its indexes (pg_trgm on PostgreSQL, an FTS5 trigram
table on SQLite) answers exactly what the plain LIKE scan answers, and the SQLite index
follows every writer."""

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tortoise import connections
from tortoise.transactions import in_transaction

from gql_crm.models import Client
from gql_crm.services import trigrams
from gql_crm.services.clients import (
    ClientFilter,
    client_sort_keys,
    clients_queryset,
    search_terms,
)
from gql_crm.services.imports import jobs
from gql_crm.services.pagination import page_query
from tests.conftest import TEST_DATABASE_URL
from tests.helpers import UPDATE_CLIENT, create_client, pk_of
from tests.imports import csv_bytes, run_import, start, task_ended

SQLITE = TEST_DATABASE_URL.startswith("sqlite")

SEARCH = """
query($search: String) {
  clients(search: $search, first: 100, filter: {status: null}) {
    totalCount edges { node { id } }
  }
}"""

# Accents, ß (folded to "ss"), LIKE's wildcards, quotes (FTS5's phrase delimiter), a
# backslash (the LIKE escape), words of one and two letters.
CORPUS = [
    dict(name="José Álvarez", email="jose.alvarez@example.com"),
    dict(name="Jose Luis Peña", mobile="+34 612 000 111"),
    dict(name="Straße Weiß GmbH", email="weiss@example.de"),
    dict(name="100% Algodón", company={"name": "Tejidos_del Sur", "taxId": "B85866127"}),
    dict(name='Ana "la jefa" O\'Neill', email="ana_o@example.com"),
    dict(
        name="Back\\slash Ltd",
        company={"name": "Talleres Ñandú", "legalName": "Talleres Ñandú S.A."},
    ),
    dict(name="Li Xu", email="li@x.io"),
    dict(name="Ödön Œuvre Æsir"),
    dict(name="ĳssel Ǆemal ﬁnance"),
    dict(name="A B C D"),
]
WORDS = sorted(
    {
        word
        for client in CORPUS
        for value in client.values()
        for word in (value.values() if isinstance(value, dict) else [value])
        for word in word.split()
    }
)


def fragments(word: str):
    """A piece of a corpus word, as typed, upper-cased or without its accents."""
    return st.tuples(
        st.integers(0, len(word)),
        st.integers(0, len(word)),
        st.sampled_from([str, str.upper, str.lower]),
    ).map(lambda cut: cut[2](word[min(cut[:2]) : max(cut[:2])]))


term = st.one_of(
    st.sampled_from(WORDS).flatmap(fragments),
    st.text(alphabet="aeiosnlrxzáéñüßÆœ%_\\'\"-.@+019 ", min_size=1, max_size=4),
    st.text(min_size=1, max_size=6),
)


async def plain_scan(org_id: int, search: str) -> set[int]:
    """The search as it was before its indexes: one LIKE per word over every row."""
    async with in_transaction() as connection:
        if not SQLITE:
            # pg_trgm's GIN index serves only bitmap scans.
            await connection.execute_script("SET LOCAL enable_bitmapscan = off")
        queryset = Client.filter(organization_id=org_id).using_db(connection)
        for word in search_terms(search):
            queryset = queryset.filter(search_text__contains=word)
        return set(await queryset.values_list("id", flat=True))


async def searched(org, search: str) -> set[int]:
    result = (await org.data(SEARCH, {"search": search}))["clients"]
    ids = {pk_of(edge["node"]["id"]) for edge in result["edges"]}
    assert result["totalCount"] == len(ids)
    return ids


async def assert_index_in_sync() -> None:
    if SQLITE:
        # rank 1: compares the index with the clients' rows, not only with itself.
        await connections.get("default").execute_query(
            "INSERT INTO client_search(client_search, rank) VALUES ('integrity-check', 1)"
        )


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(words=st.lists(term, min_size=1, max_size=3))
async def test_the_indexed_search_answers_what_the_scan_answers(org, words):
    if not await Client.filter(organization_id=org.id).exists():
        for client in CORPUS:
            await create_client(org, **client)
    search = " ".join(words)
    assert await searched(org, search) == await plain_scan(org.id, search)


async def test_every_word_must_match_long_or_short(org):
    ana = pk_of((await create_client(org, name="Ana Li", email="ana@x.io"))["id"])
    pk_of((await create_client(org, name="Ana Sánchez"))["id"])
    assert await searched(org, "li ana") == {ana}
    assert await searched(org, "ANA x.i") == {ana}
    assert await searched(org, "an li sanchez") == set()
    assert await searched(org, 'a"n') == set()


async def test_the_index_follows_updates_and_company_renames(org):
    first = await create_client(
        org, name="Zacarías Quintero", company={"name": "Ferretería Olmo", "taxId": "B85866127"}
    )
    second = await create_client(
        org, name="Berta Ruiz", company={"name": "Ferretería Olmo", "taxId": "B85866127"}
    )
    both = {pk_of(first["id"]), pk_of(second["id"])}
    assert await searched(org, "olmo") == both

    await org.data(UPDATE_CLIENT, {"id": first["id"], "input": {"name": "Zacarías Pérez"}})
    assert await searched(org, "quintero") == set()
    assert await searched(org, "zacarias perez") == {pk_of(first["id"])}

    # The company's new name reaches the other client that shares it.
    await org.data(
        UPDATE_CLIENT, {"id": first["id"], "input": {"company": {"name": "Ferretería Álamo"}}}
    )
    assert await searched(org, "olmo") == set()
    assert await searched(org, "alamo") == both
    await assert_index_in_sync()


async def test_the_index_follows_imports_and_their_roll_back(org, monkeypatch):
    header = ["Name", "Email", "Company"]
    existing = await create_client(org, name="Old Vázquez", email="c1@example.com")
    rows = [header] + [[f"Imported Ñ{i}", f"c{i}@example.com", f"Empresa {i}"] for i in range(1, 8)]
    job = await run_import(org, csv_bytes(rows), {"mode": "UPDATE_EXISTING"})
    assert (job["created"], job["updated"]) == (6, 1)
    assert len(await searched(org, "imported n")) == 7
    assert await searched(org, "vazquez") == set()
    assert await searched(org, "empresa 1") == {pk_of(existing["id"])}
    await assert_index_in_sync()

    # A second import dies half-way; the start-up recovery undoes its batches.
    monkeypatch.setattr(jobs, "BATCH_SIZE", 2)
    original = jobs.after_batch

    async def dies_after_one_batch(job_id):
        await original(job_id)
        raise asyncio.CancelledError

    monkeypatch.setattr(jobs, "after_batch", dies_after_one_batch)
    renamed = [header] + [[f"Renombrado {i}", f"c{i}@example.com", ""] for i in range(1, 8)]
    payload = await start(org, csv_bytes(renamed), {"mode": "UPDATE_EXISTING"})
    job_pk = pk_of(payload["importJob"]["id"])
    await task_ended(payload["importJob"]["id"])
    assert len(await searched(org, "renombrado")) == 2
    assert job_pk in await jobs.recover_interrupted()
    assert await searched(org, "renombrado") == set()
    assert len(await searched(org, "imported n")) == 7
    await assert_index_in_sync()


async def test_the_list_is_one_statement_whatever_the_words(org, sql_statements):
    await create_client(org, name="Marta Ibáñez")
    for search in ("marta", "ma", "m ibañez ar"):
        sql_statements.clear()
        body = await org.data(
            "query($s: String) { clients(search: $s) { edges { node { name } } } }", {"s": search}
        )
        assert len(body["clients"]["edges"]) == 1
        selects = [s for s in sql_statements if "LIKE" in s]
        assert len(selects) == 1, sql_statements


@pytest.fixture
def common_trigrams(monkeypatch):
    """Trigram statistics that call every trigram of the corpus' most shared words common,
    as PostgreSQL's would where each row holds them (services/trigrams.py): the search then
    looks up the rest of each word in the index and checks the whole word on the rows."""
    shares = {
        word[i : i + 3]: 1.0
        for word in ("example", "jose", "talleres", "alvarez")
        for i in range(len(word) - 2)
    }
    monkeypatch.setattr(trigrams.frequencies, "shares", shares)
    monkeypatch.setattr(trigrams.frequencies, "version", trigrams.frequencies.version + 1)
    # Read again (the real ones) only after the test.
    monkeypatch.setattr(trigrams.frequencies, "read_at", float("inf"))


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(words=st.lists(term, min_size=1, max_size=3))
async def test_looking_up_the_rarer_part_of_a_word_answers_what_the_scan_answers(
    org, common_trigrams, words
):
    if not await Client.filter(organization_id=org.id).exists():
        for client in CORPUS:
            await create_client(org, **client)
    search = " ".join(words)
    assert await searched(org, search) == await plain_scan(org.id, search)


async def test_a_word_with_common_trigrams_is_looked_up_by_its_rarer_part(
    org, common_trigrams, sql_statements
):
    for client in CORPUS:
        await create_client(org, **client)
    assert trigrams.index_parts("jose.alvarez@example") == []
    assert trigrams.index_parts("jose7@example") == ["se7"]
    assert trigrams.index_parts("weiss@example") == ["weiss"]
    sql_statements.clear()
    assert len(await searched(org, "JOSÉ.ALVAREZ@EXAMPLE")) == 1
    assert len(await searched(org, "Weiss@Example")) == 1
    if not SQLITE:
        whole, part = [s for s in sql_statements if "LIKE" in s]
        assert "strpos" not in whole
        assert "strpos" in part and "'%weiss%'" in part and "'%weiss@example%'" not in part


@pytest.mark.skipif(SQLITE, reason="PostgreSQL's statistics")
async def test_the_trigram_statistics_come_from_analyze(org):
    await create_client(org, name="Quirógrafo Zulueta", email="quirografo@example.com")
    await connections.get("default").execute_script('ANALYZE "client"')
    await trigrams.refresh(force=True)
    shares = trigrams.frequencies.shares
    assert shares and all(0 < share <= 1 for share in shares.values())
    assert "exa" in shares


@pytest.mark.skipif(SQLITE, reason="PostgreSQL's covering index (migration 0019)")
async def test_a_search_page_can_walk_the_creation_date_index_alone(org):
    """The page of a search whose words are each common walks the creation-date index and
    checks each row's text there (migration 0019): PostgreSQL needs no column it lacks."""
    await create_client(org, name="Lucía Núñez", email="lucia@example.com")
    queryset = clients_queryset(org.id, "lucia nunez", ClientFilter())
    page = page_query(queryset, client_sort_keys(None), first=50).queryset
    sql = page.values_list("created_at", "id").sql(params_inline=True)
    async with in_transaction() as connection:
        # Every other way to read the table off: the plan shows whether this one can serve.
        await connection.execute_script(
            "SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; "
            "SET LOCAL enable_indexscan = off"
        )
        _, rows = await connection.execute_query(f"EXPLAIN {sql}")
    plan = "\n".join(row[0] for row in rows)
    assert "Index Only Scan Backward" in plan and "search_text" in plan, plan
    assert await page.values_list("name", flat=True) == ["Lucía Núñez"]
