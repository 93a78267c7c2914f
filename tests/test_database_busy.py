"""A write that waits too long behind another SQLite writer answers DATABASE_BUSY with HTTP
503 and Retry-After, and the same request succeeds once the lock is released.

It runs the server's app in a process of its own, on a SQLite file (whatever database the
suite runs on): the suite's in-memory database has a single connection and no other
writer can hold its lock.
"""

from tests.cli import python_script

SCRIPT = """
import asyncio, json, sqlite3, sys
import httpx
from gql_crm import db
from gql_crm.app import create_app
from gql_crm.config import Settings
from gql_crm.models import Role
from gql_crm.services import auth

path = sys.argv[1]
url = f"sqlite://{path}?busy_timeout=300"
CREATE = '''mutation { createClient(input: {name: "Ana"}) {
  client { name } errors { code } } }'''

async def main():
    async with db.orm(url):
        org = await auth.create_organization("Busy", default_country="ES")
        user = await auth.get_or_create_user(org, "ana@busy.example", Role.ADMIN)
        token = await auth.issue_token(user)
    app = create_app(Settings(database_url=url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            async def create():
                r = await http.post("/graphql", json={"query": CREATE},
                                    headers={"Authorization": f"Bearer {token}",
                                             "Accept-Language": "es"})
                return {"status": r.status_code, "retry_after": r.headers.get("retry-after"),
                        "body": r.json()}
            other = sqlite3.connect(path, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")
            other.execute("UPDATE organization SET name = 'Busy too'")
            print(json.dumps(await create()))
            other.execute("ROLLBACK")
            print(json.dumps(await create()))

asyncio.run(main())
"""


async def test_a_write_behind_another_writer_answers_database_busy(tmp_path):
    import json

    result = await python_script(SCRIPT, str(tmp_path / "busy.sqlite3"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    busy, after = (json.loads(line) for line in result.stdout.strip().splitlines())
    assert (busy["status"], busy["retry_after"]) == (503, "1")
    [error] = busy["body"]["errors"]
    assert error["extensions"]["code"] == "DATABASE_BUSY"
    assert error["extensions"]["retryAfter"] == 1
    assert error["message"].startswith("La base de datos está ocupada")
    assert error["path"] == ["createClient"]
    assert (after["status"], after["retry_after"]) == (200, None)
    assert after["body"]["data"]["createClient"] == {"client": {"name": "Ana"}, "errors": []}
