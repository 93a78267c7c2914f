"""Queue worker benchmark: the import rate with 1 and 2 `gql-crm worker` processes (PostgreSQL).

    python bench/worker_bench.py --rows 100000 --db postgres://postgres@127.0.0.1:5432/postgres

Uses import_bench.py's generated CSV (the same rows, 1% invalid). For 1 and then 2 worker
processes, each run on a fresh database (created beside the one --db names, dropped after):

- one file: the whole file as one import job (one job runs in one worker, batch after batch);
- two files: the same rows split in two halves, enqueued together, run side by side.

The rate is rows over the time from the first job's start to the last job's end (their
started_at and finished_at, written by the workers). Each worker's CPU time says which
worker ran what. Figures of one run on a shared machine: read them side by side.
"""

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from import_bench import bench_organization, bench_settings, generated_file, start_file_import

from gql_crm import db
from gql_crm.models import ImportJob
from gql_crm.services import queue

GQL_CRM = str(Path(sys.executable).parent / "gql-crm")


def split(path: Path, parts: int) -> list[Path]:
    lines = path.read_bytes().splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    size = -(-len(rows) // parts)
    paths = []
    for n in range(parts):
        part = path.with_name(f"{path.stem}-part{n + 1}of{parts}.csv")
        part.write_bytes(header + b"".join(rows[n * size : (n + 1) * size]))
        paths.append(part)
    return paths


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run(url: str, files: list[Path], workers: int, media: Path) -> None:
    env = {**os.environ, "GQL_CRM_DATABASE_URL": url, "GQL_CRM_MEDIA_DIR": str(media)}
    await db.migrate(url)
    processes = []
    try:
        for _ in range(workers):
            process = subprocess.Popen(
                [GQL_CRM, "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
            )
            assert process.stdout.readline().strip() == b"worker ready"
            processes.append(process)
        async with db.orm(url), queue.using_pg_queue(url):
            org = await bench_organization()
            settings = bench_settings(url, media)
            ids = [(await start_file_import(org, settings, file)).id for file in files]
            while await ImportJob.filter(id__in=ids, finished_at__isnull=True).exists():
                await asyncio.sleep(0.2)
            done = await ImportJob.filter(id__in=ids)
        cpu = [cpu_seconds(process.pid) for process in processes]
    finally:
        for process in processes:
            process.terminate()
            process.wait()
    rows = sum(job.total_rows for job in done)
    started = min(job.started_at for job in done)
    finished = max(job.finished_at for job in done)
    elapsed = (finished - started).total_seconds()
    statuses = ",".join(sorted({job.status.value for job in done}))
    print(
        f"{workers} worker(s), {len(files)} file(s): {rows:,} rows in {elapsed:.1f} s  "
        f"rows/s: {rows / elapsed:,.0f}  ({statuses}; worker CPU s: "
        f"{', '.join(f'{c:.1f}' for c in cpu)})",
        flush=True,
    )


async def with_database(server_url: str, work) -> None:
    name = f"gql_crm_worker_bench_{uuid.uuid4().hex[:8]}"
    url = urlunsplit(urlsplit(server_url)._replace(path="/" + name))
    admin = await asyncpg.connect(
        urlunsplit(urlsplit(server_url)._replace(scheme="postgresql", path="/postgres"))
    )
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        await work(url)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--dir", default="/tmp/gql_crm_bench")
    parser.add_argument("--db", required=True, help="a PostgreSQL URL (the server is used)")
    parser.add_argument("--workers", default="1,2", help="worker counts to measure")
    args = parser.parse_args()
    path = generated_file(Path(args.dir), args.rows)
    directory = path.parent
    halves = split(path, 2)
    print(f"file: {path} ({args.rows:,} rows)", flush=True)
    started = time.perf_counter()
    for workers in (int(n) for n in args.workers.split(",")):
        for files in ([path], halves):
            asyncio.run(
                with_database(
                    args.db, lambda url, f=files, w=workers: run(url, f, w, directory / "media")
                )
            )
    print(f"total: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
