"""GET /healthz tells operators whether the database and Redis answer."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest

from app import create_app
from tests.conftest import app_config


def test_healthy(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "db": "ok", "redis": "ok"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def throwaway_redis(tmp_path):
    """A Redis of this test's own, which the test may stop."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server is not installed (make test installs it)"
    port = _free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    yield proc, f"redis://127.0.0.1:{port}/0"
    proc.kill()
    proc.wait()


def test_redis_stopped_gives_503_naming_redis(app, throwaway_redis):
    proc, url = throwaway_redis
    other = create_app(app_config(REDIS_URL=url, RATELIMIT_STORAGE_URI=url))
    client = other.test_client()
    assert client.get("/healthz").status_code == 200
    proc.terminate()
    proc.wait(5)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "db": "ok", "redis": "error"}


def test_database_down_gives_503_naming_db(app):
    broken = create_app(app_config(
        SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/none"))
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "db": "error", "redis": "ok"}
