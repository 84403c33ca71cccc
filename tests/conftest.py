"""Shared fixtures: the app on real PostgreSQL and Redis, per-test rollback,
factories, an internet guard, and a live server for Chromium.

Services come from TEST_DATABASE_URL and REDIS_URL (`make test` starts throwaway
ones when they do not answer). A missing service fails the run; nothing is skipped.
"""
from __future__ import annotations

import contextvars
import ipaddress
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db, limiter
from tests.factories import Factories

TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1")
# Under pytest-xdist (`make test` runs two processes) each process owns a database of its
# own (test_gw0, test_gw1, …) and the Redis database after the configured one (1, 2, …),
# so their committed rows, queues and workers never meet.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if XDIST_WORKER:
    _n = int(XDIST_WORKER.removeprefix("gw"))
    TEST_DATABASE_URL = sa.make_url(TEST_DATABASE_URL).set(
        database=f"{sa.make_url(TEST_DATABASE_URL).database}_{XDIST_WORKER}").render_as_string(hide_password=False)
    _redis = REDIS_URL.rsplit("/", 1)
    REDIS_URL = f"{_redis[0]}/{(int(_redis[1] or 0) + _n) % 16}"
RUN_ID = uuid.uuid4().hex[:8]
# Stored files of this run (statements, attachments), never the development instance's.
FILES_DIR = os.path.join(tempfile.gettempdir(), f"kj-test-files-{RUN_ID}")

# Workers, queues, committed data and settings changed for one test (tests/workers.py).
pytest_plugins = ["tests.workers"]


# --------------------------------------------------------------------------- internet guard

class InternetAccessBlocked(RuntimeError):
    pass


def _is_local(host: Any) -> bool:
    if not isinstance(host, str):
        return True
    if host in {"localhost", ""}:
        return True
    try:
        ip = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return ip.is_loopback or ip.is_unspecified


_internet_attempts: list[str] = []


