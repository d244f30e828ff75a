"""The site served by gunicorn as the README deploys it (gunicorn.conf.py), for the load and fault scripts."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def healthy(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
        return connection.getresponse().status == 200
    except OSError:
        return False


def wait_for_health(port: int, *, within: float = 60) -> float:
    """Seconds until /healthz answers 200."""
    started = time.monotonic()
    while not healthy(port):
        if time.monotonic() - started > within:
            raise SystemExit(f"the site did not answer /healthz within {within:g} s")
        time.sleep(0.2)
    return time.monotonic() - started


@contextmanager
def gunicorn(**environment: str) -> Iterator[tuple[int, list[str]]]:
    """The port gunicorn listens on, and (once it has stopped) the lines of its error log."""
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("DATABASE_URL must name a PostgreSQL database with projects in it")
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_ACCESS_LOG": "/dev/null",
        **environment,
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "registry.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    log: list[str] = []
    try:
        wait_for_health(port)
        yield port, log
    finally:
        server.terminate()
        log.extend(server.communicate(timeout=30)[1].splitlines())
