"""What an attacker can do to a real server, measured in one run (issue 11, items 1-5).

    python bench/limits_bench.py [--port 8100] [--body-mb 200] [--slow-seconds 40]
                                 [--half-sent 500] [--skip slow]

Starts `gql-crm serve --demo` on a throwaway SQLite database and measures, against it:

- fanout: the 1 KB chained-fragment document (F0..F20, each spreading the next twice), sent
  without a token, then renamed: its time, its answer, and /healthz's worst latency meanwhile;
- cost: 30 aliases x clients(first: 100) with every tab (ADMIN token): time, size, RSS growth;
- body: a JSON body of --body-mb MB with no token, streamed by a generator: bytes the client
  managed to send, the answer, RSS growth;
- upload: a chunked multipart upload (no Content-Length) over the upload limit, with a token;
- slow: a body at 1 byte/s and headers at 1 byte/s: seconds until the server drops them
  (capped at --slow-seconds); then --half-sent half-sent requests and a normal request's time;
- rss: the server's RSS at start and at the end.
"""

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from gql_crm.api.planned.tabs import CLIENT_TABS

TABS = " ".join(
    f"{tab}(first: 20) {{ totalCount edges {{ node {{ id }} }} }}" for tab in CLIENT_TABS
)


def fanout(prefix: str, levels: int = 20) -> str:
    fragments = [
        f"fragment {prefix}{i} on Query {{ ...{prefix}{i + 1} ...{prefix}{i + 1} }}"
        for i in range(levels)
    ]
    fragments.append(f"fragment {prefix}{levels} on Query {{ viewer {{ role }} }}")
    return f"{{ ...{prefix}0 }} " + " ".join(fragments)


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024


