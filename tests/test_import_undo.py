"""undoImportJob through HTTP: an import that creates and updates, a later manual edit of one
updated client and a later invoice on one created client; the dry run's report, the undo
job's progress, report and stored rows; typed errors; an undo racing an edit."""

import asyncio

import pytest
from tortoise.timezone import now

from gql_crm.models import (
    Activity,
    Client,
    Company,
    ImportJob,
    ImportJobStatus,
    ImportUndo,
    Invoice,
    Role,
)
from gql_crm.services.imports import jobs, undo
from tests.helpers import (
    UPDATE_CLIENT,
    app_websocket,
    create_client,
    global_id,
    pk_of,
    subscription_data,
)
from tests.imports import CANCEL, csv_bytes, run_import
from tests.profile_helpers import invoice

COUNTS = """removedClients removedCompanies restoredClients restoredCompanies keptClients
  keptCompanies conflicts"""
ISSUE = "reason targetType field message client { id name } company { name }"
UNDO = f"""
mutation($id: ID!, $dryRun: Boolean!) {{
  undoImportJob(id: $id, dryRun: $dryRun) {{
    importJob {{ id status }}
    preview {{ {COUNTS} issues {{ {ISSUE} }} }}
    errors {{ code field message }}
  }}
}}"""
JOB_UNDO = f"""
query($id: ID!) {{ importJob(id: $id) {{ status undo {{
  {COUNTS} totalItems processedItems startedAt finishedAt
  issues(first: 50) {{ totalCount edges {{ node {{ {ISSUE} }} }} }}
}} }} }}"""
SUBSCRIBE = """
subscription($id: ID!) {
  importJobUpdated(id: $id) { status undo { processedItems totalItems } }
}"""

HEADER = ["Name", "Email", "Mobile", "Country", "Company"]


async def scenario(org) -> dict:
    """Ana and Bea exist; the import renames both, gives Ana a mobile and Bea a country,
    and creates Carla (company Nueva) and Dani (company Otra). Then someone renames Ana by
    hand and invoices Carla."""
    ana = await create_client(org, name="Ana", email="ana@example.com", country="ES")
    bea = await create_client(org, name="Bea", email="bea@example.com")
    rows = [
        HEADER,
        ["Ana María", "ana@example.com", "+34612345678", "", ""],
        ["Beatriz", "bea@example.com", "", "PT", ""],
        ["Carla", "carla@example.com", "", "", "Nueva"],
        ["Dani", "dani@example.com", "", "", "Otra"],
    ]
    job = await run_import(org, csv_bytes(rows), {"mode": "UPDATE_EXISTING"})
    assert (job["status"], job["created"], job["updated"]) == ("SUCCEEDED", 2, 2)
    edited = await org.data(UPDATE_CLIENT, {"id": ana["id"], "input": {"name": "Ana Editada"}})
    assert edited["updateClient"]["errors"] == []
    carla = await Client.get(organization_id=org.id, name="Carla")
    await invoice(org, global_id("Client", carla.id))
    return {"job": job, "ana": pk_of(ana["id"]), "bea": pk_of(bea["id"]), "carla": carla.id}


async def until_done(job_id: str) -> None:
    """Awaits the undo's task in this process."""
    task = jobs.task_of(pk_of(job_id))
    if task is not None:
        await task


