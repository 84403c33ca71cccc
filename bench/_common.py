"""Helpers for benchmarks: a migrated bench database and a gunicorn like production's."""
from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
# The bench database sits next to the test database and is named after it ("test" ->
# "test_kjbench"), so people with their own TEST_DATABASE_URL on one server do not share it.
_TEST_URL = sa.make_url(os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
BENCH_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL",
    _TEST_URL.set(database=f"{_TEST_URL.database}_kjbench").render_as_string(hide_password=False),
)


def bench_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"DATABASE_URL": BENCH_DATABASE_URL, "SECRET_KEY": "bench-secret",
                "KUAJING_ENV": "bench", "RATELIMIT_KEY_PREFIX": "kjbench"})
    env.update(extra)
    return env


def ensure_database(url: str = BENCH_DATABASE_URL) -> None:
    target = sa.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname=:n"), {"n": target.database}):
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def flask(*args: str) -> None:
    subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=bench_env(),
                   check=True, stdout=subprocess.DEVNULL)


def prepare(*seed_commands: str) -> None:
    """Create, migrate and seed the bench database."""
    ensure_database()
    flask("db", "upgrade")
    for command in ("seed-demo", *seed_commands):
        flask(command)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def procfile_web_command(port: int) -> list[str]:
    """The Procfile's web line, so the bench runs the server as production does."""
    line = next(l for l in (ROOT / "Procfile").read_text().splitlines() if l.startswith("web:"))
    command = line.split(":", 1)[1].strip()
    command = re.sub(r"\$\{WEB_CONCURRENCY:-(\d+)\}", lambda m: os.environ.get("WEB_CONCURRENCY", m.group(1)), command)
    command = re.sub(r"\$\{PORT:-\d+\}", str(port), command)
    command = command.replace("0.0.0.0", "127.0.0.1").replace("--access-logfile -", "")
    parts = shlex.split(command)
    parts[0] = str(VENV_BIN / parts[0])
    return parts


@contextmanager
def gunicorn() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(procfile_web_command(port), cwd=ROOT, env=bench_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(proc.stderr.read().decode())
                time.sleep(0.05)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
