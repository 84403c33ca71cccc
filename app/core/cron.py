"""Every periodic job, loaded by `rq cron app.core.cron` (see the Procfiles).

Cron expressions are read in the cron process's local time: run it with
TZ=Asia/Shanghai so that "daily" means a Beijing day.
"""
import os

from rq import cron

from app.catalog.jobs import refresh_products
from app.notifications import cron as sms_cron

QUEUE = os.environ.get("RQ_QUEUE") or "default"

sms_cron.register()

# Offers start and stop being valid by date, so each product's stored best landed
# price is recomputed just after midnight (saving a rate or tax already queues its own).
cron.register(refresh_products, queue_name=QUEUE, args=(None,), cron="5 0 * * *", job_timeout=1800)
