"""Import benchmark: rows per second and peak memory of a CSV import, next to a bare bulk insert.

    python bench/import_bench.py --rows 100000
    python bench/import_bench.py --rows 1000000
    python bench/import_bench.py --rows 100000 --db postgres://postgres@127.0.0.1:5432/bench

Writes a generated CSV (Spanish headers, national phone numbers, Spanish country names,
valid NIFs, 500 companies and 5 categories shared by the rows, 1% invalid rows) under --dir,
then, each in a fresh child process on a fresh database so peak RSS is its own:

- import: the full path of importClients (sniffing, counting, every row through the
  clients service, deduplication, batched writes with activity entries);
- floor: the same rows, already normalized, bulk-inserted into the clients table.

Run two sizes: the import's peak memory must stay flat while the row count grows tenfold.
"""

import argparse
import asyncio
import csv
import os
import resource
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from starlette.datastructures import UploadFile
from stdnum.es import nif

from gql_crm import db
from gql_crm.config import Settings
from gql_crm.models import Client, ImportJob, Organization
from gql_crm.services import auth
from gql_crm.services.imports import batches, jobs
from gql_crm.services.keys import client_keys
from gql_crm.services.storage import serving_jobs

HEADER = [
    "Nombre",
    "Correo electrónico",
    "Teléfono móvil",
    "País",
    "Género",
    "Categoría",
    "Empresa",
    "NIF",
    "Ciudad",
]
CATEGORIES = ["Mayorista", "Minorista", "Particular", "VIP", "Distribuidor"]
COUNTRIES = ["España", "ES", "Spain", "españa"]
GENDERS = ["Mujer", "Hombre", "Otro", ""]


def company(i: int) -> tuple[str, str]:
    digits = f"{10_000_000 + i * 7919 % 89_999_999:08d}"[:8]
    return f"Empresa {i} S.L.", "B" + digits[:7] + nif.cif.calc_check_digits("B" + digits[:7])[-1]


def generate(path: Path, rows: int) -> None:
    companies = [company(i) for i in range(500)]
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(HEADER)
        for i in range(rows):
            name, tax_id = companies[i % 500] if i % 4 else ("", "")
            email = f"cliente{i}@example.com" if i % 100 else f"cliente{i}@@example"
            writer.writerow(
                [
                    f"Cliente Número {i}",
                    email,
                    f"6{i % 100_000_000:08d}",
                    COUNTRIES[i % 4],
                    GENDERS[i % 4],
                    CATEGORIES[i % 5],
                    name,
                    tax_id,
                    "Madrid",
                ]
            )


async def cleaning_worker() -> int:
    """The pid of the import's cleaning worker, started now so its start is not counted."""
    pool = batches._cleaning_pool()
    await asyncio.get_running_loop().run_in_executor(pool, os.getpid)
    return next(iter(pool._processes))


def process_cpu(pid: int) -> float:
    """User and system CPU seconds of a process (Linux)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def bench_organization() -> Organization:
    return await auth.create_organization(f"Bench {uuid.uuid4().hex[:6]}", default_country="ES")


def bench_settings(url: str, media: Path) -> Settings:
    """No upload or row limit: the benchmark's files are as large as asked."""
    return Settings(
        database_url=url, media_dir=media, max_upload_bytes=2**40, max_import_rows=10**8
    )


async def start_file_import(org: Organization, settings: Settings, path: Path) -> ImportJob:
    with open(path, "rb") as source:
        return await jobs.start_import(
            auth.Actor.system(org),
            settings,
            UploadFile(source, filename=path.name),
            jobs.ImportOptions(),
        )


