"""The SMS sweep as a periodic job; `rq cron app.core.cron` loads it with the others."""
import os

from rq import cron

from app.notifications.jobs import sweep


def register() -> None:
    # Every minute (SMS_SWEEP_INTERVAL seconds): messages left queued because Redis was
    # down when they were created, or whose worker died while sending.
    cron.register(sweep, queue_name=os.environ.get("RQ_QUEUE") or "default",
                  interval=int(os.environ.get("SMS_SWEEP_INTERVAL") or 60), job_timeout=120)


register()  # so that `rq cron app.notifications.cron` alone also works
