"""Every log line written while a request is handled carries the request's ID (issue 12):
a context variable set by RequestIDMiddleware, read by the handlers' RequestIDFilter."""

import asyncio
import logging
import re
from collections.abc import Iterator

import pytest

from gql_crm.http.request_id import NO_REQUEST, RequestIDFilter
from gql_crm.models import Role
from gql_crm.services import categories


class Recorder(logging.Handler):
    """A handler as `gql-crm serve` configures its own: with the request ID filter."""

    def __init__(self) -> None:
        super().__init__()
        self.addFilter(RequestIDFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    handler = Recorder()
    logger = logging.getLogger("gql_crm")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


@pytest.fixture
def failing_categories(monkeypatch):
    """The categories query fails unexpectedly, naming its organization: the view logs it."""

    async def broken(org_id: int):
        raise RuntimeError(f"broken for organization {org_id}")

    monkeypatch.setattr(categories, "list_categories", broken)


def ids_by_organization(records: list[logging.LogRecord]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for record in records:
        assert record.exc_info is not None
        org_id = str(record.exc_info[1]).rsplit(" ", 1)[-1]
        found.setdefault(org_id, set()).add(record.request_id)
    return found


async def test_a_line_logged_while_handling_a_request_carries_its_id(
    org, recorder, failing_categories
):
    given = await org.gql("{ clientCategories { name } }", headers={"X-Request-ID": "trace-7"})
    assert given["errors"][0]["extensions"]["requestId"] == "trace-7"
    response = await org.http.post(
        "/graphql",
        json={"query": "{ clientCategories { name } }"},
        headers={"Authorization": f"Bearer {org.tokens[Role.ADMIN]}"},
    )
    generated = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert response.json()["errors"][0]["extensions"]["requestId"] == generated
    assert [record.request_id for record in recorder.records] == ["trace-7", generated]


async def test_concurrent_requests_keep_their_own_ids(make_org, recorder, failing_categories):
    orgs = [await make_org() for _ in range(6)]
    await asyncio.gather(
        *(
            org.gql("{ clientCategories { name } }", headers={"X-Request-ID": f"trace-{n}"})
            for n, org in enumerate(orgs)
        )
    )
    assert ids_by_organization(recorder.records) == {
        str(org.organization.id): {f"trace-{n}"} for n, org in enumerate(orgs)
    }


def test_a_line_logged_outside_any_request_says_so(recorder):
    logging.getLogger("gql_crm.startup").warning("no request here")
    assert [record.request_id for record in recorder.records] == [NO_REQUEST]


@pytest.mark.parametrize("path", ["/healthz", "/no-such-page"])
async def test_answers_outside_graphql_carry_the_id_too(http, path):
    response = await http.get(path, headers={"X-Request-ID": "trace-9"})
    assert response.headers["x-request-id"] == "trace-9"
