"""Tests run through HTTP against the ASGI app, on SQLite by default and on PostgreSQL when
GQL_CRM_TEST_DATABASE_URL is set (a throwaway database is created beside the one named).

One database serves the whole session; every test works in organizations of its own, which
keeps tests independent without truncating tables, and exercises tenancy all along.

File bytes go to the local disk by default, and to an S3-compatible server when
GQL_CRM_TEST_STORAGE=s3: moto's standalone server, started for the session on a free port
of GQL_CRM_TEST_S3_PORTS (a range, "9500-9599" by default), or the server at
GQL_CRM_TEST_S3_ENDPOINT (a MinIO, say) when that is set. The S3 storage's own tests
(test_storage.py) use that server whatever the switch says.
"""

import itertools
import logging
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from tortoise import connections
from tortoise.context import TortoiseContext
from tortoise.migrations.executor import MigrationExecutor

from gql_crm.app import create_app
from gql_crm.config import Settings
from gql_crm.db import tortoise_config
from gql_crm.models import Organization, Role
from gql_crm.services import auth
from gql_crm.services.storage import serving_jobs, storage_for

TEST_DATABASE_URL = os.environ.get("GQL_CRM_TEST_DATABASE_URL", "sqlite://:memory:")
TEST_STORAGE = os.environ.get("GQL_CRM_TEST_STORAGE", "local")
S3_PORTS = os.environ.get("GQL_CRM_TEST_S3_PORTS", "9500-9599")
S3_CREDENTIALS = {"s3_access_key_id": "testing", "s3_secret_access_key": "testing"}


def throwaway_database_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return url
    name = f"{parts.path.lstrip('/') or 'gql_crm'}_t{uuid.uuid4().hex[:10]}"
    return urlunsplit(parts._replace(path="/" + name))


@pytest.fixture(scope="session")
def database_url() -> str:
    """The URL of the session's database (`database`)."""
    return throwaway_database_url(TEST_DATABASE_URL)


@pytest.fixture(scope="session")
async def database(database_url):
    url = database_url
    # Built by the migrations, as a deployment's is: they also create what the models do not
    # describe (the search indexes).
    config = tortoise_config(url)
    async with TortoiseContext() as context:
        await context.init(config=config, _create_db=True)
        await MigrationExecutor(connections.get("default"), config["apps"]).migrate()
        yield context
        if not url.startswith("sqlite"):
            connection = connections.get("default")
            await connection.close()
            await connection.db_delete()


def _free_port(ports: str) -> int:
    first, _, last = ports.partition("-")
    for port in range(int(first), int(last or first) + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports}")


def _wait_for_http(endpoint: str, server: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"moto_server exited with {server.returncode}")
        try:
            httpx.get(endpoint, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"moto_server did not answer at {endpoint} within {seconds}s")


@pytest.fixture(scope="session")
def s3_endpoint():
    """The URL of an S3-compatible server for the session (see the module's docstring)."""
    if endpoint := os.environ.get("GQL_CRM_TEST_S3_ENDPOINT"):
        yield endpoint
        return
    try:
        import moto.server  # noqa: F401
    except ImportError:
        pytest.skip("no S3-compatible server: moto is not installed (pip install 'moto[server]')")
    port = _free_port(S3_PORTS)
    # Its own process, as a real store is: what it holds is not this process's memory.
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        try:
            _wait_for_http(endpoint, server)
        except RuntimeError as exc:
            pytest.skip(f"no S3-compatible server: {exc}")
        yield endpoint
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture(scope="session")
async def s3_settings(s3_endpoint, tmp_path_factory):
    """Settings whose storage is a new bucket of the session's S3 server."""
    bucket = f"gql-crm-test-{uuid.uuid4().hex[:12]}"
    settings = Settings(
        database_url=TEST_DATABASE_URL,
        media_dir=tmp_path_factory.mktemp("media"),
        secret_key="test-secret",
        storage="s3",
        s3_bucket=bucket,
        s3_endpoint_url=s3_endpoint,
        s3_region="us-east-1",
        **S3_CREDENTIALS,
    )
    s3_client(settings).create_bucket(Bucket=bucket)
    yield settings
    await storage_for(settings).close()


def s3_client(settings: Settings):
    """A plain (blocking) boto3 client on the settings' bucket, to look at what is stored."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        region_name=settings.s3_region,
        aws_access_key_id=settings.s3_access_key_id,
        aws_secret_access_key=settings.s3_secret_access_key,
    )


@pytest.fixture(scope="session")
def settings(request, tmp_path_factory) -> Settings:
    if TEST_STORAGE == "s3":
        return request.getfixturevalue("s3_settings")
    return Settings(
        database_url=TEST_DATABASE_URL,
        media_dir=tmp_path_factory.mktemp("media"),
        secret_key="test-secret",
    )


@pytest.fixture(scope="session")
async def app(settings):
    # What a server's lifespan does (the tests bring their own ORM instead).
    async with serving_jobs(settings):
        yield create_app(settings, init_orm=False)


@pytest.fixture
async def http(app, database):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def executor_http(settings, database):
    """The app with the planned path off: every query through Strawberry's executor."""
    app = create_app(replace(settings, fast_path=False), init_orm=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


_org_numbers = itertools.count(1)


@dataclass
class Org:
    """An organization of a test's own, with a token for every role."""

    http: httpx.AsyncClient
    organization: Organization
    tokens: dict[Role, str] = field(default_factory=dict)

    @property
    def id(self) -> int:
        return self.organization.id

    async def gql(
        self,
        query: str,
        variables: dict | None = None,
        *,
        role: Role = Role.ADMIN,
        headers: dict | None = None,
    ) -> dict:
        """POSTs a GraphQL request as `role`; returns the whole JSON response."""
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {self.tokens[role]}", **(headers or {})},
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def data(self, query: str, variables: dict | None = None, **kwargs) -> dict:
        """Like gql, asserting there were no GraphQL errors; returns `data`."""
        body = await self.gql(query, variables, **kwargs)
        assert "errors" not in body, body["errors"]
        return body["data"]


@pytest.fixture
def make_org(http, database):
    async def make(name: str | None = None, *, default_country: str | None = "ES") -> Org:
        number = next(_org_numbers)
        organization = await auth.create_organization(
            name or f"Org {number}", default_country=default_country
        )
        org = Org(http, organization)
        for role in Role:
            user = await auth.get_or_create_user(
                organization, f"{role.value.lower()}@org{number}.example.com", role
            )
            org.tokens[role] = await auth.issue_token(user)
        return org

    return make


@pytest.fixture
async def org(make_org) -> Org:
    return await make_org()


class StatementCounter(logging.Handler):
    """Counts the SQL statements Tortoise's clients log."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")):
            self.statements.append(message)


@pytest.fixture
def sql_statements():
    logger = logging.getLogger("tortoise.db_client")
    handler = StatementCounter()
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    yield handler.statements
    logger.removeHandler(handler)
    logger.setLevel(previous)


@pytest.fixture
async def empty_database_url(tmp_path):
    """A database of the test run's kind with nothing in it."""
    if TEST_DATABASE_URL.startswith("sqlite"):
        yield f"sqlite://{tmp_path / 'cli.sqlite3'}"
        return
    url = throwaway_database_url(TEST_DATABASE_URL)
    name = urlsplit(url).path.lstrip("/")
    admin_url = urlunsplit(urlsplit(url)._replace(scheme="postgresql", path="/postgres"))
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
