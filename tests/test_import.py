"""Importing clients through HTTP multipart uploads: the files people have, the modes, the
report, and nothing duplicated or lost."""

from pathlib import Path

from gql_crm.models import Activity, Client, ClientCategory, Company, ImportJob, Role
from tests.helpers import create_client, pk_of
from tests.imports import csv_bytes, errors_of, run_import, start

SAMPLES = Path("/work/shared/samples")
HEADER = ["Name", "Email", "Mobile", "Country", "Category", "Company", "Tax ID"]


async def stored(org) -> list[Client]:
    return await Client.filter(organization_id=org.id).order_by("id")


async def test_utf8_bom_sample_imports_every_row(org):
    job = await run_import(org, (SAMPLES / "clients_utf8_bom.csv").read_bytes())
    assert job["status"] == "SUCCEEDED", job
    assert (job["totalRows"], job["created"], job["failed"]) == (25, 25, 0)
    assert [m["field"] for m in job["mapping"]][:4] == ["NAME", "EMAIL", "MOBILE", "COUNTRY"]
    clients = await stored(org)
    assert len(clients) == 25
    assert clients[0].name == "Raúl Torres" and clients[0].mobile == "+34637266537"
    assert clients[0].country == "ES"
