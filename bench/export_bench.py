"""Export benchmark: rows per second and peak memory of a CSV export at a given size.

    python bench/export_bench.py --rows 100000
    python bench/export_bench.py --rows 1000000

Seeds an SQLite file (kept under --dir, reused by later runs of the same size) in a child
process, so this process's peak RSS measures the export alone. Run two sizes: the peak
memory must stay flat while the row count grows tenfold.
"""

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

from gql_crm import db
from gql_crm.models import Client, Company, Organization
from gql_crm.services import exports
from gql_crm.services.keys import client_keys

SEED_BATCH = 10_000


async def seed(url: str, rows: int) -> None:
    async with db.orm(url):
        org = await Organization.create(name="Bench", slug=f"bench-{rows}")
        companies = [
            Company(
                organization_id=org.id,
                name=f"Empresa {i} S.L.",
                name_key=f"empresa {i} s.l.",
                tax_id=f"B{i:08d}",
                city="Madrid",
                country="ES",
                website="https://example.es",
            )
            for i in range(1000)
        ]
        await Company.bulk_create(companies)
        company_ids = [c.id for c in await Company.filter(organization_id=org.id).only("id")]
        for start in range(0, rows, SEED_BATCH):
            batch = []
            for i in range(start, min(start + SEED_BATCH, rows)):
                name = f"Cliente Número {i}" if i % 50 else f'=HYPERLINK("x","{i}")'
                email, mobile = f"cliente{i}@example.com", f"+3461{i:07d}"
                batch.append(
                    Client(
                        organization_id=org.id,
                        name=name,
                        email=email,
                        mobile=mobile,
                        country="ES",
                        language="es",
                        company_id=company_ids[i % 1000] if i % 3 else None,
                        **client_keys(name, email, mobile, active=True).columns(),
                    )
                )
            await Client.bulk_create(batch)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def measure(url: str, rows: int, fmt: str, trace: bool) -> None:
    async with db.orm(url):
        org = await Organization.get(slug=f"bench-{rows}")
        request = exports.ExportRequest(format=exports.ExportFormat(fmt.upper()))
        baseline = peak_rss_mib()
        if trace:
            tracemalloc.start()
        started = time.perf_counter()
        size = 0
        async for chunk in exports.stream(org, request):
            size += len(chunk)
        elapsed = time.perf_counter() - started
        traced_peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
        tracemalloc.stop()
    print(f"rows: {rows:,}  format: {fmt}  bytes: {size:,}")
    print(f"time: {elapsed:.1f} s  rows/s: {rows / elapsed:,.0f}")
    print(
        f"peak RSS: {peak_rss_mib():.1f} MiB (before the export: {baseline:.1f} MiB, "
        f"growth: {peak_rss_mib() - baseline:.1f} MiB)"
    )
    if traced_peak is not None:
        print(f"tracemalloc peak during the export: {traced_peak:.1f} MiB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--format", default="csv", choices=["csv", "xlsx", "json"])
    parser.add_argument("--dir", default="/tmp/gql_crm_bench")
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also trace Python allocations (slows the run about twofold)",
    )
    parser.add_argument("--seed-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    path = Path(args.dir) / f"clients-{args.rows}.sqlite3"
    url = f"sqlite://{path}"
    if args.seed_only:
        asyncio.run(seed(url, args.rows))
        return 0
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, __file__, "--rows", str(args.rows), "--dir", args.dir, "--seed-only"],
            check=True,
            env=os.environ,
        )
        print(f"seeded {args.rows:,} clients in {time.perf_counter() - started:.0f} s")
    asyncio.run(measure(url, args.rows, args.format, args.tracemalloc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
