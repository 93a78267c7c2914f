"""`gql-crm import`, run as a user runs it."""

import asyncio
from pathlib import Path

from tests.test_cli import empty_database_url, gql_crm  # noqa: F401 - the fixture

SAMPLES = Path("/work/shared/samples")


async def test_import_command_dry_run_then_real(empty_database_url, tmp_path):  # noqa: F811
    db = empty_database_url
    created = await asyncio.to_thread(gql_crm, "create-org", "Importadora", "--country", "ES",
                                      db=db, cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    sample = str(SAMPLES / "clientes_excel_es.csv")
    dry = await asyncio.to_thread(gql_crm, "import", sample, "--org", "importadora",
                                  "--dry-run", "--language", "es", db=db, cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("dry run: SUCCEEDED")
    assert "rows: 40  created: 35  updated: 0  skipped: 0  failed: 5" in dry.stdout
    assert "row 7 Correo electrónico: INVALID_EMAIL La dirección de correo no es válida" \
        in dry.stdout
    assert "40/40 rows" in dry.stderr
    real = await asyncio.to_thread(gql_crm, "import", sample, "--org", "importadora",
                                   db=db, cwd=tmp_path)
    assert "created: 35" in real.stdout
    again = await asyncio.to_thread(gql_crm, "import", sample, "--org", "importadora",
                                    "--mode", "CREATE_ONLY", "--all-or-nothing",
                                    db=db, cwd=tmp_path)
    assert again.returncode == 1
    assert again.stdout.startswith("FAILED")
    assert "created: 0" in again.stdout and "failed: 40" in again.stdout
    missing = await asyncio.to_thread(gql_crm, "import", str(tmp_path / "nope.csv"), "--org",
                                      "importadora", db=db, cwd=tmp_path)
    assert (missing.returncode, missing.stderr.strip()) == (
        1, f"error: no file {str(tmp_path / 'nope.csv')!r}")
