"""Import jobs over their life: progress over a websocket, cancel, a crash mid-job and the
start-up recovery, and other organizations' jobs."""

import asyncio

import httpx
import pytest
from httpx_ws import WebSocketDisconnect, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport

from gql_crm.models import Activity, Client, Company, ImportJob, Role
from gql_crm.services.imports import jobs
from tests.helpers import app_websocket, create_client, pk_of, subscription_data
from tests.imports import CANCEL, IMPORT_JOB, csv_bytes, run_import, start, task_ended, wait

HEADER = ["Name", "Email", "Company", "Category"]
SUBSCRIBE = """
subscription($id: ID!) {
  importJobUpdated(id: $id) { id status processedRows totalRows created }
}"""
JOBS = "query { importJobs(first: 10) { totalCount edges { node { id status } } } }"


def rows(count: int, prefix="c") -> bytes:
    return csv_bytes(
        [HEADER]
        + [[f"Client {i}", f"{prefix}{i}@example.com", f"Co {i % 3}", "Gold"] for i in range(count)]
    )


class Batches:
    """The batches a job has written, for a test to wait for."""

    def __init__(self) -> None:
        self.written = 0
        self.changed = asyncio.Condition()

    async def one_more(self) -> None:
        async with self.changed:
            self.written += 1
            self.changed.notify_all()

    async def reached(self, count: int, timeout: float = 30) -> None:
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(lambda: self.written >= count), timeout)


@pytest.fixture
def slow_batches(monkeypatch) -> Batches:
    """Batches of 2 rows with a pause after each: a job lasts long enough for a test to act
    while it runs (subscribe, read, cancel), told by `reached` how far it is."""
    monkeypatch.setattr(jobs, "BATCH_SIZE", 2)
    original = jobs.after_batch
    batches = Batches()

    async def paused(job_id):
        await original(job_id)
        await batches.one_more()
        await asyncio.sleep(0.03)

    monkeypatch.setattr(jobs, "after_batch", paused)
    return batches


async def test_progress_streams_over_graphql_transport_ws(org, app, slow_batches):
    payload = await start(org, rows(10))
    job_id = payload["importJob"]["id"]
    updates = []
    async with app_websocket(app) as ws:
        async for data in subscription_data(ws, org.tokens[Role.VIEWER], SUBSCRIBE, {"id": job_id}):
            updates.append(data["importJobUpdated"])
    processed = [update["processedRows"] for update in updates]
    assert processed == sorted(processed) and len(set(processed)) > 2
    assert updates[-1]["status"] == "SUCCEEDED" and updates[-1]["created"] == 10


