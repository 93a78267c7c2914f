"""`gql-crm import`, run as a user runs it."""

from pathlib import Path

import pytest

from tests.cli import gql_crm, python_script
from tests.imports import CRASHED_IMPORT_SCRIPT

# Each test runs the gql-crm command in processes of its own.
pytestmark = pytest.mark.slow

SAMPLES = Path("/work/shared/samples")


async def test_import_command_dry_run_then_real(empty_database_url, tmp_path):
    db = empty_database_url
    created = await gql_crm("create-org", "Importadora", "--country", "ES", db=db, cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    sample = str(SAMPLES / "clientes_excel_es.csv")
    dry = await gql_crm(
        "import",
        sample,
        "--org",
        "importadora",
        "--dry-run",
        "--language",
        "es",
        db=db,
        cwd=tmp_path,
    )
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("dry run: SUCCEEDED")
    assert "rows: 40  created: 35  updated: 0  skipped: 0  failed: 5" in dry.stdout
    assert (
        "row 7 Correo electrónico: INVALID_EMAIL La dirección de correo no es válida" in dry.stdout
    )
    assert "40/40 rows" in dry.stderr
    real = await gql_crm("import", sample, "--org", "importadora", db=db, cwd=tmp_path)
    assert "created: 35" in real.stdout
    again = await gql_crm(
        "import",
        sample,
        "--org",
        "importadora",
        "--mode",
        "CREATE_ONLY",
        "--all-or-nothing",
        db=db,
        cwd=tmp_path,
    )
    assert again.returncode == 1
    assert again.stdout.startswith("FAILED")
    assert "created: 0" in again.stdout and "failed: 40" in again.stdout
    missing = await gql_crm(
        "import", str(tmp_path / "nope.csv"), "--org", "importadora", db=db, cwd=tmp_path
    )
    assert (missing.returncode, missing.stderr.strip()) == (
        1,
        f"error: no file {str(tmp_path / 'nope.csv')!r}",
    )


STARTUP_SCRIPT = (
    CRASHED_IMPORT_SCRIPT
    + """
async def start():
    app = create_app(Settings(database_url=url))
    async with app.router.lifespan_context(app):
        job = await ImportJob.get(file_name="c.csv")
        print(job.status.value, job.failure_reason)
        print(await Client.all().count(), await Company.all().count())

asyncio.run(crash())
asyncio.run(start())
"""
)


async def test_start_up_fails_and_rolls_back_jobs_of_dead_processes(empty_database_url, tmp_path):
    result = await python_script(STARTUP_SCRIPT, empty_database_url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    status, counts = result.stdout.strip().splitlines()
    assert status.startswith("FAILED The server stopped during the import")
    assert counts == "0 0"
