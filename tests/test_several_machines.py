"""Several machines: two API processes (`gql-crm serve --no-worker`) and queue workers
(`gql-crm worker`), each in an empty directory of its own, sharing one PostgreSQL database
and one bucket of an S3-compatible server (moto's, started by conftest).

A file uploaded through API A is imported by the worker and followed through API B, and
undone through B by the worker; a worker killed with SIGKILL mid-import leaves its job to the next worker, which imports the
file exactly once; a cancel sent to API B stops a job the worker runs.
"""

import asyncio
import csv
import io
import json
import os
import random
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from httpx_ws import aconnect_ws

from gql_crm.config import Settings
from tests.conftest import TEST_DATABASE_URL
from tests.helpers import subscription_data

pytestmark = [
    pytest.mark.skipif(
        TEST_DATABASE_URL.startswith("sqlite"),
        reason="API processes and workers on several machines share a PostgreSQL database "
        "(set GQL_CRM_TEST_DATABASE_URL to run it)",
    ),
    # Each test runs the gql-crm command in processes of its own.
    pytest.mark.slow,
]

GQL_CRM = str(Path(sys.executable).parent / "gql-crm")
PORTS = range(9400, 9500)
SECRET = uuid.uuid4().hex
PREFLIGHT = {"GraphQL-Require-Preflight": "1"}
BATCH = 1000  # jobs.BATCH_SIZE, in the server processes
# A dead worker's job goes to the next worker this many seconds after its last heartbeat.
HEARTBEAT_TIMEOUT = 2

IMPORT = """mutation($file: Upload!) {
  importClients(file: $file) { importJob { id status } errors { code message } }
}"""
JOB = """query($id: ID!) { importJob(id: $id) {
  status processedRows created failed failedRowsUrl finishedAt
} }"""
SUBSCRIBE = """subscription($id: ID!) {
  importJobUpdated(id: $id) { status processedRows created failed }
}"""
CANCEL = """mutation($id: ID!) {
  cancelImportJob(id: $id) { importJob { status } errors { code } }
}"""
UNDO = """mutation($id: ID!) {
  undoImportJob(id: $id) { importJob { status } errors { code } }
}"""
ATTACH = """mutation($c: ID!, $f: Upload!) {
  attachClientFile(clientId: $c, file: $f) { file { id url } errors { code } }
}"""


def free_ports(count: int) -> list[int]:
    ports = list(PORTS)
    random.shuffle(ports)
    found = []
    for port in ports:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                found.append(port)
        if len(found) == count:
            return found
    pytest.fail(f"no {count} free ports in {PORTS}")