async def test_dry_run_reports_and_changes_nothing_then_the_undo_does_it(org):
    s = await scenario(org)
    job_id = s["job"]["id"]
    before = {
        c.id: (c.name, c.mobile, c.country) for c in await Client.filter(organization_id=org.id)
    }

    data = await org.data(UNDO, {"id": job_id, "dryRun": True}, role=Role.MANAGER)
    payload = data["undoImportJob"]
    assert payload["errors"] == []
    assert payload["importJob"]["status"] == "SUCCEEDED"
    preview = payload["preview"]
    expected_counts = {
        "removedClients": 1,  # Dani
        "removedCompanies": 1,  # Otra
        "restoredClients": 2,  # Ana's mobile, Bea's name and country
        "restoredCompanies": 0,
        "keptClients": 1,  # Carla, invoiced since
        "keptCompanies": 1,  # Nueva, Carla's
        "conflicts": 1,  # Ana's name, edited since
    }
    assert {k: preview[k] for k in expected_counts} == expected_counts
    issues = sorted(
        (i["reason"], i["targetType"], i["field"], i["client"]["name"]) for i in preview["issues"]
    )
    assert issues == [
        ("CHANGED_SINCE", "Client", "name", "Ana Editada"),
        ("COMPANY_IN_USE", "Company", None, "Carla"),
        ("RECORDS_ADDED", "Client", None, "Carla"),
    ]
    spanish = await org.gql(
        UNDO, {"id": job_id, "dryRun": True}, role=Role.MANAGER, headers={"Accept-Language": "es"}
    )
    assert any(
        "después de la importación" in issue["message"]
        for issue in spanish["data"]["undoImportJob"]["preview"]["issues"]
    )
    after = {
        c.id: (c.name, c.mobile, c.country) for c in await Client.filter(organization_id=org.id)
    }
    assert after == before
    assert (await ImportJob.get(id=pk_of(job_id))).status == ImportJobStatus.SUCCEEDED

    data = await org.data(UNDO, {"id": job_id, "dryRun": False}, role=Role.MANAGER)
    assert data["undoImportJob"]["errors"] == []
    assert data["undoImportJob"]["importJob"]["status"] in ("UNDOING", "UNDONE")
    assert data["undoImportJob"]["preview"] is None
    await until_done(job_id)

    job = (await org.data(JOB_UNDO, {"id": job_id}))["importJob"]
    assert job["status"] == "UNDONE"
    report = job["undo"]
    assert {k: report[k] for k in expected_counts} == expected_counts
    # 2 client updates, 2 created clients, 2 created companies.
    assert (report["totalItems"], report["processedItems"]) == (6, 6)
    assert report["finishedAt"] is not None
    stored_issues = sorted(
        (e["node"]["reason"], e["node"]["field"], e["node"]["client"]["name"])
        for e in report["issues"]["edges"]
    )
    assert stored_issues == [(r, f, n) for r, _, f, n in issues]
    assert report["issues"]["totalCount"] == 3

    clients = {c.name: c for c in await Client.filter(organization_id=org.id)}
    assert sorted(clients) == ["Ana Editada", "Bea", "Carla"]
    ana, bea = clients["Ana Editada"], clients["Bea"]
    assert (ana.id, ana.mobile, ana.country) == (s["ana"], None, "ES")
    assert (bea.id, bea.country, bea.name_key) == (s["bea"], None, "bea")
    assert "beatriz" not in bea.search_text
    assert await Invoice.filter(client_id=s["carla"]).count() == 1
    companies = await Company.filter(organization_id=org.id).values_list("name", flat=True)
    assert companies == ["Nueva"]
    entries = await Activity.filter(organization_id=org.id, verb="import_undone").order_by("id")
    assert [(e.client_id, e.changes) for e in entries] == [
        (s["ana"], {"mobile": {"old": "+34612345678", "new": None}}),
        (
            s["bea"],
            {"name": {"old": "Beatriz", "new": "Bea"}, "country": {"old": "PT", "new": None}},
        ),
    ]

    # Undoing twice does nothing: a typed error, and nothing changes.
    for dry_run in (False, True):
        again = await org.data(UNDO, {"id": job_id, "dryRun": dry_run}, role=Role.MANAGER)
        assert [(e["code"], e["field"]) for e in again["undoImportJob"]["errors"]] == [
            ("INVALID_STATE", ["id"])
        ]
        assert "UNDONE" in again["undoImportJob"]["errors"][0]["message"]
    assert await Client.filter(organization_id=org.id).count() == 3


async def test_errors_are_typed(org, make_org):
    s = await scenario(org)
    job_id = s["job"]["id"]
    # Role: a MEMBER may not undo.
    body = await org.gql(UNDO, {"id": job_id, "dryRun": False}, role=Role.MEMBER)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # Another organization's job, like one that does not exist.
    other = await make_org()
    for unknown in (job_id, global_id("ImportJob", 9_999_999), global_id("Client", s["ana"])):
        data = await other.data(UNDO, {"id": unknown, "dryRun": False}, role=Role.MANAGER)
        assert [e["code"] for e in data["undoImportJob"]["errors"]] == ["NOT_FOUND"]
    # A dry-run import wrote nothing; a failed one was rolled back.
    dry = await run_import(
        org, csv_bytes([HEADER, ["Eva", "eva@example.com", "", "", ""]]), {"dryRun": True}
    )
    failed = await run_import(
        org,
        csv_bytes([HEADER, ["Fe", "fe@example.com", "", "", ""], ["", "bad", "", "", ""]]),
        {"skipInvalidRows": False},
    )
    assert failed["status"] == "FAILED"
    for job, state in ((dry, "DRY_RUN"), (failed, "FAILED")):
        data = await org.data(UNDO, {"id": job["id"], "dryRun": False}, role=Role.MANAGER)
        [error] = data["undoImportJob"]["errors"]
        assert error["code"] == "INVALID_STATE" and state in error["message"]
    assert (await ImportJob.get(id=pk_of(job_id))).status == ImportJobStatus.SUCCEEDED


