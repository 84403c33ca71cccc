"""GET /healthz tells operators whether the database and Redis answer."""
from __future__ import annotations

from tests.conftest import free_port


def test_healthy(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "db": "ok", "redis": "ok"}


def test_redis_stopped_gives_503_naming_redis(make_app, throwaway_redis):
    server = throwaway_redis()
    other = make_app(REDIS_URL=server.url, RATELIMIT_STORAGE_URI=server.url)
    client = other.test_client()
    assert client.get("/healthz").status_code == 200
    server.stop()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "db": "ok", "redis": "error"}


def test_database_down_gives_503_naming_db(make_app):
    broken = make_app(SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none")
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "db": "error", "redis": "ok"}


def test_rq_cron_registers_each_periodic_job_exactly_once(redis_url):
    from redis import Redis
    from rq.cron import CronScheduler

    from app.catalog.jobs import daily_refresh
    from app.core.jobs import sweep
    from app.payments.jobs import resume_polling
    from app.statements.reconciliation_jobs import reconcile_recent_days

    for _ in range(2):  # loading twice (a restart in one process) registers each job once
        scheduler = CronScheduler(connection=Redis.from_url(redis_url))
        scheduler.load_config_from_file("app.core.cron")
        registered = [job.func for job in scheduler.get_jobs()]
        # A list, not a set: a job registered twice would run twice as often.
        assert sorted(f.__qualname__ for f in registered) == ["complete_overdue", "daily_refresh", "monthly_statements",
                                                              "reconcile_recent_days", "resume_polling", "sweep"]
        jobs = {job.func: job for job in scheduler.get_jobs()}
    assert jobs[sweep].interval == 60
    assert jobs[daily_refresh].cron == "5 0 * * *"
    assert jobs[resume_polling].interval == 180
    from app.statements.statement_jobs import monthly_statements

    assert jobs[monthly_statements].cron == "30 2 * * *"
    assert jobs[reconcile_recent_days].cron == "30 10 * * *"   # WeChat's bill is ready from 09:00


def test_a_database_restart_costs_no_request(make_app, throwaway_postgres):
    # Connections are no longer pinged on every checkout; one that sat idle is checked
    # first, so the first request after a restart gets a fresh connection, not an error.
    app = make_app(SQLALCHEMY_DATABASE_URI=throwaway_postgres.url)
    client = app.test_client()
    assert client.get("/healthz").get_json()["db"] == "ok"
    throwaway_postgres.restart()
    assert client.get("/healthz").get_json()["db"] == "ok"
    assert client.get("/healthz").get_json()["db"] == "ok"


def test_a_busy_connection_is_not_pinged(make_app, throwaway_postgres, monkeypatch):
    import psycopg

    app = make_app(SQLALCHEMY_DATABASE_URI=throwaway_postgres.url)
    client = app.test_client()
    client.get("/healthz")
    sent = []  # every statement psycopg sends on a cursor, the pool's pings included
    real = psycopg.Cursor.execute
    monkeypatch.setattr(psycopg.Cursor, "execute", lambda self, query, *a, **k: sent.append(str(query)) or real(self, query, *a, **k))
    for _ in range(3):
        client.get("/healthz")
    assert sent == ["SELECT 1"] * 3, "one statement per request: no ping round trip"
