"""Periodic jobs, loaded by `rq cron app.notifications.cron`."""
import os

from rq import cron

from app.notifications.jobs import sweep

# Every minute (SMS_SWEEP_INTERVAL seconds): messages left queued because Redis was down
# when they were created, or whose worker died while sending.
cron.register(sweep, queue_name=os.environ.get("RQ_QUEUE") or "default",
              interval=int(os.environ.get("SMS_SWEEP_INTERVAL") or 60), job_timeout=120)