@pytest.fixture
def slow_undo(monkeypatch):
    """Undo batches of one item with a pause after each, so a test can act while it runs."""
    monkeypatch.setattr(jobs, "BATCH_SIZE", 1)
    original = undo.after_batch

    async def paused(job_id):
        going_on = await original(job_id)
        await asyncio.sleep(0.03)
        return going_on

    monkeypatch.setattr(undo, "after_batch", paused)


async def test_progress_streams_and_a_cancel_stops_the_undo_which_resumes(org, app, slow_undo):
    rows = [HEADER] + [[f"N{i}", f"n{i}@example.com", "", "", f"Co{i}"] for i in range(6)]
    job = await run_import(org, csv_bytes(rows))
    job_id = job["id"]
    started = await org.data(UNDO, {"id": job_id, "dryRun": False}, role=Role.MANAGER)
    assert started["undoImportJob"]["importJob"]["status"] == "UNDOING"
    updates = []
    async with app_websocket(app) as ws:
        async for data in subscription_data(ws, org.tokens[Role.VIEWER], SUBSCRIBE, {"id": job_id}):
            updates.append(data["importJobUpdated"])
            if len(updates) == 3:
                # Stops the undo after its current batch: back to SUCCEEDED.
                canceled = await org.data(CANCEL, {"id": job_id}, role=Role.MANAGER)
                assert canceled["cancelImportJob"]["importJob"]["status"] == "SUCCEEDED"
    assert updates[0]["status"] == "UNDOING" and updates[-1]["status"] == "SUCCEEDED"
    processed = [u["undo"]["processedItems"] for u in updates]
    assert processed == sorted(processed) and updates[0]["undo"]["totalItems"] == 12
    stopped_at = updates[-1]["undo"]["processedItems"]
    assert 0 < stopped_at < 12
    left = await Client.filter(organization_id=org.id).count()
    assert 0 < left < 6 or stopped_at < 6

    # Taken up where it stopped: every created client and company goes, each once.
    again = await org.data(UNDO, {"id": job_id, "dryRun": False}, role=Role.MANAGER)
    assert again["undoImportJob"]["errors"] == []
    await until_done(job_id)
    final = (await org.data(JOB_UNDO, {"id": job_id}))["importJob"]
    assert final["status"] == "UNDONE"
    assert (final["undo"]["removedClients"], final["undo"]["removedCompanies"]) == (6, 6)
    assert final["undo"]["processedItems"] == 12
    assert await Client.filter(organization_id=org.id).count() == 0
    assert await Company.filter(organization_id=org.id).count() == 0


@pytest.fixture
def batch_entered(monkeypatch) -> asyncio.Event:
    """Set once an undo batch holds its rows' locks; the batch then lingers a little, so a
    request sent at that moment meets the lock."""
    entered = asyncio.Event()
    original = undo.Undo._drop_impossible

    async def lingering(self, plans):
        await original(self, plans)
        entered.set()
        await asyncio.sleep(0.05)

    monkeypatch.setattr(undo.Undo, "_drop_impossible", lingering)
    return entered