class Cluster:
    """The processes of a deployment, each in its own empty directory."""

    def __init__(self, root: Path, database_url: str, s3: Settings):
        self.root = root
        self.env = {
            **os.environ,
            "GQL_CRM_DATABASE_URL": database_url,
            "GQL_CRM_SECRET_KEY": SECRET,
            "GQL_CRM_JOB_HEARTBEAT_TIMEOUT": str(HEARTBEAT_TIMEOUT),
            # Files and uploads in one bucket of an S3 server: no disk is shared.
            "GQL_CRM_STORAGE": "s3",
            "GQL_CRM_S3_BUCKET": s3.s3_bucket,
            "GQL_CRM_S3_ENDPOINT_URL": s3.s3_endpoint_url,
            "GQL_CRM_S3_REGION": s3.s3_region,
            "GQL_CRM_S3_ACCESS_KEY_ID": s3.s3_access_key_id,
            "GQL_CRM_S3_SECRET_ACCESS_KEY": s3.s3_secret_access_key,
        }
        self.processes: list[subprocess.Popen] = []

    def directory(self) -> Path:
        path = self.root / uuid.uuid4().hex[:8]
        path.mkdir()
        return path

    def start(self, *args: str) -> subprocess.Popen:
        workdir = self.directory()
        log = open(workdir / "process.log", "wb")  # noqa: SIM115  (closed with the process)
        process = subprocess.Popen(
            [GQL_CRM, *args], cwd=workdir, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        process.log_path = workdir / "process.log"
        self.processes.append(process)
        return process

    def run(self, *args: str) -> str:
        result = subprocess.run(
            [GQL_CRM, *args],
            cwd=self.directory(),
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    async def api(self) -> str:
        """`gql-crm serve --no-worker` on a free port; its base URL once it is ready."""
        for _ in range(5):
            port = free_ports(1)[0]
            process = self.start("serve", "--no-worker", "--port", str(port))
            base = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient() as client:
                for _ in range(600):
                    if process.poll() is not None:
                        break  # another test run took the port first: try another
                    try:
                        if (await client.get(f"{base}/readyz")).status_code == 200:
                            return base
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)
        pytest.fail("an API process did not start: " + process.log_path.read_text())

    async def worker(self) -> subprocess.Popen:
        process = self.start("worker")
        for _ in range(600):
            if b"worker ready" in process.log_path.read_bytes():
                return process
            assert process.poll() is None, process.log_path.read_text()
            await asyncio.sleep(0.1)
        pytest.fail("the worker did not start: " + process.log_path.read_text())

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
async def cluster(tmp_path, empty_database_url, s3_settings):
    cluster = Cluster(tmp_path, empty_database_url, s3_settings)
    cluster.run("migrate")
    try:
        yield cluster
    finally:
        cluster.stop()


class Api:
    def __init__(self, base: str, token: str):
        self.base = base
        self.client = httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )
        self.token = token

    async def data(self, query: str, variables: dict) -> dict:
        response = await self.client.post("/graphql", json={"query": query, "variables": variables})
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    async def upload(self, query: str, variables: dict, path: str, name: str, content: bytes):
        operations = {"query": query, "variables": {**variables, path: None}}
        response = await self.client.post(
            "/graphql",
            data={
                "operations": json.dumps(operations),
                "map": json.dumps({"0": [f"variables.{path}"]}),
            },
            files={"0": (name, content, "application/octet-stream")},
            headers=PREFLIGHT,
        )
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    async def start_import(self, content: bytes) -> str:
        payload = (await self.upload(IMPORT, {}, "file", "clients.csv", content))["importClients"]
        assert payload["errors"] == [], payload
        return payload["importJob"]["id"]

    async def job(self, job_id: str) -> dict:
        return (await self.data(JOB, {"id": job_id}))["importJob"]

    async def wait_until(self, job_id: str, done, timeout: float = 300) -> dict:
        deadline = asyncio.get_running_loop().time() + timeout
        while not done(job := await self.job(job_id)):
            assert asyncio.get_running_loop().time() < deadline, job
            await asyncio.sleep(0.05)
        return job


def clients_csv(prefix: str, count: int, *, invalid: frozenset[int] = frozenset()) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Name", "Email"])
    for n in range(count):
        email = f"{prefix}{n}@@bad" if n in invalid else f"{prefix}{n}@example.com"
        writer.writerow([f"{prefix.title()} {n}", email])
    return out.getvalue().encode()


async def imported(database_url: str, prefix: str) -> tuple[int, int]:
    """The clients whose email starts with `prefix`, and how many distinct emails they have."""
    connection = await asyncpg.connect(
        urlunsplit(urlsplit(database_url)._replace(scheme="postgresql"))
    )
    try:
        row = await connection.fetchrow(
            "SELECT count(*), count(DISTINCT email) FROM client WHERE email LIKE $1", f"{prefix}%"
        )
    finally:
        await connection.close()
    return row[0], row[1]


async def subscribe(base: str, token: str, job_id: str, updates: list, subscribed: asyncio.Event):
    """Follows the job over graphql-transport-ws until the server completes it."""
    async with (
        httpx.AsyncClient(base_url=base) as client,
        aconnect_ws("/graphql", client, subprotocols=["graphql-transport-ws"]) as ws,
    ):
        async for data in subscription_data(ws, token, SUBSCRIBE, {"id": job_id}, timeout=300):
            updates.append(data["importJobUpdated"])
            subscribed.set()


