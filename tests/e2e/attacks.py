"""What an attacker sends to a bot's request URL, over raw sockets, and how to read the bot's footprint.

Shared by the front-door tests and `bench/front_door.py`.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

EVENTS_PATH = "/slack/events"
FORM = "application/x-www-form-urlencoded"
MIB = 1024 * 1024
_CHUNK = b"a" * (64 * 1024)  # one buffer, sent again and again: a 100 MB body is never built


@dataclass(frozen=True)
class Pushed:
    """The status the server answered (0: none before it hung up) and how much of the body was handed
    to the socket before that."""

    status: int
    sent: int


def _status_of(answer: bytes) -> int:
    parts = answer.split(b" ", 2)
    return int(parts[1]) if len(parts) >= 2 and answer.startswith(b"HTTP/") and parts[1].isdigit() else 0


def push_body(port: int, total: int, *, chunked: bool = False, host: str = "127.0.0.1") -> Pushed:
    """POSTs a `total`-byte body (declared by Content-Length, or chunked) as a stream, reading the answer
    as soon as the server sends one: a server that refuses early stops the upload there."""
    head = (
        f"POST {EVENTS_PATH} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    )
    head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else f"Content-Length: {total}\r\n\r\n"
    answer = b""
    sent = 0
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(head.encode())
        with contextlib.suppress(OSError):  # the server may hang up mid-upload: then read what it said
            piece = memoryview(b"")
            while (sent < total or piece) and b"\r\n\r\n" not in answer:
                if not piece:
                    data = _CHUNK[: total - sent]
                    sent += len(data)
                    piece = memoryview(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
                readable, writable, _ = select.select([sock], [sock], [], 30)
                if readable:
                    data = sock.recv(65536)
                    if not data:
                        break
                    answer += data
                elif writable:
                    piece = piece[sock.send(piece) :]
                else:
                    break
            if chunked and sent >= total and not piece and not answer:
                sock.sendall(b"0\r\n\r\n")
            while b"\r\n\r\n" not in answer:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
    return Pushed(_status_of(answer), sent)


def stalled_connection(
    port: int, *, declared: int = 4096, sent: int = 100, host: str = "127.0.0.1"
) -> socket.socket:
    """A connection that sends headers declaring a `declared`-byte body, then `sent` bytes of it, and
    goes silent."""
    head = (
        f"POST {EVENTS_PATH} HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Type: {FORM}\r\nContent-Length: {declared}\r\n\r\n"
    ).encode()
    sock = socket.create_connection((host, port), timeout=10)
    try:
        sock.sendall(head + b"x" * sent)
    except OSError:
        sock.close()
        raise
    return sock


@contextlib.contextmanager
def stalled_connections(port: int, count: int, *, host: str = "127.0.0.1") -> Iterator[list[socket.socket]]:
    """`count` stalled connections (`stalled_connection`), closed on exit."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sockets.append(stalled_connection(port, host=host))
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def closed_by_server(sock: socket.socket) -> bool:
    """True once the server has closed `sock` (reads end-of-file or a reset), without blocking."""
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        return sock.recv(65536, socket.MSG_PEEK) == b""
    except OSError:
        return True


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(f"no {field} in /proc/{pid}/status")


def rss_kib(pid: int) -> int:
    return _status_kib(pid, "VmRSS")


def peak_rss_kib(pid: int) -> int:
    """The highest RSS since the last `reset_peak_rss` (or since the start)."""
    return _status_kib(pid, "VmHWM")


def reset_peak_rss(pid: int) -> None:
    """Sets the process's peak RSS (VmHWM) back to its current RSS (Linux: clear_refs 5)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def thread_count(pid: int) -> int:
    return _status_kib(pid, "Threads")


def open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))
