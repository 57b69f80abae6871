"""What a shared worker and its client say over a Unix socket: one JSON object a line, each line
bounded in size and in time, the peer checked to be this user. Everything read is a peer's
bytes: what does not parse as a message is `NOT_A_MESSAGE`, never a crash or a hang."""

from __future__ import annotations

import json
import os
import socket
import struct
import time
from pathlib import Path

from netspec.train.workers import place


def _seconds(name: str, default: float) -> float:
    """The environment's `name`, in seconds: a finite number above 0 (0 would make the heartbeat
    a busy loop, and infinity a wait without end), else a clear error."""
    raw = os.environ.get(name)
    try:
        value = float(default if raw is None else raw)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise ValueError(f"{name}: expected seconds, a finite number above 0, found {raw!r}")
    return value


# How long a client waits for a worker to take its request (a frozen one never does), and for
# the next word of a worker mid-run, which beats every HEARTBEAT_S. The environment may shorten
# them (NETSPEC_WORKER_ACCEPT_S, NETSPEC_WORKER_SILENCE_S: the tests do).
ACCEPT_S = _seconds("NETSPEC_WORKER_ACCEPT_S", 10)
SILENCE_S = _seconds("NETSPEC_WORKER_SILENCE_S", 30)
HEARTBEAT_S = min(5.0, SILENCE_S / 3)
MESSAGE_BYTES = 1 << 20  # the longest line either end reads from the other
BUSY = "busy"  # connect: a worker listens there but takes no connection (frozen, or stopped)

# What a peer's bytes may raise once parsed: the peer sent something that is not a message
NOT_A_MESSAGE = (ValueError, TypeError, OverflowError, RecursionError)


def peer_uid(connection: socket.socket) -> int:
    """The user id of the process at the other end of a Unix socket (SO_PEERCRED)."""
    credentials = connection.getsockopt(
        socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")
    )
    return struct.unpack("3i", credentials)[1]


def connect(path: Path):
    """A connection to the worker at `path`, if one listens there as this user; None where none
    does (a dead worker's socket, or none); BUSY where one listens but takes no connection (its
    queue is full: frozen, or stopped). Never blocks: the connection, and the request sent on
    it, wait ACCEPT_S at most."""
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.settimeout(ACCEPT_S)
    try:
        client.connect(str(path))
        served_by = peer_uid(client)
    except (BlockingIOError, TimeoutError):
        client.close()
        return BUSY
    except OSError:
        client.close()
        return None
    if served_by != os.getuid():
        client.close()
        raise place.Unsafe(f"{path} is served by another user")
    return client


def messages(client: socket.socket, first_within: float):
    """The worker's messages, one JSON object a line; the first within `first_within`
    seconds, each next within SILENCE_S (a worker mid-run beats every HEARTBEAT_S). Ends
    with TimeoutError where the worker falls silent, or at the end of the stream."""
    client.settimeout(first_within)
    buffer = b""
    while True:
        chunk = client.recv(65536)
        if not chunk:
            return
        client.settimeout(SILENCE_S)
        buffer += chunk
        if b"\n" in chunk:
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                message = json.loads(line)
                if isinstance(message, dict):
                    yield message
        if len(buffer) > MESSAGE_BYTES:
            raise ValueError(f"a message longer than {MESSAGE_BYTES} bytes")


def read_line(connection: socket.socket, within: float) -> bytes:
    """The first line `connection` sends, at most MESSAGE_BYTES, whole within `within` seconds:
    a peer that trickles its bytes is cut off as one that sends none."""
    deadline, data = time.monotonic() + within, b""
    while b"\n" not in data:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no whole request within {within:g} s")
        connection.settimeout(left)
        chunk = connection.recv(65536)
        if not chunk:
            break
        data += chunk
        if len(data) > MESSAGE_BYTES:
            raise ValueError(f"a request longer than {MESSAGE_BYTES} bytes")
    return data.split(b"\n", 1)[0]
