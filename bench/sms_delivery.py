"""SMS delivery: enqueue -> sent latency and jobs/s for 1,000 messages, with a real RQ
worker on real Redis and PostgreSQL (SMS_PROVIDER=outbox).

Each worker class is measured as the Procfile would start it
(`rq worker --worker-class app.core.worker.<class>`). The baseline, measured in
the same run on the same worker, is an empty RQ job: the ratio is what our job (row lock
and claim, provider call, record, two commits) costs on top of RQ itself.

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
from datetime import timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import BENCH_DATABASE_URL, ROOT, VENV_BIN, bench_env, prepare  # noqa: E402

LATENCY_SAMPLES = int(os.environ.get("SMS_BENCH_SAMPLES", 40))
MESSAGES = int(os.environ.get("SMS_BENCH_MESSAGES", 1000))
TIMEOUT = float(os.environ.get("SMS_BENCH_TIMEOUT", 300))
WORKERS = ("AppWorker", "AppSimpleWorker")
NOOP = "bench.sms_delivery.noop"
LOG = Path("/tmp/kj-sms-bench-worker.log")


def noop() -> None:
    """The baseline job: nothing but RQ's own work."""


def _wait(predicate, every: float = 0.002) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the worker did not finish in {TIMEOUT:.0f} s; see {LOG}")
        time.sleep(every)


def _ended(job) -> float:
    job.refresh()
    ended = job.ended_at or job.latest_result().created_at
    return (ended if ended.tzinfo else ended.replace(tzinfo=timezone.utc)).timestamp()


def measure(app, worker_class: str) -> dict[str, float]:
    from redis import Redis
    from rq import Queue
    from sqlalchemy import delete, func, select

    from app.extensions import db
    from app.notifications.models import SmsMessage, SmsStatus
    from app.notifications.services import Recipient, notify

    queue_name = f"bench-sms-{uuid.uuid4().hex[:8]}"
    app.config["RQ_QUEUE"] = queue_name
    redis = Redis.from_url(app.config["REDIS_URL"])
    q = Queue(queue_name, connection=redis)
    env = bench_env(RQ_QUEUE=queue_name, SMS_PROVIDER="outbox", PYTHONPATH=str(ROOT))
    worker = subprocess.Popen(
        [str(VENV_BIN / "rq"), "worker", "--url", app.config["REDIS_URL"], "--worker-class",
         f"app.core.worker.{worker_class}", "--logging_level", "WARNING", queue_name],
        cwd=ROOT, env=env, stdout=LOG.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        with app.app_context():
            # Warm up both paths (imports, connections) before measuring.
            job = q.enqueue(NOOP)
            _wait(lambda: job.get_status(refresh=True).value == "finished")

            base = []
            for _ in range(LATENCY_SAMPLES):
                start = time.time()
                job = q.enqueue(NOOP)
                _wait(lambda: job.get_status(refresh=True).value == "finished")
                base.append(_ended(job) - start)

            sms = []
            for i in range(LATENCY_SAMPLES + 1):
                message = notify("order_paid", Recipient("+8613800138000", "zh_CN"),
                                 dedup_key=f"bench:lat:{uuid.uuid4().hex}", order_no=f"KJ-{i}", amount="¥1.00")
                db.session.flush()
                message_id = message.id
                start = time.time()
                db.session.commit()  # the job is enqueued by this commit
                sent_at = select(SmsMessage.sent_at).where(SmsMessage.id == message_id)
                _wait(lambda: (db.session.rollback(), db.session.scalar(sent_at))[1] is not None)
                if i:  # the first one warms the SMS path
                    sms.append(db.session.scalar(sent_at).timestamp() - start)

            start = time.time()
            jobs = q.enqueue_many([Queue.prepare_data(NOOP) for _ in range(MESSAGES)])
            _wait(lambda: jobs[-1].get_status(refresh=True).value == "finished", every=0.05)
            base_rate = MESSAGES / (_ended(jobs[-1]) - start)

            for i in range(MESSAGES):
                notify("order_paid", Recipient(f"+86139{i:08d}", "en"), dedup_key=f"bench:tp:{uuid.uuid4().hex}",
                       order_no=f"KJ-{i}", amount="¥2.00")
            db.session.flush()
            start = time.time()
            db.session.commit()
            enqueue_ms = (time.time() - start) * 1000
            mine = SmsMessage.dedup_key.like("bench:tp:%")
            unsent = select(func.count()).select_from(SmsMessage).where(mine, SmsMessage.status != SmsStatus.SENT)
            _wait(lambda: (db.session.rollback(), db.session.scalar(unsent))[1] == 0, every=0.1)
            last = db.session.scalar(select(func.max(SmsMessage.sent_at)).where(mine))
            rate = MESSAGES / (last.timestamp() - start)
            db.session.execute(delete(SmsMessage).where(SmsMessage.dedup_key.like("bench:%")))
            db.session.commit()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(30)
        q.delete(delete_jobs=True)
    return {"median": statistics.median(sms), "p90": statistics.quantiles(sms, n=10)[-1],
            "base_median": statistics.median(base), "rate": rate, "base_rate": base_rate,
            "enqueue_ms": enqueue_ms}


def main() -> None:
    env = bench_env(SMS_PROVIDER="outbox")
    for key in ("DATABASE_URL", "SECRET_KEY", "KUAJING_ENV", "SMS_PROVIDER", "RATELIMIT_KEY_PREFIX"):
        os.environ[key] = env[key]
    prepare()
    from app import create_app

    app = create_app()
    LOG.write_bytes(b"")
    print(f"sms_delivery: database {BENCH_DATABASE_URL.rsplit('/', 1)[-1]}, one worker, outbox provider, "
          f"{LATENCY_SAMPLES} latency samples, {MESSAGES} messages")
    for worker_class in WORKERS:
        r = measure(app, worker_class)
        print(f"  {worker_class}: enqueue -> sent median {r['median'] * 1000:.0f} ms (p90 {r['p90'] * 1000:.0f} ms; "
              f"target <= 1000 ms {'met' if r['median'] <= 1 else 'NOT met'}); empty job {r['base_median'] * 1000:.0f} ms; "
              f"ratio {r['median'] / r['base_median']:.2f}x")
        print(f"  {worker_class}: {MESSAGES} messages at {r['rate']:.0f} jobs/s (one commit enqueues all in "
              f"{r['enqueue_ms']:.0f} ms); empty jobs {r['base_rate']:.0f}/s; ratio {r['rate'] / r['base_rate']:.2f}x")


if __name__ == "__main__":
    main()