class Server:
    def __init__(self, port: int, workdir: Path):
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "GQL_CRM_DATABASE_URL": f"sqlite://{workdir}/bench.sqlite3",
            "GQL_CRM_MEDIA_DIR": str(workdir / "media"),
            "GQL_CRM_SECRET_KEY": "bench",
        }
        gql_crm = Path(sys.executable).parent / "gql-crm"
        with open(workdir / "server.log", "wb") as log:
            self.process = subprocess.Popen(
                [str(gql_crm), "serve", "--demo", "--port", str(port)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        for line in self.process.stdout:
            if line.startswith("token: "):
                self.token = line.split()[1]
                break
        else:
            raise SystemExit(f"the server did not start; see {workdir}/server.log")

    async def wait_ready(self) -> None:
        async with httpx.AsyncClient(base_url=self.base) as client:
            for _ in range(200):
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise SystemExit("the server never answered /healthz")

    @property
    def rss(self) -> float:
        return rss_mib(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


async def watch_health(base: str, stop: asyncio.Event) -> float:
    """The worst /healthz latency while `stop` is not set."""
    worst = 0.0
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        while not stop.is_set():
            start = time.perf_counter()
            await client.get("/healthz")
            worst = max(worst, time.perf_counter() - start)
            await asyncio.sleep(0.05)
    return worst


async def bench_fanout(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.base, timeout=120) as client:
        for prefix in ("F", "G", "H"):
            stop = asyncio.Event()
            watcher = asyncio.create_task(watch_health(server.base, stop))
            await asyncio.sleep(0.1)
            start = time.perf_counter()
            response = await client.post("/graphql", json={"query": fanout(prefix)})
            elapsed = time.perf_counter() - start
            stop.set()
            worst = await watcher
            body = response.json()
            code = (body.get("errors") or [{}])[0].get("extensions", {}).get("code", "data")
            print(
                f"fanout {prefix}0..{prefix}20 ({len(fanout(prefix))} B): {elapsed:6.3f} s, "
                f"answer {response.status_code} {code}; /healthz worst {worst:6.3f} s"
            )


async def bench_cost(server: Server) -> None:
    query = (
        "{ "
        + " ".join(
            f"a{i}: clients(first: 100) {{ edges {{ node {{ id name {TABS} }} }} }}"
            for i in range(30)
        )
        + " }"
    )
    headers = {"Authorization": f"Bearer {server.token}"}
    before = server.rss
    async with httpx.AsyncClient(base_url=server.base, timeout=300) as client:
        start = time.perf_counter()
        response = await client.post("/graphql", json={"query": query}, headers=headers)
        elapsed = time.perf_counter() - start
    body = response.json()
    error = (body.get("errors") or [{}])[0]
    print(
        f"cost 30 x clients(first: 100) with 8 tabs: {elapsed:6.3f} s, "
        f"{len(response.content) / 1e6:.2f} MB, answer "
        f"{error.get('extensions', {}).get('code', 'data')} {error.get('message', '')[:90]}; "
        f"RSS {before:.0f} -> {server.rss:.0f} MiB"
    )


async def stream_body(server: Server, label: str, headers: dict, chunks) -> None:
    sent = 0

    async def counted():
        nonlocal sent
        for chunk in chunks:
            sent += len(chunk)
            yield chunk

    before = server.rss
    start = time.perf_counter()
    try:
        async with httpx.AsyncClient(base_url=server.base, timeout=300) as client:
            response = await client.post("/graphql", content=counted(), headers=headers)
        answer = f"{response.status_code} {response.text[:100]}"
    except httpx.HTTPError as exc:
        answer = f"connection ended ({type(exc).__name__})"
    elapsed = time.perf_counter() - start
    print(
        f"{label}: sent {sent / 1e6:.1f} MB in {elapsed:.2f} s, answer {answer}; "
        f"RSS {before:.0f} -> {server.rss:.0f} MiB"
    )


def json_chunks(total: int, size: int = 64 * 1024):
    yield b'{"query": "{ viewer { role } }", "variables": {"x": "'
    for _ in range(total // size):
        yield b"x" * size
    yield b'"}}'


def multipart_chunks(total: int, boundary: str, size: int = 64 * 1024):
    operations = '{"query": "mutation($f: Upload!) { __typename }", "variables": {"f": null}}'
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
        f'{operations}\r\n--{boundary}\r\nContent-Disposition: form-data; name="map"\r\n'
        f'\r\n{{"0": ["variables.f"]}}\r\n--{boundary}\r\nContent-Disposition: '
        f'form-data; name="0"; filename="big.bin"\r\nContent-Type: '
        f"application/octet-stream\r\n\r\n"
    ).encode()
    for _ in range(total // size):
        yield b"\0" * size
    yield f"\r\n--{boundary}--\r\n".encode()


async def held_for(port: int, head: bytes, trickle: bytes, cap: float) -> float:
    """Seconds until the server closes a connection that sends `trickle` at 1 byte/s."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    start = time.perf_counter()
    writer.write(head)
    try:
        for byte in trickle:
            if time.perf_counter() - start > cap:
                break
            writer.write(bytes([byte]))
            await writer.drain()
            try:
                if await asyncio.wait_for(reader.read(65536), 1.0) == b"":
                    break
            except TimeoutError:
                continue
    except (ConnectionError, OSError):
        pass
    held = time.perf_counter() - start
    writer.close()
    return held


async def bench_slow(server: Server, cap: float, half_sent: int) -> None:
    body_head = (
        b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n"
    )
    held = await held_for(server.port, body_head, b"x" * 1000, cap)
    print(f"slow body at 1 byte/s: dropped after {held:.1f} s (cap {cap:.0f} s)")
    held = await held_for(server.port, b"", b"POST /graphql HTTP/1.1\r\nHost: x" * 10, cap)
    print(f"slow headers at 1 byte/s: dropped after {held:.1f} s (cap {cap:.0f} s)")

    sockets = []
    for _ in range(half_sent):
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Le")
        sockets.append((reader, writer))
    async with httpx.AsyncClient(base_url=server.base, timeout=60) as client:
        start = time.perf_counter()
        response = await client.get("/healthz")
        normal = time.perf_counter() - start
    await asyncio.sleep(cap / 2)
    open_after = 0
    for reader, writer in sockets:
        try:
            data = await asyncio.wait_for(reader.read(1), 0.01)
            open_after += data != b""
        except TimeoutError:
            open_after += 1
        writer.close()
    print(
        f"{half_sent} half-sent requests: /healthz answered {response.status_code} in "
        f"{normal * 1000:.0f} ms; {open_after} still open after {cap / 2:.0f} s"
    )


async def run(args) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        server = Server(args.port, workdir)
        try:
            await server.wait_ready()
            start_rss = server.rss
            print(f"server RSS at start: {start_rss:.0f} MiB")
            if "fanout" not in args.skip:
                await bench_fanout(server)
            if "cost" not in args.skip:
                await bench_cost(server)
            if "body" not in args.skip:
                total = args.body_mb * 1024 * 1024
                await stream_body(
                    server,
                    f"anonymous JSON body of {args.body_mb} MB",
                    {"Content-Type": "application/json"},
                    json_chunks(total),
                )
                boundary = "benchboundary"
                await stream_body(
                    server,
                    "chunked multipart upload of 100 MB (token)",
                    {
                        "Content-Type": f"multipart/form-data; boundary={boundary}",
                        "Authorization": f"Bearer {server.token}",
                        "GraphQL-Require-Preflight": "1",
                    },
                    multipart_chunks(100 * 1024 * 1024, boundary),
                )
            if "slow" not in args.skip:
                await bench_slow(server, args.slow_seconds, args.half_sent)
            print(f"server RSS at the end: {server.rss:.0f} MiB (start {start_rss:.0f} MiB)")
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--body-mb", type=int, default=200)
    parser.add_argument("--slow-seconds", type=float, default=40)
    parser.add_argument("--half-sent", type=int, default=500)
    parser.add_argument("--skip", nargs="*", default=[], choices=["fanout", "cost", "body", "slow"])
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
