"""Fixtures for tests that need what runs outside a request: real RQ workers on a queue of
the test's own, committed data that other processes can see, settings changed for one
test, and the SMS texts the outbox provider delivered. Loaded by tests/conftest.py."""
from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from tests.conftest import REDIS_URL, TEST_DATABASE_URL, _truncate_all
from tests.factories import Factories

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


def wait_until(predicate: Callable[[], Any], timeout: float = 30.0, every: float = 0.05) -> Any:
    """Poll until `predicate()` is truthy; a deadline against hangs, not a timing assertion."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


@pytest.fixture
def use_config(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Change settings of the shared test app for one test (the provider is rebuilt)."""

    def apply(**settings: Any) -> None:
        for key, value in settings.items():
            monkeypatch.setitem(app.config, key, value)
        monkeypatch.delitem(app.extensions, "kj_sms_provider", raising=False)
        monkeypatch.delitem(app.extensions, "kj_redis", raising=False)

    yield apply
    app.extensions.pop("kj_sms_provider", None)
    app.extensions.pop("kj_redis", None)


@pytest.fixture
def queue_name(app: Flask, use_config) -> str:
    """A queue of this test's own, so that no other job (or test) is in the way."""
    name = f"sms-test-{uuid.uuid4().hex[:10]}"
    use_config(RQ_QUEUE=name)
    yield name
    from redis import Redis
    from rq import Queue

    # The shared Redis only: a throwaway one takes its queues with it.
    queue = Queue(name, connection=Redis.from_url(REDIS_URL))
    for job_id in queue.scheduled_job_registry.get_job_ids():
        queue.scheduled_job_registry.remove(job_id, delete_job=True)
    for registry in (queue.finished_job_registry, queue.failed_job_registry):
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)
    # A job left "started" by a worker the test killed: RQ 3's started registry has no remove().
    from rq.job import Job

    started = queue.started_job_registry
    for job in Job.fetch_many(started.get_job_ids(), connection=queue.connection):
        if job is not None:
            job.delete()
    queue.connection.delete(started.key)
    queue.delete(delete_jobs=True)


@pytest.fixture
def committed(app: Flask) -> Iterator[Factories]:
    """Data that other processes (a real worker) can see: commits for real, wiped afterwards."""
    with app.app_context():
        yield Factories(db.session)
        db.session.rollback()
    _truncate_all(app)


def worker_env(redis_url: str, queue: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMS_", "KUAJING_"))}
    env.update({"DATABASE_URL": TEST_DATABASE_URL, "REDIS_URL": redis_url, "RQ_QUEUE": queue,
                "SECRET_KEY": "test-secret-key", "PYTHONPATH": str(ROOT)})
    env.update(extra)
    return env


def run_worker(redis_url: str, queue: str, *, scheduler: bool = False, burst: bool = True,
               **extra: str) -> subprocess.Popen:
    """A real `rq worker` process, as the Procfile starts it, on `queue`."""
    args = [str(VENV_BIN / "rq"), "worker", "--url", redis_url,
            "--worker-class", "app.core.worker.AppWorker"]
    if scheduler:
        args.append("--with-scheduler")
    if burst:
        args.append("--burst")
    return subprocess.Popen([*args, queue], cwd=ROOT, env=worker_env(redis_url, queue, **extra),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)


def stop_process(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    try:
        out, _ = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, _ = proc.communicate(timeout=15)
    return (out or b"").decode(errors="replace")


class OutboxLog(logging.Handler):
    """What the outbox provider delivered, read from its INFO log line, as a phone would.

    The database and the outbox page only ever show codes and links masked."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.delivered: list[tuple[str, str]] = []  # (phone, text)

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == "app.notifications.provider" and record.msg.startswith("outbox delivered"):
            _, phone, text = record.args
            self.delivered.append((phone, text))

    def texts_to(self, phone: str) -> list[str]:
        return [text for to, text in self.delivered if to == phone]

    def code_to(self, phone: str) -> str | None:
        for text in reversed(self.texts_to(phone)):
            found = re.search(r"(?<!\d)(\d{6})(?!\d)", text)
            if found:
                return found.group(1)
        return None


@pytest.fixture
def outbox_log() -> Iterator[OutboxLog]:
    handler = OutboxLog()
    logger = logging.getLogger("app.notifications.provider")
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


class ThrowawayPostgres:
    """A PostgreSQL server of one test's own (initdb in a temporary folder), which the test
    may restart or stop; the shared server is never touched."""

    def __init__(self, workdir: Path) -> None:
        import glob
        import socket as _socket

        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        assert bins, "PostgreSQL server binaries are not installed"
        self.bin = Path(bins[-1])
        self.data = workdir / "pg"
        with _socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        # As root, the server must run as an unprivileged user.
        self.run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.data.mkdir(parents=True)
        if self.run_as:
            subprocess.run(["chown", "-R", "postgres", str(workdir)], check=True)
        subprocess.run([*self.run_as, str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                        "-A", "trust", "-E", "UTF8"], check=True, stdout=subprocess.DEVNULL)

    def _ctl(self, *args: str) -> None:
        subprocess.run([*self.run_as, str(self.bin / "pg_ctl"), "-D", str(self.data), "-l",
                        str(self.data / "server.log"), "-w", *args], check=True, stdout=subprocess.DEVNULL)

    def start(self) -> ThrowawayPostgres:
        self._ctl("-o", f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data} -c fsync=off", "start")
        return self

    def restart(self) -> None:
        self._ctl("-m", "fast", "-o", f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data} -c fsync=off",
                  "restart")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._ctl("-m", "immediate", "stop")


@pytest.fixture
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    import shutil
    import tempfile

    # Not under pytest's own temporary folder: the server's user must be able to reach it.
    workdir = Path(tempfile.mkdtemp(prefix="kj-pg-"))
    workdir.chmod(0o755)
    server = ThrowawayPostgres(workdir).start()
    yield server
    server.stop()
    shutil.rmtree(workdir, ignore_errors=True)
