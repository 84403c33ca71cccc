"""Fixtures for SMS tests: the Tencent Cloud SMS stub, real RQ workers, committed data,
and a throwaway Redis that a test may stop and start."""
from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from app.extensions import db
from sandbox.sms.server import SmsStub
from tests.conftest import REDIS_URL, TEST_DATABASE_URL, _truncate_all
from tests.factories import Factories

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], Any], timeout: float = 30.0, every: float = 0.05) -> Any:
    """Poll until `predicate()` is truthy; a deadline against hangs, not a timing assertion."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


class StubServer:
    def __init__(self, stub: SmsStub, app: Callable | None = None) -> None:
        self.stub = stub
        self.server = make_server("127.0.0.1", 0, app or stub, threaded=True)
        self.endpoint = f"127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)

    def config(self) -> dict[str, Any]:
        return {"SMS_PROVIDER": "tencent", "SMS_TENCENT_ENDPOINT": self.endpoint, "SMS_TENCENT_SCHEME": "http",
                "SMS_TENCENT_SECRET_ID": self.stub.secret_id, "SMS_TENCENT_SECRET_KEY": self.stub.secret_key,
                "SMS_TENCENT_SDK_APP_ID": self.stub.sdk_app_id}


@pytest.fixture
def sms_stub() -> Iterator[StubServer]:
    server = StubServer(SmsStub())
    yield server
    server.stop()


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
def use_stub(sms_stub: StubServer, use_config) -> StubServer:
    use_config(**sms_stub.config())
    return sms_stub


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
    for registry in (queue.finished_job_registry, queue.failed_job_registry, queue.started_job_registry):
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)
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
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
    return (out or b"").decode(errors="replace")


class ThrowawayRedis:
    """A redis-server of our own on a free port; stopping it never touches the shared one."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="kj-sms-redis-")
        self.proc: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert wait_until(self.answers, timeout=10), "throwaway redis did not start"

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), 0.2) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)
        self.proc = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def throwaway_redis() -> Iterator[ThrowawayRedis]:
    server = ThrowawayRedis()
    yield server
    server.cleanup()


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
