"""Fixtures for SMS tests: the Tencent Cloud SMS stub, and a throwaway Redis that a test
may stop and start (workers, queues and committed data come from tests/workers.py)."""
from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from sandbox.sms.server import SmsStub
from tests.workers import wait_until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
def use_stub(sms_stub: StubServer, use_config) -> StubServer:
    use_config(**sms_stub.config())
    return sms_stub


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


