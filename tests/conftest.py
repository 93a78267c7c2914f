"""Tests run through HTTP against the ASGI app, on SQLite by default and on PostgreSQL when
GQL_CRM_TEST_DATABASE_URL is set (a throwaway database is created beside the one named).

One database serves the whole session; every test works in organizations of its own, which
keeps tests independent without truncating tables, and exercises tenancy all along.
"""

import itertools
import logging
import os
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

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

TEST_DATABASE_URL = os.environ.get("GQL_CRM_TEST_DATABASE_URL", "sqlite://:memory:")


def throwaway_database_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return url
    name = f"{parts.path.lstrip('/') or 'gql_crm'}_t{uuid.uuid4().hex[:10]}"
    return urlunsplit(parts._replace(path="/" + name))


@pytest.fixture(scope="session")
async def database():
    url = throwaway_database_url(TEST_DATABASE_URL)
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


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    return Settings(
        database_url=TEST_DATABASE_URL,
        media_dir=tmp_path_factory.mktemp("media"),
        secret_key="test-secret",
    )


@pytest.fixture(scope="session")
def app(settings):
    return create_app(settings, init_orm=False)


@pytest.fixture
async def http(app, database):
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
