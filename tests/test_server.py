"""`gql-crm serve` against slow and vanishing clients: a real uvicorn server on a free port of
127.0.0.1:8101-8119, with timeouts of a second so the loops below stay short."""

import asyncio
import os
import random
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

# Each test runs the gql-crm command in processes of its own.
pytestmark = pytest.mark.slow

SLOW_HEAD = (
    b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b"Content-Length: 1000\r\n\r\n"
)


@dataclass
class Server:
    port: int
    log: Path
    access_log: Path


def start(port: int, workdir: Path) -> subprocess.Popen | None:
    """`gql-crm serve` on `port`; None if another process holds it (a parallel test run)."""
    env = {
        **os.environ,
        "GQL_CRM_DATABASE_URL": f"sqlite://{workdir}/db.sqlite3",
        "GQL_CRM_MEDIA_DIR": str(workdir / "media"),
        "GQL_CRM_SECRET_KEY": "test",
        "GQL_CRM_HEADER_TIMEOUT": "1",
        "GQL_CRM_BODY_TIMEOUT": "1",
    }
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gql-crm"), "serve", "--port", str(port)],
        env=env,
        stdout=(workdir / "access.log").open("wb"),
        stderr=(workdir / "server.log").open("wb"),
    )
    for _ in range(300):
        if process.poll() is not None:
            return None
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                time.sleep(0.5)  # a server that could not bind the port exits by now
                if process.poll() is None:
                    return process
                return None
        except httpx.TransportError:
            time.sleep(0.1)
    process.terminate()
    pytest.fail(f"the server did not start: {(workdir / 'server.log').read_text()}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    ports = list(range(8101, 8120))
    random.shuffle(ports)
    for port in ports:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                continue
        workdir = tmp_path_factory.mktemp("server")
        process = start(port, workdir)
        if process is not None:
            break
    else:
        pytest.fail("no free port in 8101-8119")
    try:
        yield Server(port, workdir / "server.log", workdir / "access.log")
    finally:
        process.terminate()
        process.wait(timeout=20)


def trickle(port: int, head: bytes, rest: bytes, seconds: int) -> bytes | None:
    """Sends `head`, then `rest` a byte a second; what the server answered once it closed
    the connection, or None if it was still open after `seconds`."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(head)
        sock.settimeout(1)
        answer = b""
        for byte in rest[:seconds]:
            try:
                sock.sendall(bytes([byte]))
                while chunk := sock.recv(65536):
                    answer += chunk
                return answer
            except TimeoutError:
                continue
            except ConnectionError:
                return answer
        return None


def test_a_body_sent_a_byte_a_second_is_dropped(server):
    answer = trickle(server.port, SLOW_HEAD, b"x" * 1000, seconds=10)
    assert answer is not None, "still reading the body after 10 s"
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b'"REQUEST_TIMEOUT"' in answer


def test_headers_sent_a_byte_a_second_are_dropped(server):
    assert trickle(server.port, b"", SLOW_HEAD * 2, seconds=10) is not None, (
        "still reading after 10 s"
    )


def test_half_sent_requests_do_not_hold_the_server(server):
    half_sent = []
    for _ in range(300):
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.sendall(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Le")
        half_sent.append(sock)
    try:
        assert httpx.get(f"http://127.0.0.1:{server.port}/healthz", timeout=10).json() == {
            "status": "ok"
        }
        open_sockets = list(half_sent)
        for _ in range(10):
            for sock in list(open_sockets):
                sock.setblocking(False)
                try:
                    if sock.recv(1) == b"":
                        open_sockets.remove(sock)
                except BlockingIOError:
                    pass
                except ConnectionError:
                    open_sockets.remove(sock)
            if not open_sockets:
                break
            time.sleep(1)
        assert not open_sockets, f"{len(open_sockets)} half-sent requests still held after 10 s"
    finally:
        for sock in half_sent:
            sock.close()


async def test_an_aborted_request_logs_one_line(server):
    before = server.log.read_text().splitlines()
    _, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(SLOW_HEAD + b'{"query": ')
    await writer.drain()
    await asyncio.sleep(0.3)
    writer.close()
    for _ in range(50):
        new = server.log.read_text().splitlines()[len(before) :]
        if any("aborted" in line for line in new):
            break
        await asyncio.sleep(0.1)
    [aborted] = [line for line in new if "aborted" in line]
    # With the request's ID, which the client did not choose.
    assert re.fullmatch(
        r"WARNING: +\[[0-9a-f]{32}\] POST /graphql: aborted by the client after 10 bytes "
        r"\(ClientDisconnect\)",
        aborted,
    ), new
    assert not any("Traceback" in line for line in new), new


def test_every_log_line_shows_its_request_id(server):
    assert (
        httpx.get(
            f"http://127.0.0.1:{server.port}/healthz", headers={"X-Request-ID": "trace-serve"}
        ).headers["x-request-id"]
        == "trace-serve"
    )
    # The access line is written as the answer starts: it is there once the answer is.
    assert any(
        "[trace-serve]" in line and '"GET /healthz HTTP/1.1" 200' in line
        for line in server.access_log.read_text().splitlines()
    )
    assert "[-] Application startup complete." in server.log.read_text()
