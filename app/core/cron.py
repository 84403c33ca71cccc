"""Every periodic job, loaded by `rq cron app.core.cron` (see the Procfiles).

Each domain schedules its own jobs from create_app (`app.core.jobs.schedule`); this
module only hands them to rq's cron. Cron expressions are read in the cron process's
local time: run it with TZ=Asia/Shanghai so that "daily" means a Beijing day.
"""
from rq import cron

from app import create_app
from app.core.periodic import cron_entries

_app = create_app()
for _entry in cron_entries(_app):
    cron.register(_entry.func, queue_name=_app.config["RQ_QUEUE"], args=_entry.args or None,
                  cron=_entry.cron, interval=_entry.interval, job_timeout=_entry.timeout)