async def test_subscriptions_need_a_token_and_stay_in_the_organization(org, make_org, app):
    other = await make_org()
    job_id = (await run_import(other, rows(1)))["id"]
    transport = ASGIWebSocketTransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        async with aconnect_ws("/graphql", client, subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send_json({"type": "connection_init", "payload": {}})
            # A TimeoutError (the server never answering) is not a disconnect: it fails.
            with pytest.raises(WebSocketDisconnect) as closed:
                await asyncio.wait_for(ws.receive_json(), 10)
            assert closed.value.code == 4403
        async with aconnect_ws("/graphql", client, subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send_json(
                {"type": "connection_init", "payload": {"Authorization": "Bearer gqlcrm_forged"}}
            )
            with pytest.raises(WebSocketDisconnect) as closed:
                await asyncio.wait_for(ws.receive_json(), 10)
            assert closed.value.code == 4403
        async with aconnect_ws("/graphql", client, subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send_json(
                {
                    "type": "connection_init",
                    "payload": {"Authorization": f"Bearer {org.tokens[Role.ADMIN]}"},
                }
            )
            assert (await ws.receive_json())["type"] == "connection_ack"
            await ws.send_json(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": SUBSCRIBE, "variables": {"id": job_id}},
                }
            )
            message = await asyncio.wait_for(ws.receive_json(), 10)
            assert message["payload"] == {"data": {"importJobUpdated": None}}
    # Over HTTP, as any other operation, nothing without a token.
    response = await org.http.post(
        "/graphql", json={"query": SUBSCRIBE, "variables": {"id": job_id}}
    )
    assert "importJobUpdated" not in str(response.json().get("data"))


# (subprotocol, subscribe message type, data message type)
PROTOCOLS = [("graphql-transport-ws", "subscribe", "next"), ("graphql-ws", "start", "data")]


@pytest.mark.parametrize("protocol, start, data", PROTOCOLS)
async def test_a_revoked_token_stops_working_on_an_open_socket(org, app, protocol, start, data):
    job_id = (await run_import(org, rows(1)))["id"]
    viewer = (await org.data("{ viewer { user { id } } }"))["viewer"]["user"]["id"]
    issued = (
        await org.data(
            "mutation($id: ID!) { issueApiToken(userId: $id) "
            "{ issuedToken { token apiToken { id } } } }",
            {"id": viewer},
        )
    )["issueApiToken"]["issuedToken"]
    subscribe = {"query": SUBSCRIBE, "variables": {"id": job_id}}

    async def receive(ws) -> dict:
        while True:
            message = await asyncio.wait_for(ws.receive_json(), 10)
            if message["type"] != "ka":  # the older protocol's keep-alive
                return message

    async with app_websocket(app, protocol) as ws:
        await ws.send_json(
            {
                "type": "connection_init",
                "payload": {"Authorization": f"Bearer {issued['token']}"},
            }
        )
        assert (await receive(ws))["type"] == "connection_ack"
        await ws.send_json({"id": "1", "type": start, "payload": subscribe})
        first = await receive(ws)
        assert first["type"] == data
        assert first["payload"]["data"]["importJobUpdated"]["status"] == "SUCCEEDED"
        assert (await receive(ws))["type"] == "complete"

        revoked = await org.data(
            "mutation($id: ID!) { revokeApiToken(id: $id) { errors { code } } }",
            {"id": issued["apiToken"]["id"]},
        )
        assert revoked["revokeApiToken"]["errors"] == []
        await ws.send_json({"id": "2", "type": start, "payload": subscribe})
        refused = await receive(ws)
        assert refused["type"] == "error", refused
        errors = refused["payload"]
        error = errors[0] if isinstance(errors, list) else errors
        assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_other_organizations_jobs_are_invisible(org, make_org):
    other = await make_org()
    job = await run_import(other, rows(2))
    assert (await org.data(IMPORT_JOB, {"id": job["id"]}))["importJob"] is None
    canceled = (await org.data(CANCEL, {"id": job["id"]}))["cancelImportJob"]
    assert canceled["errors"][0]["code"] == "NOT_FOUND"
    assert (await org.data(JOBS))["importJobs"]["totalCount"] == 0
    listed = (await other.data(JOBS))["importJobs"]
    assert [edge["node"]["id"] for edge in listed["edges"]] == [job["id"]]
    failed = await other.data("query { importJobs(status: FAILED) { totalCount } }")
    assert failed["importJobs"]["totalCount"] == 0
    members = await org.gql(CANCEL, {"id": job["id"]}, role=Role.MEMBER)
    assert members["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_cancel_rolls_back_what_the_job_wrote(org, slow_batches):
    existing = pk_of((await create_client(org, name="Old", email="c0@example.com"))["id"])
    payload = await start(org, rows(40), {"mode": "UPDATE_EXISTING"})
    job_id = payload["importJob"]["id"]
    await slow_batches.reached(3)
    assert await Client.filter(organization_id=org.id).count() > 1
    canceled = (await org.data(CANCEL, {"id": job_id}))["cancelImportJob"]
    assert canceled["errors"] == [] and canceled["importJob"]["status"] == "CANCELED"
    job = await wait(org, job_id)
    assert (job["created"], job["updated"]) == (0, 0)
    clients = await Client.filter(organization_id=org.id)
    assert [(c.id, c.name) for c in clients] == [(existing, "Old")]
    assert await Company.filter(organization_id=org.id).count() == 0
    again = (await org.data(CANCEL, {"id": job_id}))["cancelImportJob"]
    assert again["errors"][0]["code"] == "INVALID_STATE"


async def test_a_crash_mid_job_leaves_nothing_and_a_rerun_no_duplicates(org, monkeypatch):
    existing = pk_of(
        (
            await create_client(
                org,
                name="Old name",
                email="c1@example.com",
                company={"name": "Existing Co", "taxId": "B85866127"},
            )
        )["id"]
    )
    monkeypatch.setattr(jobs, "BATCH_SIZE", 3)
    original = jobs.after_batch
    batches = 0

    async def dies_after_two_batches(job_id):
        nonlocal batches
        await original(job_id)
        batches += 1
        if batches == 2:
            # What the process dying looks like from the database: no clean-up at all.
            raise asyncio.CancelledError

    monkeypatch.setattr(jobs, "after_batch", dies_after_two_batches)
    content = rows(10)
    payload = await start(org, content, {"mode": "UPDATE_EXISTING"})
    job_pk = pk_of(payload["importJob"]["id"])
    await task_ended(payload["importJob"]["id"])
    job = await ImportJob.get(id=job_pk)
    assert (job.status, job.processed_rows) == ("RUNNING", 6)
    assert await Client.filter(organization_id=org.id).count() == 6  # half-imported
    assert (await Client.get(id=existing)).name == "Client 1"

    assert job_pk in await jobs.recover_interrupted()
    recovered = (await org.data(IMPORT_JOB, {"id": payload["importJob"]["id"]}))["importJob"]
    assert recovered["status"] == "FAILED"
    assert "server stopped" in recovered["failureReason"]
    client = await Client.get(id=existing)
    assert (client.name, client.email) == ("Old name", "c1@example.com")
    assert await Client.filter(organization_id=org.id).count() == 1
    assert await Company.filter(organization_id=org.id).count() == 1
    assert not await Activity.filter(import_job_id=job_pk).exists()

    monkeypatch.setattr(jobs, "after_batch", original)
    rerun = await run_import(org, content, {"mode": "UPDATE_EXISTING"})
    assert (rerun["status"], rerun["created"], rerun["updated"]) == ("SUCCEEDED", 9, 1)
    again = await run_import(org, content, {"mode": "UPDATE_EXISTING"})
    assert (again["created"], again["updated"], again["skipped"]) == (0, 0, 10)
    assert await Client.filter(organization_id=org.id).count() == 10


async def test_reads_go_on_while_a_job_writes(org, slow_batches):
    payload = await start(org, rows(40))
    job_pk = pk_of(payload["importJob"]["id"])
    seen = []
    while (job := await ImportJob.get(id=job_pk)).status in ("QUEUED", "RUNNING"):
        data = await org.data("query { clients(first: 5) { totalCount } }", role=Role.VIEWER)
        seen.append(data["clients"]["totalCount"])
    # Every read was answered between two batches, each seeing whole batches only.
    assert len(seen) > 3 and all(count % 2 == 0 for count in seen), seen
    assert sorted(seen) == seen and seen[-1] <= 40
    assert job.created_count == 40


async def test_a_dead_cleaning_worker_fails_the_job_and_the_next_one_gets_a_new_one(org):
    from gql_crm.services.imports import batches

    await run_import(org, rows(2))  # the worker is up
    for process in list(batches._cleaning_pool()._processes.values()):
        process.kill()
        process.join()
    failed = await run_import(org, rows(10), {"mode": "UPDATE_EXISTING"})
    assert failed["status"] == "FAILED" and failed["failureReason"]
    assert await Client.filter(organization_id=org.id).count() == 2

    again = await run_import(org, rows(10), {"mode": "UPDATE_EXISTING"})
    assert (again["status"], again["created"]) == ("SUCCEEDED", 8)
    assert await Client.filter(organization_id=org.id).count() == 10


async def test_a_large_import_leaves_postgresql_statistics_fresh(org, monkeypatch):
    from tortoise import connections

    connection = connections.get("default")
    if connection.capabilities.dialect != "postgres":
        pytest.skip("VACUUM ANALYZE is PostgreSQL's")

    async def stamps() -> dict:
        rows = await connection.execute_query_dict(
            "SELECT relname, last_vacuum, last_analyze FROM pg_stat_user_tables "
            "WHERE relname IN ('client', 'company', 'activity')"
        )
        return {row["relname"]: (row["last_vacuum"], row["last_analyze"]) for row in rows}

    async def finished(content: bytes) -> dict:
        payload = await start(org, content)
        return await wait(org, payload["importJob"]["id"])

    before = await stamps()
    small = await finished(rows(5, prefix="small"))
    assert small["created"] == 5
    assert await stamps() == before  # below the threshold: nothing to do

    monkeypatch.setattr(jobs, "MAINTAIN_AFTER_ROWS", 20)
    large = await finished(rows(30, prefix="large"))
    assert large["status"] == "SUCCEEDED" and large["created"] == 30
    after = await stamps()
    for table in ("client", "company", "activity"):
        for new, old in zip(after[table], before.get(table, (None, None)), strict=True):
            assert new is not None and (old is None or new > old), (table, new, old)