async def test_an_undo_racing_an_edit_never_loses_the_edit(org, batch_entered):
    """Whichever commits first, the edit's value is the one that stays: an edit before the
    undo's batch is seen (the field is reported and kept), one sent while the batch holds
    the client waits for it and lands on top."""
    ana = await create_client(org, name="Ana", email="ana@example.com")
    for trial in range(4):
        imported = await run_import(
            org,
            csv_bytes([HEADER, [f"Importada {trial}", "ana@example.com", "", "", ""]]),
            {"mode": "UPDATE_EXISTING"},
        )
        wanted = f"Editada {trial}"
        undo_it = org.data(UNDO, {"id": imported["id"], "dryRun": False}, role=Role.MANAGER)
        edit = org.data(UPDATE_CLIENT, {"id": ana["id"], "input": {"name": wanted}})
        batch_entered.clear()
        edit_during_batch = trial % 2 == 1
        if edit_during_batch:
            undone = await undo_it
            await batch_entered.wait()
            edited = await edit
        else:
            # Sent together: mostly the edit lands before the undo's task takes the client.
            undone, edited = await asyncio.gather(undo_it, edit)
        assert undone["undoImportJob"]["errors"] == []
        assert edited["updateClient"]["errors"] == []
        await until_done(imported["id"])
        assert (await Client.get(id=pk_of(ana["id"]))).name == wanted
        job = (await org.data(JOB_UNDO, {"id": imported["id"]}))["importJob"]
        assert job["status"] == "UNDONE"
        # The undo restored the name and the edit came after, or it saw the edit.
        outcome = (job["undo"]["restoredClients"], job["undo"]["conflicts"])
        assert (outcome == (1, 0)) if edit_during_batch else (outcome in ((1, 0), (0, 1)))


COMPANY_HEADER = ["Name", "Email", "Company", "Legal name", "Tax ID", "Website"]
TAX_ID = "B85866127"


async def test_company_fields_come_back_unless_edited_since(org):
    carla = await create_client(
        org,
        name="Carla",
        email="carla@example.com",
        company={
            "name": "Acme",
            "legalName": "Acme S.L.",
            "taxId": TAX_ID,
            "website": "https://acme.example",
        },
    )
    rows = [
        COMPANY_HEADER,
        ["Carla", "carla@example.com", "Acme", "Acme Nueva S.L.", TAX_ID, "https://nueva.example"],
    ]
    job = await run_import(org, csv_bytes(rows), {"mode": "UPDATE_EXISTING"})
    assert job["updated"] == 1
    edited = await org.data(
        UPDATE_CLIENT,
        {"id": carla["id"], "input": {"company": {"website": "https://manual.example"}}},
    )
    assert edited["updateClient"]["errors"] == []

    preview = (await org.data(UNDO, {"id": job["id"], "dryRun": True}, role=Role.MANAGER))[
        "undoImportJob"
    ]["preview"]
    assert (preview["restoredCompanies"], preview["conflicts"]) == (1, 1)
    assert [
        (i["reason"], i["targetType"], i["field"], i["company"]["name"]) for i in preview["issues"]
    ] == [("CHANGED_SINCE", "Company", "website", "Acme")]
    await org.data(UNDO, {"id": job["id"], "dryRun": False}, role=Role.MANAGER)
    await until_done(job["id"])
    company = await Company.get(organization_id=org.id)
    assert (company.legal_name, company.website) == ("Acme S.L.", "https://manual.example")
    client = await Client.get(id=pk_of(carla["id"]))
    assert "nueva" not in client.search_text and "acme s.l." in client.search_text
    entry = await Activity.get(organization_id=org.id, verb="import_undone")
    assert (entry.target_type, entry.target_id, entry.changes) == (
        "Company",
        company.id,
        {"legal_name": {"old": "Acme Nueva S.L.", "new": "Acme S.L."}},
    )


async def test_an_old_email_another_client_took_since_stays_with_the_new_one(org):
    ana = await create_client(org, name="Ana", email="ana@example.com")
    rows = [["ID", "Name", "Email"], [ana["id"], "Ana", "ana.nueva@example.com"]]
    job = await run_import(org, csv_bytes(rows), {"mode": "UPDATE_EXISTING"})
    assert job["updated"] == 1
    await create_client(org, name="Otra Ana", email="ana@example.com")

    await org.data(UNDO, {"id": job["id"], "dryRun": False}, role=Role.MANAGER)
    await until_done(job["id"])
    report = (await org.data(JOB_UNDO, {"id": job["id"]}))["importJob"]["undo"]
    assert [
        (e["node"]["reason"], e["node"]["field"], e["node"]["client"]["name"])
        for e in report["issues"]["edges"]
    ] == [("EMAIL_TAKEN", "email", "Ana")]
    assert (await Client.get(id=pk_of(ana["id"]))).email == "ana.nueva@example.com"
    assert await Client.filter(organization_id=org.id, email="ana@example.com").count() == 1


CREATE_INVOICE = """
mutation($input: CreateInvoiceInput!) {
  createInvoice(input: $input) { invoice { id } errors { code } }
}"""


