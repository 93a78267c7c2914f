"""The README's client profile queries run as written."""

import re
from pathlib import Path

from tests.profile_helpers import deal, invoice, new_client, project, task

README = Path(__file__).resolve().parent.parent / "README.md"


def profile_documents() -> list[str]:
    text = README.read_text()
    start = text.index("## Client profile")
    section = text[start : text.index("\n## ", start)]
    return re.findall(r"```graphql\n(.*?)```", section, re.S)


async def test_readme_profile_queries_run(org):
    client_id = await new_client(org, name="README")
    p = await project(org, client_id, status="ACTIVE")
    await task(org, p["id"], dueDate="2020-01-01")
    await invoice(org, client_id, authorize=True, dueDate="2099-01-01")
    await deal(org, client_id)
    documents = profile_documents()
    assert len(documents) >= 10
    for document in documents:
        data = await org.data(document, {"id": client_id, "client": client_id})
        assert data, document
