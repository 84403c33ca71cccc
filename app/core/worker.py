"""RQ workers that build the Flask app once, at start, instead of once per job.

    rq worker --with-scheduler --worker-class app.core.worker.AppWorker
    rq worker --with-scheduler --worker-class app.core.worker.AppSimpleWorker

`AppWorker` forks a work horse per job (RQ's default isolation: a crashing or leaking
job cannot take the worker down); the app is built before the fork, so each horse
starts warm. `AppSimpleWorker` runs jobs in the worker process itself, reusing the
app and its database connections: several times the throughput, for high volume.
Plain `rq worker` also runs our jobs, but builds the app again in every horse.
"""
from __future__ import annotations

from typing import Any

from rq import SimpleWorker, Worker


class _AppMixin:
    forks = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from app import create_app
        from app.core.jobs import set_app

        self.flask_app = create_app()
        set_app(self.flask_app)

    def perform_job(self, job, queue, *args: Any, **kwargs: Any) -> bool:
        from app.extensions import db

        with self.flask_app.app_context():
            if self.forks:
                # In a fresh horse: connections inherited from the parent must not be shared.
                db.engine.dispose(close=False)
            try:
                return super().perform_job(job, queue, *args, **kwargs)
            finally:
                db.session.remove()


class AppWorker(_AppMixin, Worker):
    forks = True


class AppSimpleWorker(_AppMixin, SimpleWorker):
    forks = False
