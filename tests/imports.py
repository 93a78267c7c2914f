"""Shared helpers of the import tests: documents, uploads as a real client sends them, and
waiting for a job's task, then reading the job through the API."""

import asyncio
import csv
import io

from gql_crm.models import Role
from gql_crm.services.imports import jobs
from tests.helpers import pk_of
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


async def task_ended(job_id: str, timeout: float = 60) -> None:
    """Returns once the job's task in this process has ended, however it ended (a task
    killed as a dying process would be included); fails after `timeout` seconds."""
    task = jobs.task_of(pk_of(job_id))
    if task is not None:
        done, _ = await asyncio.wait({task}, timeout=timeout)
        assert done, f"import {job_id} still running after {timeout} s"


async def wait(org, job_id: str, timeout: float = 60) -> dict:
    """The job's report once its task has ended."""
    await task_ended(job_id, timeout)
    job = (await org.data(IMPORT_JOB, {"id": job_id}))["importJob"]
    assert job["status"] in TERMINAL, job
    return job


async def run_import(org, content: bytes, options: dict | None = None, **kwargs) -> dict:
    payload = await start(org, content, options, **kwargs)
    assert payload["errors"] == [], payload["errors"]
    return await wait(org, payload["importJob"]["id"])


def errors_of(job: dict) -> list[tuple[int, str | None, str]]:
    return [
        (e["node"]["row"], e["node"]["field"], e["node"]["code"]) for e in job["errors"]["edges"]
    ]


# The start of a script run in a process of its own, with the database URL as argument: its
# `crash()` leaves an import job RUNNING, owned by a process of this host that cannot exist,
# with a company and a client it wrote. The script adds its own `start()` and runs both.
CRASHED_IMPORT_SCRIPT = """
import asyncio, socket, sys
from tortoise.timezone import now
from gql_crm import db
from gql_crm.app import create_app
from gql_crm.config import Settings
from gql_crm.models import Client, Company, ImportJob, ImportJobStatus, Organization

url = sys.argv[1]

async def crash():
    async with db.orm(url):
        org = await Organization.create(name="Crash", slug="crash")
        job = await ImportJob.create(organization=org, file_name="c.csv",
                                     status=ImportJobStatus.RUNNING, heartbeat_at=now(),
                                     owner_host=socket.gethostname(), owner_pid=2**22 + 7)
        company = await Company.create(organization=org, name="Half", name_key="half",
                                       import_job=job)
        await Client.create(organization=org, name="Half", name_key="half",
                            company=company, import_job=job)
"""
