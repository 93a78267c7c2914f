"""Running the `gql-crm` command as a user does, or a script against the app, in a process
of its own (in a thread, so the test's event loop keeps running)."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


async def gql_crm(*args: str, db: str, cwd: Path) -> subprocess.CompletedProcess:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "gql_crm.cli", *args, "--db", db],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


async def python_script(script: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """`script` run by Python with `args`, its media directory in `cwd`."""
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env={**os.environ, "GQL_CRM_MEDIA_DIR": str(cwd / "media")},
    )
