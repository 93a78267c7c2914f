"""Shared helpers of the import tests: documents, uploads as a real client sends them, and
waiting for a job through the API."""

import asyncio
import csv
import io

from gql_crm.models import Role
from tests.uploads import upload

IMPORT_CLIENTS = """
mutation($file: Upload!, $options: ImportOptionsInput) {
  importClients(file: $file, options: $options) {
    importJob { id status totalRows }
    errors { code field message }
  }
}"""

JOB_FIELDS = """
id status fileName dryRun mode matchOn mapping { index column field }
unknownColumns ignoredColumns totalRows processedRows created updated skipped failed
failureReason failedRowsUrl
errors(first: 100) { totalCount edges { node { row column field code message value } } }
"""

IMPORT_JOB = f"query($id: ID!) {{ importJob(id: $id) {{ {JOB_FIELDS} }} }}"

CANCEL = """
mutation($id: ID!) { cancelImportJob(id: $id) { importJob { id status } errors { code field } } }
"""

TERMINAL = ("SUCCEEDED", "FAILED", "CANCELED")


def csv_bytes(
    rows: list[list[str]],
    *,
    delimiter=",",
    encoding="utf-8",
    line="\r\n",
    quoting=csv.QUOTE_MINIMAL,
) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=line, quoting=quoting).writerows(rows)
    return out.getvalue().encode(encoding)


async def start(
    org,
    content: bytes,
    options: dict | None = None,
    *,
    name="clients.csv",
    content_type="text/csv",
    role=Role.MANAGER,
    headers=None,
) -> dict:
    body = await upload(
        org,
        IMPORT_CLIENTS,
        {"options": options},
        {"file": (name, content, content_type)},
        role=role,
        headers=headers,
    )
    assert "errors" not in body, body
    return body["data"]["importClients"]


async def wait(org, job_id: str, timeout: float = 60) -> dict:
    """Polls importJob until the job ends, as a client without websockets would."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        job = (await org.data(IMPORT_JOB, {"id": job_id}))["importJob"]
        if job["status"] in TERMINAL:
            return job
        assert asyncio.get_running_loop().time() < deadline, job
        await asyncio.sleep(0.02)


async def run_import(org, content: bytes, options: dict | None = None, **kwargs) -> dict:
    payload = await start(org, content, options, **kwargs)
    assert payload["errors"] == [], payload["errors"]
    return await wait(org, payload["importJob"]["id"])


def errors_of(job: dict) -> list[tuple[int, str | None, str]]:
    return [
        (e["node"]["row"], e["node"]["field"], e["node"]["code"]) for e in job["errors"]["edges"]
    ]