async def run_import(url: str, path: Path, media: Path) -> None:
    async with db.orm(url):
        org = await bench_organization()
        settings = bench_settings(url, media)
        baseline = peak_rss_mib()
        worker = await cleaning_worker()
        worker_started = process_cpu(worker)
        cpu_started = time.process_time()
        started_at = datetime.now(UTC)
        started = time.perf_counter()
        async with serving_jobs(settings):
            job = await start_file_import(org, settings, path)
            checked = time.perf_counter()
            await jobs.task_of(job.id)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        worker_cpu = process_cpu(worker) - worker_started
        job = await ImportJob.get(id=job.id)
        stored = await Client.filter(organization_id=org.id).count()
    print(
        f"import: {job.status.value}  rows: {job.total_rows:,}  created: {job.created_count:,}"
        f"  failed: {job.failed_count:,}  stored: {stored:,}"
    )
    # The job is done (and its status final) before the VACUUM ANALYZE that follows it.
    done = (job.finished_at - started_at).total_seconds()
    print(
        f"import: {done:.1f} s ({checked - started:.1f} s upload + check)  "
        f"rows/s: {job.total_rows / done:,.0f}  (then VACUUM ANALYZE: {elapsed - done:.1f} s)"
    )
    # On a shared machine the wall time depends on the other processes; this does not.
    print(
        f"import: server process CPU {cpu:.1f} s ({cpu / job.total_rows * 1e6:.0f} µs a row), "
        f"cleaning worker CPU {worker_cpu:.1f} s ({worker_cpu / job.total_rows * 1e6:.0f} µs a row)"
    )
    print(
        f"import: peak RSS {peak_rss_mib():.1f} MiB (before: {baseline:.1f} MiB, "
        f"growth: {peak_rss_mib() - baseline:.1f} MiB)"
    )


async def run_floor(url: str, path: Path) -> None:
    """The same rows, already clean, straight into the table: what the database costs."""
    async with db.orm(url):
        org = await Organization.create(name="Floor", slug=f"floor-{uuid.uuid4().hex[:6]}")
        started = time.perf_counter()
        count = 0
        with open(path, encoding="utf-8-sig", newline="") as source:
            reader = csv.reader(source, delimiter=";")
            next(reader)
            batch = []
            for row in reader:
                batch.append(
                    Client(
                        organization_id=org.id,
                        name=row[0],
                        email=row[1],
                        mobile="+34" + row[2],
                        country="ES",
                        **client_keys(row[0], row[1], "+34" + row[2], active=True).columns(),
                    )
                )
                if len(batch) == jobs.BATCH_SIZE:
                    await Client.bulk_create(batch)
                    count += len(batch)
                    batch = []
            if batch:
                await Client.bulk_create(batch)
                count += len(batch)
        elapsed = time.perf_counter() - started
    print(
        f"floor: bulk insert of {count:,} rows: {elapsed:.1f} s  rows/s: {count / elapsed:,.0f}"
        f"  peak RSS {peak_rss_mib():.1f} MiB"
    )


def generated_file(directory: Path, rows: int) -> Path:
    """The file of `rows` generated rows, written once per size and kept for later runs."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"import-{rows}.csv"
    if not path.exists():
        generate(path, rows)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--dir", default="/tmp/gql_crm_bench")
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file per run)")
    parser.add_argument("--only", choices=["import", "floor"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    path = generated_file(Path(args.dir), args.rows)
    directory = path.parent
    if args.only:
        url = args.db or f"sqlite://{directory / f'import-{args.only}-{uuid.uuid4().hex}.sqlite3'}"
        if args.only == "import":
            asyncio.run(run_import(url, path, directory / "media"))
        else:
            asyncio.run(run_floor(url, path))
        return 0
    print(f"file: {path} ({path.stat().st_size / 2**20:.1f} MiB, {args.rows:,} rows)")
    for only in ("floor", "import"):
        command = [
            sys.executable,
            __file__,
            "--rows",
            str(args.rows),
            "--dir",
            args.dir,
            "--only",
            only,
        ]
        if args.db:
            command += ["--db", args.db]
        subprocess.run(command, check=True, env=os.environ)
    return 0


if __name__ == "__main__":
    sys.exit(main())
