"""Asking for a login code: server time for a number an account verified against one
nobody has, in the same run, as a ratio (1.00 means the reply does not tell them apart).

Requests alternate between the two kinds in random order, through the WSGI app
in-process on PostgreSQL and Redis (the bench database), each to a number of its own so
that no per-number limit is reached; jobs go to a queue of the run's own, deleted after.

    python bench/code_send.py     (make bench runs it)
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import BENCH_DATABASE_URL, bench_env, prepare  # noqa: E402

PAIRS = int(os.environ.get("BENCH_ROUNDS", "200"))


def main() -> None:
    prepare()
    os.environ.update(bench_env())
    from redis import Redis
    from rq import Queue
    from sqlalchemy import delete, select

    from app import create_app
    from app.accounts.models import PhoneCode, User
    from app.core.jobs import Intent
    from app.extensions import db
    from app.notifications.models import SmsMessage

    queue = f"bench-codes-{uuid.uuid4().hex[:8]}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": BENCH_DATABASE_URL, "WTF_CSRF_ENABLED": False, "RQ_QUEUE": queue,
                      "SMS_CODE_LIMITS_PER_IP": "1000000/minute"})
    run = random.randrange(10_000)
    known = [f"+86137{run:04d}{i:04d}" for i in range(PAIRS)]
    unknown = [f"+86136{run:04d}{i:04d}" for i in range(PAIRS)]
    with app.app_context():
        db.session.execute(delete(User).where(User.email.like("bench-code-%@example.test")))
        db.session.add_all([User(email=f"bench-code-{i}@example.test", name="bench", phone=phone,
                                 verified_phone=phone, password_hash="x") for i, phone in enumerate(known)])
        db.session.commit()
    client = app.test_client()
    for phone in ("+8613500000001", "+8613500000002"):  # warm up: templates, pools
        client.post("/login/code/send", data={"phone": phone})
    times: dict[str, list[float]] = {"verified": [], "unknown": []}
    for pair in zip(known, unknown):
        order = [("verified", pair[0]), ("unknown", pair[1])]
        random.shuffle(order)
        for kind, phone in order:
            start = time.perf_counter()
            response = client.post("/login/code/send", data={"phone": phone})
            times[kind].append(time.perf_counter() - start)
            assert response.status_code == 200, response.status_code
    with app.app_context():
        phones = known + unknown + ["+8613500000001", "+8613500000002"]
        ids = list(db.session.scalars(select(PhoneCode.id).where(PhoneCode.phone.in_(phones))))
        db.session.execute(delete(Intent).where(Intent.key.in_([f"sms-code:{i}" for i in ids])))
        db.session.execute(delete(SmsMessage).where(SmsMessage.phone.in_(phones)))
        db.session.execute(delete(PhoneCode).where(PhoneCode.id.in_(ids)))
        db.session.execute(delete(User).where(User.email.like("bench-code-%@example.test")))
        db.session.commit()
        Queue(queue, connection=Redis.from_url(app.config["REDIS_URL"])).delete(delete_jobs=True)
    verified, nobody = statistics.median(times["verified"]), statistics.median(times["unknown"])
    print(f"POST /login/code/send, {PAIRS} of each: verified number p50 {verified * 1000:.2f} ms, "
          f"unknown number p50 {nobody * 1000:.2f} ms, ratio {verified / nobody:.2f} (target 1.00 ± 0.10)")


if __name__ == "__main__":
    main()
