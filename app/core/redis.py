"""One Redis connection pool per app, and the RQ queue built on it."""
from __future__ import annotations

from flask import current_app
from redis import Redis


def redis_client() -> Redis:
    app = current_app._get_current_object()
    client = app.extensions.get("kj_redis")
    if client is None:
        client = Redis.from_url(app.config["REDIS_URL"], socket_timeout=2, socket_connect_timeout=2)
        app.extensions["kj_redis"] = client
    return client


def queue(name: str | None = None):
    """The RQ queue jobs go to. Enqueue only after the commit the job depends on."""
    from rq import Queue

    return Queue(name or current_app.config["RQ_QUEUE"], connection=redis_client())
