"""Helpers for benchmarks: a migrated bench database, gunicorn as the Procfile runs it,
wrk, and a count of database round trips per request."""
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
from typing import Any, Iterator

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
def running(name: str, command: list[str], env: dict[str, str], ready_url: str | None = None) -> Iterator[None]:
    """`command` running in a session of its own until the block ends (then stopped, with its
    children), once `ready_url` answers with any status. Its output is shown if the block fails."""
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        for _ in range(300):
            try:
                if ready_url is not None:
                    urllib.request.urlopen(ready_url, timeout=1).close()
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}")
                time.sleep(0.05)
        yield
    except BaseException:
        log.seek(0)
        sys.stderr.write(f"--- {name} log (last 3,000 characters):\n")
        sys.stderr.write(log.read().decode(errors="replace")[-3000:])
        raise
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:  # a worker still holding a kept-alive connection
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        log.close()


@contextmanager
def gunicorn(app: str = "wsgi:app", workers: int | None = None, threads: int | None = None,
             port: int | None = None, **env: str) -> Iterator[str]:
    """A gunicorn serving `app` on the bench database (on `port`, else a free one, with `env`
    added to its environment); yields its base URL once a worker answers (the app is
    imported). Its log is printed when the block fails."""
    port = port or free_port()
    command = procfile_web_command(port, app, workers, threads)
    # gunicorn's control socket has one default path per user: two servers at once (ours, or
    # anyone's on this machine) would take it from each other.
    command[1:1] = ["--no-control-socket"]
    url = f"http://127.0.0.1:{port}"
    with running(f"gunicorn {app}", command, bench_env(**env), url + "/hello"):
        yield url


def wrk(url: str, duration: str, cookie: str | None = None, connections: int = 16, threads: int = 2) -> float:
    """Requests per second of `url` under wrk; exits naming the page when any response is not
    2xx or any socket error happened, since then the figure would not be that page's."""
    args = ["wrk", f"-t{threads}", f"-c{connections}", "-d", duration,
            "-s", str(ROOT / "bench" / "_wrk_non2xx.lua"), url]
    if cookie:
        args[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    non2xx = int(re.search(r"non-2xx responses: (\d+)", out).group(1))
    if non2xx or "Socket errors" in out:
        raise SystemExit(f"{url}: failed responses\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


# --- signing in and counting round trips ---------------------------------------------------

BUYER = {"email": "buyer@demo.test", "password": "demo-pass-2026", "name": "王小明"}  # from `flask seed-demo`
OPS = {"email": "ops@demo.test", "password": "demo-pass-2026", "name": "运营 赵"}  # the operator of `flask seed-demo`


def csrf_token(login_page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)


class RoundTrips:
    """Database round trips made through `engine`, counted from SQLAlchemy's events.

    `statements` are the SQL statements sent. `transaction` counts the BEGIN, COMMIT and
    ROLLBACK psycopg sends on its own: BEGIN before the first statement on an idle connection,
    COMMIT or ROLLBACK only when a transaction is open (on an idle connection it sends
    nothing). `pings` are the pool's pre-ping of a connection taken from the pool (none for a
    brand-new one). The model was checked against libpq's protocol trace.
    """

    def __init__(self, engine: sa.Engine) -> None:
        from psycopg.pq import TransactionStatus

        self.idle = TransactionStatus.IDLE
        self.pre_ping = engine.pool._pre_ping  # no public accessor
        self.reset()
        sa.event.listen(engine, "connect", lambda dbapi, record: record.info.__setitem__("fresh", True))
        sa.event.listen(engine, "checkout", self._checkout)
        sa.event.listen(engine, "before_cursor_execute", self._execute)
        sa.event.listen(engine, "commit", self._end)
        sa.event.listen(engine, "rollback", self._end)
        sa.event.listen(engine, "reset", lambda dbapi, record, state: self._ending(dbapi))

    def reset(self) -> None:
        self.statements = self.transaction = self.pings = 0

    def _checkout(self, dbapi: Any, record: Any, proxy: Any) -> None:
        if self.pre_ping and not record.info.pop("fresh", False):
            self.pings += 1

    def _execute(self, conn: Any, cursor: Any, *args: Any) -> None:
        self.statements += 1
        if cursor.connection.info.transaction_status == self.idle:
            self.transaction += 1  # the BEGIN psycopg sends first

    def _end(self, conn: sa.Connection) -> None:
        self._ending(conn.connection.dbapi_connection)

    def _ending(self, dbapi: Any) -> None:
        if dbapi is not None and dbapi.info.transaction_status != self.idle:
            self.transaction += 1
