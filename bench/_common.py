"""Helpers for benchmarks: a migrated bench database and a gunicorn like production's."""
from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
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
    """Run a `flask --app wsgi` command on the bench database; its output only when it fails."""
    done = subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=bench_env(),
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


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


def procfile_web_command(port: int, app: str = "wsgi:app", workers: int | None = None,
                         threads: int | None = None) -> list[str]:
    """The Procfile's web line, so the bench runs the server as production does.

    `app` replaces `wsgi:app`; `workers` and `threads`, when given, replace the line's worker
    settings (threads=1 is gunicorn's sync worker, more is gthread), so that two servers
    compared in one run can be given the same ones.
    """
    line = next(l for l in (ROOT / "Procfile").read_text().splitlines() if l.startswith("web:"))
    command = line.split(":", 1)[1].strip()
    command = re.sub(r"\$\{WEB_CONCURRENCY:-(\d+)\}", lambda m: os.environ.get("WEB_CONCURRENCY", m.group(1)), command)
    command = re.sub(r"\$\{PORT:-\d+\}", str(port), command)
    command = command.replace("0.0.0.0", "127.0.0.1").replace("--access-logfile -", "")
    parts = [app if p == "wsgi:app" else p for p in shlex.split(command)]
    parts[0] = str(VENV_BIN / parts[0])
    for option, value in (("--workers", workers), ("--threads", threads)):
        if value is not None:
            if option in parts:
                parts[parts.index(option) + 1] = str(value)
            else:
                parts[1:1] = [option, str(value)]
    if threads is not None:
        parts[1:1] = ["--worker-class", "sync" if threads == 1 else "gthread"]
    return parts


@contextmanager
def gunicorn(app: str = "wsgi:app", workers: int | None = None, threads: int | None = None) -> Iterator[str]:
    """A gunicorn serving `app` on the bench database; yields its base URL once a worker
    answers. Its log is printed when the block fails."""
    port = free_port()
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(procfile_web_command(port, app, workers, threads), cwd=ROOT, env=bench_env(),
                            stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # until a worker answers (any status): the app is imported
            try:
                urllib.request.urlopen(url + "/hello", timeout=1).close()
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(f"gunicorn {app} exited with {proc.returncode}")
                time.sleep(0.05)
        yield url
    except BaseException:
        log.seek(0)
        sys.stderr.write(f"--- gunicorn {app} log (last 3,000 characters):\n")
        sys.stderr.write(log.read().decode(errors="replace")[-3000:])
        raise
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
        log.close()
