"""SMS delivery: enqueue -> sent latency and throughput with a real RQ worker on real Redis.

Runs the worker as the Procfile does (`rq worker --worker-class app.notifications.worker.AppWorker`)
against the bench database, SMS_PROVIDER=outbox. The baseline, measured in the same run
on the same worker, is an empty RQ job: the ratio is what our job (claim, provider call,
record, two commits) costs on top of RQ itself.

    python bench/sms_delivery.py     (make bench runs it)
"""
from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import BENCH_DATABASE_URL, ROOT, VENV_BIN, bench_env, prepare  # noqa: E402

LATENCY_SAMPLES = int(os.environ.get("SMS_BENCH_SAMPLES", 40))
THROUGHPUT_MESSAGES = int(os.environ.get("SMS_BENCH_MESSAGES", 1000))
NOOP = "bench.sms_delivery.noop"


def noop() -> None:
    """The baseline job: nothing but RQ's own work."""


def _wait(predicate, timeout: float = float(os.environ.get("SMS_BENCH_TIMEOUT", 300)), every: float = 0.002):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the worker did not finish in time")
        time.sleep(every)


def main() -> None:
    queue_name = f"bench-sms-{uuid.uuid4().hex[:8]}"
    env = bench_env(RQ_QUEUE=queue_name, SMS_PROVIDER="outbox")
    os.environ.update({k: v for k, v in env.items() if k in ("DATABASE_URL", "SECRET_KEY", "KUAJING_ENV",
                                                             "RQ_QUEUE", "SMS_PROVIDER", "RATELIMIT_KEY_PREFIX")})
    prepare()

    from redis import Redis
    from rq import Queue
    from sqlalchemy import delete, func, select

    from app import create_app
    from app.extensions import db
    from app.notifications.models import SmsMessage, SmsStatus
    from app.notifications.services import Recipient, notify

    app = create_app()
    redis = Redis.from_url(app.config["REDIS_URL"])
    q = Queue(queue_name, connection=redis)
    worker = subprocess.Popen(
        [str(VENV_BIN / "rq"), "worker", "--url", app.config["REDIS_URL"], "--worker-class",
         "app.notifications.worker.AppWorker", "--logging_level", os.environ.get("SMS_BENCH_LOG", "WARNING"), queue_name],
        cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)}, stdout=open("/tmp/kj-sms-bench-worker.log", "wb"), stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
        with app.app_context():
            db.session.execute(delete(SmsMessage).where(SmsMessage.dedup_key.like("bench:%")))
            db.session.commit()

            # Warm up both paths (imports, connections) before measuring.
            job = q.enqueue(NOOP)
            _wait(lambda: job.get_status(refresh=True).value == "finished", timeout=60)

            # --- baseline latency: an empty job
            base = []
            for _ in range(LATENCY_SAMPLES):
                start = time.time()
                job = q.enqueue(NOOP)
                _wait(lambda: job.get_status(refresh=True).value == "finished")
                job.refresh()
                base.append(_ended(job) - start)

            # --- SMS latency: commit (which enqueues) -> sent_at written by the worker
            sms = []
            for i in range(LATENCY_SAMPLES + 1):
                notify("order_paid", Recipient("+8613800138000", "zh_CN"), dedup_key=f"bench:lat:{uuid.uuid4().hex}",
                       order_no=f"KJ-{i}", amount="¥1.00")
                start = time.time()
                db.session.commit()
                message_id = db.session.scalar(select(func.max(SmsMessage.id)))
                _wait(lambda: db.session.scalar(select(SmsMessage.sent_at).where(
                    SmsMessage.id == message_id).execution_options(populate_existing=True)) is not None)
                db.session.rollback()
                sent_at = db.session.get(SmsMessage, message_id).sent_at
                if i:  # the first one warms the SMS path
                    sms.append(sent_at.timestamp() - start)
                db.session.rollback()

            # --- throughput: 1,000 messages committed at once
            base_start = time.time()
            jobs = q.enqueue_many([Queue.prepare_data(NOOP) for _ in range(THROUGHPUT_MESSAGES)])
            _wait(lambda: q.count == 0 and jobs[-1].get_status(refresh=True).value == "finished", every=0.05)
            base_rate = THROUGHPUT_MESSAGES / (max(_ended(j) for j in _refetch(jobs, redis)) - base_start)

            for i in range(THROUGHPUT_MESSAGES):
                notify("order_paid", Recipient(f"+86139{i:08d}", "en"), dedup_key=f"bench:tp:{uuid.uuid4().hex}",
                       order_no=f"KJ-{i}", amount="¥2.00")
            db.session.flush()
            start = time.time()
            db.session.commit()
            enqueued = time.time() - start
            pending = select(func.count()).select_from(SmsMessage).where(
                SmsMessage.dedup_key.like("bench:tp:%"), SmsMessage.status != SmsStatus.SENT)
            _wait(lambda: (db.session.rollback(), db.session.scalar(pending))[1] == 0, every=0.1)
            last = db.session.scalar(select(func.max(SmsMessage.sent_at)).where(SmsMessage.dedup_key.like("bench:tp:%")))
            rate = THROUGHPUT_MESSAGES / (last.timestamp() - start)
            failed = db.session.scalar(select(func.count()).select_from(SmsMessage).where(
                SmsMessage.dedup_key.like("bench:%"), SmsMessage.status == SmsStatus.FAILED))

            db.session.execute(delete(SmsMessage).where(SmsMessage.dedup_key.like("bench:%")))
            db.session.commit()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(30)
        Queue(queue_name, connection=redis).delete(delete_jobs=True)

    med, base_med = statistics.median(sms), statistics.median(base)
    print(f"sms_delivery: database {BENCH_DATABASE_URL.rsplit('/', 1)[-1]}, one worker (AppWorker, forking), outbox provider")
    print(f"  enqueue -> sent, median of {len(sms)}: {med * 1000:.0f} ms "
          f"(p90 {statistics.quantiles(sms, n=10)[-1] * 1000:.0f} ms; target <= 1000 ms: {'met' if med <= 1 else 'NOT met'})")
    print(f"  baseline empty RQ job, median of {len(base)}: {base_med * 1000:.0f} ms; ratio {med / base_med:.2f}x")
    print(f"  {THROUGHPUT_MESSAGES} messages: {rate:.0f} jobs/s (commit + enqueue of all {enqueued * 1000:.0f} ms); "
          f"baseline {base_rate:.0f} empty jobs/s; ratio {rate / base_rate:.2f}x; failed {failed}")


def _ended(job) -> float:
    ended = job.ended_at or job.latest_result().created_at
    return (ended if ended.tzinfo else ended.replace(tzinfo=timezone.utc)).timestamp()


def _refetch(jobs, redis):
    from rq.job import Job

    return Job.fetch_many([j.id for j in jobs], connection=redis)


if __name__ == "__main__":
    main()