async def test_two_api_processes_and_workers_on_one_database(cluster, empty_database_url):
    token = cluster.run("create-org", "Acme").strip().splitlines()[-1]
    a = Api(await cluster.api(), token)
    b = Api(await cluster.api(), token)

    # Uploaded through A while no worker runs: the job waits in the queue.
    rows = 5 * BATCH
    job_id = await a.start_import(clients_csv("first", rows, invalid=frozenset({7, 4321})))
    updates: list[dict] = []
    subscribed = asyncio.Event()
    follower = asyncio.create_task(subscribe(b.base, token, job_id, updates, subscribed))
    await asyncio.wait_for(subscribed.wait(), 60)
    worker = await cluster.worker()
    await asyncio.wait_for(follower, 300)
    # Every batch and the end reach the subscriber of B, by NOTIFY from the worker.
    processed = [update["processedRows"] for update in updates]
    assert processed[0] == 0 and processed == sorted(processed)
    assert set(range(BATCH, rows + 1, BATCH)) <= set(processed)
    assert updates[-1] == {
        "status": "SUCCEEDED",
        "processedRows": rows,
        "created": rows - 2,
        "failed": 2,
    }
    assert await imported(empty_database_url, "first") == (rows - 2, rows - 2)

    # The failed rows and a file attached through A download through B.
    failed = (await b.client.get((await b.job(job_id))["failedRowsUrl"])).text
    assert "first7@@bad" in failed and "first4321@@bad" in failed
    client_id = (
        await a.data(
            'mutation { createClient(input: {name: "Ana"}) { client { id } errors { code } } }',
            {},
        )
    )["createClient"]["client"]["id"]
    attached = (await a.upload(ATTACH, {"c": client_id}, "f", "contract.txt", b"signed by both\n"))[
        "attachClientFile"
    ]
    assert attached["errors"] == [], attached
    download = await httpx.AsyncClient().get(attached["file"]["url"].replace(a.base, b.base))
    assert (download.status_code, download.content) == (200, b"signed by both\n")

    # Another kind of job: the undo of that import, asked of B, run by the worker.
    undoing = (await b.data(UNDO, {"id": job_id}))["undoImportJob"]
    assert undoing == {"importJob": {"status": "UNDOING"}, "errors": []}
    await a.wait_until(job_id, lambda job: job["status"] == "UNDONE")
    assert await imported(empty_database_url, "first") == (0, 0)

    # The worker is killed mid-import; the next worker imports the file exactly once.
    rows = 30 * BATCH
    job_id = await a.start_import(clients_csv("second", rows))
    await b.wait_until(job_id, lambda job: job["processedRows"] >= 3 * BATCH)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    assert await imported(empty_database_url, "second") != (0, 0)
    worker = await cluster.worker()
    job = await b.wait_until(job_id, lambda job: job["finishedAt"] is not None)
    assert (job["status"], job["created"], job["processedRows"]) == ("SUCCEEDED", rows, rows)
    assert await imported(empty_database_url, "second") == (rows, rows)

    # A cancel sent to B stops the job the worker runs, and undoes what it wrote.
    job_id = await a.start_import(clients_csv("third", rows))
    await a.wait_until(job_id, lambda job: job["processedRows"] >= 2 * BATCH)
    canceled = (await b.data(CANCEL, {"id": job_id}))["cancelImportJob"]
    assert canceled == {"importJob": {"status": "CANCELED"}, "errors": []}
    job = await a.wait_until(job_id, lambda job: job["finishedAt"] is not None)
    assert job["status"] == "CANCELED" and job["processedRows"] < rows
    assert await imported(empty_database_url, "third") == (0, 0)