@pytest.fixture(scope="session", autouse=True)
def _guard_internet() -> Iterator[None]:
    """Refuse any connection or name lookup beyond this machine."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(host: Any) -> None:
        if not _is_local(host):
            _internet_attempts.append(str(host))
            raise InternetAccessBlocked(f"tests must not reach the internet ({host})")

    def connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            check(address[0])
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            check(address[0])
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        check(host.decode() if isinstance(host, bytes) else host)
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]
    yield
    socket.socket.connect, socket.socket.connect_ex = real_connect, real_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = real_getaddrinfo


@pytest.fixture(autouse=True)
def _fail_on_internet_attempt() -> Iterator[None]:
    # Code under test may swallow the exception; the attempt still fails the test.
    start = len(_internet_attempts)
    yield
    if len(_internet_attempts) > start:
        pytest.fail(f"test tried to reach the internet: {_internet_attempts[start:]}")


# --------------------------------------------------------------------------- database

def _prepare_database(url: str) -> None:
    """Create the test database if missing and empty its schema."""
    target = sa.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                 {"n": target.database})
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    except sa.exc.OperationalError as e:
        pytest.exit(f"PostgreSQL at {url} does not answer (run `make test`): {e}", returncode=3)
    finally:
        admin.dispose()
    engine = sa.create_engine(target, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def app_config(**overrides: Any) -> dict[str, Any]:
    """Settings for an app under test; other fixtures build variants from it."""
    cfg: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": f"kjtest-{RUN_ID}",
        "SERVER_NAME": None,
        "FILES_DIR": FILES_DIR,
    }
    cfg.update(overrides)
    return cfg


@pytest.fixture(scope="session")
def app() -> Iterator[Flask]:
    """The portal on the test database, migrated with the real migrations."""
    _prepare_database(TEST_DATABASE_URL)
    application = create_app(app_config())
    with application.app_context():
        from flask_migrate import upgrade

        upgrade(directory=str(application.root_path + "/../migrations"))
    yield application
    with application.app_context():
        db.engine.dispose()
    shutil.rmtree(FILES_DIR, ignore_errors=True)


@pytest.fixture
def make_app(app: Flask, db_session: Any) -> Iterator[Callable[..., Flask]]:
    """Factory for a second portal with other settings (say, a Redis that will die).

    Some extensions (the rate limiter) keep one storage per process, so the main
    app is bound to them again afterwards (before db_session's teardown, which
    this fixture depends on for that ordering).
    """
    def build(**overrides: Any) -> Flask:
        other = create_app(app_config(**overrides))
        other.test_client_class = PortalClient
        return other

    yield build
    limiter.init_app(app)
    # A Redis that died in the test left the limiter counting in memory; init_app keeps
    # that flag, and the limiter would switch back to Redis in the middle of a later test.
    limiter._storage_dead = False


@pytest.fixture
def db_session(app: Flask) -> Iterator[Any]:
    """Run the test inside one outer transaction that is rolled back afterwards.

    The app's engine is swapped for a connection holding that transaction; every
    session commit inside the test becomes a savepoint release.
    """
    with app.app_context():
        engines = db.engines
        engine = engines[None]
        connection = engine.connect()
        outer = connection.begin()
        engines[None] = connection  # type: ignore[assignment]
        db.session.remove()
        db.session.configure(join_transaction_mode="create_savepoint")
        try:
            yield db.session
        finally:
            db.session.remove()
            outer.rollback()
            connection.close()
            engines[None] = engine
            limiter.reset()


@pytest.fixture
def count_queries(app: Flask, db_session: Any) -> Callable[[], Any]:
    """`with count_queries() as seen:` records every SQL statement the app runs."""

    @contextmanager
    def counting() -> Iterator[list[str]]:
        seen: list[str] = []

        def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
                seen.append(statement)

        with app.app_context():
            target = db.engines[None]  # the test's connection (see db_session)
        sa.event.listen(target, "before_cursor_execute", before)
        try:
            yield seen
        finally:
            sa.event.remove(target, "before_cursor_execute", before)

    return counting


# --------------------------------------------------------------------------- clients

_CSRF_RE = re.compile(r'X-CSRFToken": "([^"]+)"')


class PortalClient(FlaskClient):
    """A test client that behaves like a separate browser talking to the server.

    Each request runs in a fresh context, so it gets its own app context, `g` and
    database session (bound to the test's outer transaction), exactly as a real
    request would, even while the test body holds an app context of its own.
    POSTs carry the page's CSRF token unless `csrf=False`.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return contextvars.Context().run(super().open, *args, **kwargs)

    def csrf_token(self) -> str:
        html = super().get("/").get_data(as_text=True)
        match = _CSRF_RE.search(html)
        assert match, "no CSRF token on the home page"
        return match.group(1)

    def post(self, *args: Any, csrf: bool = True, **kwargs: Any) -> Any:  # type: ignore[override]
        if csrf:
            token = self.csrf_token()
            if kwargs.get("json") is not None:
                kwargs.setdefault("headers", {})["X-CSRFToken"] = token
            else:
                data = dict(kwargs.get("data") or {})
                data.setdefault("csrf_token", token)
                kwargs["data"] = data
        return super().post(*args, **kwargs)


@pytest.fixture
def client(app: Flask, db_session: Any) -> FlaskClient:
    app.test_client_class = PortalClient
    return app.test_client()


@pytest.fixture
def new_client(app: Flask, db_session: Any) -> Callable[[], PortalClient]:
    """A second browser: its own cookie jar."""
    app.test_client_class = PortalClient
    return lambda: app.test_client()  # type: ignore[return-value]


@pytest.fixture
def factories(db_session: Any) -> Factories:
    return Factories(db_session)


@pytest.fixture
def make_company(factories: Factories):
    return factories.company


@pytest.fixture
def make_user(factories: Factories):
    return factories.user


@pytest.fixture
def login() -> Callable[..., Any]:
    def do_login(client: PortalClient, user: Any, password: str = Factories.PASSWORD) -> Any:
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return response

    return do_login


@pytest.fixture(scope="session")
def redis_url() -> str:
    return REDIS_URL


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThrowawayRedis:
    """A Redis server of one test's own, which the test may stop and start again.

    The shared Redis is never stopped; tests about Redis outages use one of these.
    """

    def __init__(self, workdir: str) -> None:
        self.binary = shutil.which("redis-server")
        assert self.binary, "redis-server is not installed (make test installs it)"
        self.port = free_port()
        self.workdir = workdir
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ThrowawayRedis:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.workdir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.1).close()
                return self
            except OSError:
                time.sleep(0.025)
        raise RuntimeError("throwaway redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)


@pytest.fixture
def throwaway_redis(tmp_path: Any) -> Iterator[Callable[[], ThrowawayRedis]]:
    """Factory: `server = throwaway_redis()` starts one; all are stopped afterwards."""
    servers: list[ThrowawayRedis] = []

    def start() -> ThrowawayRedis:
        server = ThrowawayRedis(str(tmp_path)).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


# --------------------------------------------------------------------------- browser

class LiveServer:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)

    def commit(self, fn: Callable[[Factories], Any]) -> Any:
        """Create data that the server can see: runs `fn(factories)` and commits."""
        with self.app.app_context():
            result = fn(Factories(db.session))
            db.session.commit()
            if result is not None and hasattr(result, "id"):
                db.session.refresh(result)
                db.session.expunge(result)
            return result


def _truncate_all(app: Flask) -> None:
    """Empty every table (committed data of a live-server test).

    A request of the test's browser can still be running (a page polls its status every
    second), and TRUNCATE's locks may then meet its locks in a deadlock; PostgreSQL breaks
    it by failing one side, and when that is us we simply try again.
    """
    with app.app_context():
        tables = [t.name for t in db.metadata.sorted_tables]
        statement = sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
        for attempt in range(5):
            try:
                if tables:
                    with db.engine.begin() as conn:
                        conn.execute(statement)
                break
            except sa.exc.OperationalError as e:
                if "deadlock detected" not in str(e) or attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))
        db.session.remove()


@pytest.fixture(scope="session")
def _live_server(app: Flask) -> Iterator[LiveServer]:
    live_app = create_app(app_config(TESTING=False))
    server = LiveServer(live_app)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def live_server(_live_server: LiveServer) -> Iterator[LiveServer]:
    """The portal served over HTTP on a free port, with committed data wiped afterwards."""
    yield _live_server
    _truncate_all(_live_server.app)
    with _live_server.app.app_context():
        limiter.reset()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM", "/usr/bin/chromium"),
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


@pytest.fixture
def page(page: Any) -> Iterator[Any]:
    """Playwright's page, failing the test on any script error or CSP violation.

    A 422 is how forms answer invalid input (htmx swaps it in), so Chromium's
    note about it is not a problem.
    """
    problems: list[str] = []

    def on_console(message: Any) -> None:
        if message.type == "error" and "status of 422" not in message.text:
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda e: problems.append(str(e)))
    yield page
    assert not problems, f"the browser reported errors: {problems}"