async def test_an_undo_racing_a_new_invoice_never_loses_the_invoice(org):
    """The invoice either commits before the undo's batch (the client is kept, reported) or
    finds the client gone: never an invoice deleted with its client."""
    for trial in range(4):
        job = await run_import(org, csv_bytes([HEADER, [f"Nuevo {trial}", "", "", "", ""]]))
        client = await Client.get(organization_id=org.id, name=f"Nuevo {trial}")
        lines = [{"description": "Work", "quantity": "1", "unitPrice": "10"}]
        invoice_input = {
            "clientId": global_id("Client", client.id),
            "kind": "SALE",
            "number": f"R-{trial}",
            "issueDate": "2026-01-01",
            "lines": lines,
        }
        _, created = await asyncio.gather(
            org.data(UNDO, {"id": job["id"], "dryRun": False}, role=Role.MANAGER),
            org.data(CREATE_INVOICE, {"input": invoice_input}),
        )
        await until_done(job["id"])
        report = (await org.data(JOB_UNDO, {"id": job["id"]}))["importJob"]["undo"]
        invoiced = created["createInvoice"]["invoice"] is not None
        assert await Invoice.filter(client_id=client.id).exists() == invoiced
        assert await Client.filter(id=client.id).exists() == invoiced
        assert (report["keptClients"], report["removedClients"]) == ((1, 0) if invoiced else (0, 1))


async def test_undoing_two_imports_newest_last_reports_a_company_gone_since(org):
    """Import 1 creates Eva with company X; import 2 moves her to a new company Z. Undoing
    import 1 keeps Eva (changed since) and removes X (no one uses it); undoing import 2 then
    cannot give Eva X back (deleted since) and keeps Z (Eva stays)."""
    first = await run_import(org, csv_bytes([HEADER, ["Eva", "eva@example.com", "", "", "X"]]))
    second = await run_import(
        org,
        csv_bytes([HEADER, ["Eva", "eva@example.com", "", "", "Z"]]),
        {"mode": "UPDATE_EXISTING"},
    )
    assert (first["created"], second["updated"]) == (1, 1)
    eva = await Client.get(organization_id=org.id, name="Eva")

    for job in (first, second):
        await org.data(UNDO, {"id": job["id"], "dryRun": False}, role=Role.MANAGER)
        await until_done(job["id"])
    reports = [
        (await org.data(JOB_UNDO, {"id": job["id"]}))["importJob"] for job in (first, second)
    ]
    assert [r["status"] for r in reports] == ["UNDONE", "UNDONE"]
    assert [
        sorted((e["node"]["reason"], e["node"]["field"]) for e in r["undo"]["issues"]["edges"])
        for r in reports
    ] == [
        [("CHANGED_SINCE", None)],
        [("COMPANY_IN_USE", None), ("LINK_GONE", "companyId")],
    ]
    assert (reports[0]["undo"]["keptClients"], reports[0]["undo"]["removedCompanies"]) == (1, 1)
    stored = await Client.get(id=eva.id)
    assert (await Company.get(id=stored.company_id)).name == "Z"
    assert await Company.filter(organization_id=org.id).values_list("name", flat=True) == ["Z"]


async def test_an_undo_whose_process_died_is_taken_up_by_the_recovery(org):
    rows = [HEADER] + [[f"M{i}", f"m{i}@example.com", "", "", ""] for i in range(3)]
    job = await run_import(org, csv_bytes(rows))
    job_pk = pk_of(job["id"])
    # As a process that started the undo leaves it: UNDOING. While it may still be at work
    # (its heartbeat is recent), nobody else takes it.
    await ImportUndo.create(organization_id=org.id, job_id=job_pk, total_items=3)
    await ImportJob.filter(id=job_pk).update(status=ImportJobStatus.UNDOING, heartbeat_at=now())
    busy = await org.data(UNDO, {"id": job["id"], "dryRun": False}, role=Role.MANAGER)
    assert [e["code"] for e in busy["undoImportJob"]["errors"]] == ["INVALID_STATE"]
    assert await undo.resume_interrupted() == []
    # Silent for longer than a live runner ever is: that process died.
    await ImportJob.filter(id=job_pk).update(heartbeat_at=now() - jobs.STALE_AFTER * 2)

    async with jobs.recovery(interval=3600):
        await until_done(job["id"])
    final = (await org.data(JOB_UNDO, {"id": job["id"]}))["importJob"]
    assert (final["status"], final["undo"]["removedClients"]) == ("UNDONE", 3)
    assert await Client.filter(organization_id=org.id).count() == 0
