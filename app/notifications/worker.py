"""An RQ worker that builds the Flask app once, before it forks a work horse per job.

    rq worker --with-scheduler --worker-class app.notifications.worker.AppWorker

Plain `rq worker` also runs our jobs, but then every forked horse builds the app
(imports, config, extensions) again for each job.
"""
from __future__ import annotations

from typing import Any

from rq import Worker


class AppWorker(Worker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from app import create_app
        from app.notifications import jobs

        self.flask_app = create_app()
        jobs.set_app(self.flask_app)

    def perform_job(self, job, queue, *args: Any, **kwargs: Any) -> bool:  # in the horse, after the fork
        from app.extensions import db

        with self.flask_app.app_context():
            # Connections inherited from the parent must not be shared across processes.
            db.engine.dispose(close=False)
            try:
                return super().perform_job(job, queue, *args, **kwargs)
            finally:
                db.session.remove()
