"""Latency sampling shared by the benchmarks (run as scripts: `bench/` is on sys.path)."""

import argparse
import statistics
import time


async def timed(label: str, requests: int, call) -> float:
    """The median seconds of `call()` over `requests` runs, after a warm-up; prints p95 too."""
    for _ in range(5):
        await call()
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - start)
    median = statistics.median(samples)
    print(
        f"{label:<34} median {median * 1000:7.2f} ms   p95 "
        f"{sorted(samples)[int(len(samples) * 0.95)] * 1000:7.2f} ms"
    )
    return median


async def compare(label: str, requests: int, api_call, sql_call) -> float:
    """Times a request through the API and its SQL sent bare, and prints their ratio;
    returns the API's median."""
    api = await timed(f"API {label}", requests, api_call)
    bare = await timed(f"bare SQL {label}", requests, sql_call)
    print(f"ratio API / bare SQL ({label}): {api / bare:.2f}\n")
    return api


def comparison_arguments(doc: str) -> argparse.Namespace:
    """The command line of a benchmark that seeds clients and times requests."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    return parser.parse_args()
