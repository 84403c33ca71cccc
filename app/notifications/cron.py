"""Periodic jobs, loaded by `rq cron app.notifications.cron`."""
import os

from rq import cron

from app.notifications.jobs import sweep

# Every minute: messages left queued because Redis was down when they were created,
# or whose worker died while sending.
cron.register(sweep, queue_name=os.environ.get("RQ_QUEUE") or "default", interval=60, job_timeout=120)
