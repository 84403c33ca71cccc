"""Durable after-commit work: intents written with the change, enqueued after the commit,
swept when Redis was down or the worker died; each task's effect happens once."""
from __future__ import annotations

import logging
import os
import signal
import uuid
from datetime import timedelta

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import select, update

from app.core import jobs
from app.core.jobs import Intent, IntentStatus
from app.core.models import utcnow
from app.extensions import db
from tests.core import job_tasks
from tests.core.job_tasks import effects
from tests.workers import run_worker, stop_process, wait_until


@pytest.fixture
def effects_table(app, committed):
    job_tasks.create_table()
    yield
    db.session.rollback()
    job_tasks.drop_table()


def _intent(key: str) -> Intent:
    db.session.expire_all()
    return db.session.scalar(select(Intent).where(Intent.key == key))


def _overdue(key: str, minutes: int = 5) -> None:
    db.session.execute(update(Intent).where(Intent.key == key).values(
        run_after=utcnow() - timedelta(minutes=minutes), started_at=utcnow() - timedelta(minutes=minutes)))
    db.session.commit()


def test_an_intent_is_enqueued_only_when_its_transaction_commits(app, effects_table, redis_url, queue_name):
    q = Queue(queue_name, connection=Redis.from_url(redis_url))
    jobs.after_commit(job_tasks.record, "rolled-back", key="t:rolled-back")
    assert q.count == 0, "nothing reaches the queue before the commit"
    db.session.rollback()
    assert q.count == 0 and _intent("t:rolled-back") is None, "a rolled-back change promises nothing"

    intent = jobs.after_commit(job_tasks.record, "committed", key="t:committed")
    again = jobs.after_commit(job_tasks.record, "committed", key="t:committed")
    assert again.id == intent.id and again.job_id == intent.job_id, "the same key is the same promise"
    db.session.commit()
    assert [job.id for job in q.get_jobs()] == [intent.job_id]
    SimpleWorker([q], connection=q.connection).work(burst=True)
    assert effects("committed") == 1
    assert _intent("t:committed").status == IntentStatus.DONE
    assert jobs.run(intent.id) == "done" and effects("committed") == 1, "a second run does nothing"


def test_an_intent_whose_enqueue_failed_runs_exactly_once_after_redis_returns(app, effects_table, use_config, queue_name,
                                                                    throwaway_redis):
    server = throwaway_redis()
    server.stop()
    use_config(REDIS_URL=server.url)
    intent = jobs.after_commit(job_tasks.record, "outage", key="t:outage")
    db.session.commit()  # the enqueue fails (logged); the intent stays in the database
    assert _intent("t:outage").status == IntentStatus.PENDING

    server.start()
    q = Queue(queue_name, connection=Redis.from_url(server.url))
    assert jobs.sweep() == 0, "not overdue yet: its own job may still come"
    _overdue("t:outage")
    assert jobs.sweep() == 1 and q.count == 1
    assert jobs.sweep() == 0 and q.count == 1, "no duplicate while its job waits in Redis"
    worker = run_worker(server.url, queue_name)
    worker.wait(60)
    log = stop_process(worker)
    assert effects("outage") == 1, log
    assert _intent("t:outage").status == IntentStatus.DONE
    _overdue("t:outage")
    assert jobs.sweep() == 0 and effects("outage") == 1
    assert intent.id


def test_a_worker_killed_mid_job_is_swept_and_the_effect_happens_once(app, effects_table, redis_url, queue_name,
                                                                     tmp_path):
    marker = str(tmp_path / f"started-{uuid.uuid4().hex}")
    jobs.after_commit(job_tasks.record_slowly_the_first_time, "killed", marker, key="t:killed")
    db.session.commit()
    worker = run_worker(redis_url, queue_name, burst=False)
    try:
        assert wait_until(lambda: os.path.exists(marker), timeout=60), "the job never started"
        assert _intent("t:killed").status == IntentStatus.RUNNING
        assert jobs.sweep() == 0, "a running job holds its intent: the sweep leaves it alone"
        # The work horse (RQ forks one per job, in a session of its own) and its worker die
        # mid-transaction, as under the OOM killer or a pulled plug.
        os.kill(int(open(marker).read()), signal.SIGKILL)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        stop_process(worker)
    assert effects("killed") == 0, "the killed run's work was rolled back with its transaction"
    _overdue("t:killed", minutes=2)
    assert jobs.sweep() == 1
    worker = run_worker(redis_url, queue_name)
    worker.wait(60)
    log = stop_process(worker)
    assert effects("killed") == 1, log
    intent = _intent("t:killed")
    assert intent.status == IntentStatus.DONE and intent.attempts == 2


def test_a_failing_task_is_retried_then_given_up_and_its_domain_told(app, effects_table, queue_name):
    intent = jobs.after_commit(job_tasks.always_fails, "broken", key="t:broken")
    db.session.commit()
    assert jobs.run(intent.id) == "retry"
    failed = _intent("t:broken")
    assert failed.status == IntentStatus.PENDING and "broken on purpose" in failed.last_error
    assert effects("broken") == 0, "a failed run leaves nothing behind"
    _overdue("t:broken")
    assert jobs.run(intent.id) == "dead"
    assert _intent("t:broken").status == IntentStatus.DEAD
    assert effects("dead:broken:RuntimeError") == 1


def test_a_failure_with_a_huge_message_is_logged_and_kept_bounded(app, effects_table, queue_name, caplog):
    intent = jobs.after_commit(job_tasks.oversized_statement, "huge", key="t:huge")
    db.session.commit()
    with caplog.at_level(logging.INFO, logger="app.core.jobs"):
        assert jobs.run(intent.id) == "dead"
    logged = caplog.text
    # The statement alone is over 700,000 characters; the log says what failed, where, and why.
    assert f"intent {intent.id} (tests.core.job_tasks:oversized_statement) failed" in logged
    assert "number of parameters must be between 0 and 65535" in logged
    assert "job_tasks.py" in logged, "the traceback is still there"
    assert len(logged) < 20_000, len(logged)
    last_error = _intent("t:huge").last_error
    assert "number of parameters must be between 0 and 65535" in last_error and len(last_error) <= 2_000
    assert effects("huge") == 0


def test_a_refusal_in_a_task_is_not_retried(app, effects_table, queue_name):
    intent = jobs.after_commit(job_tasks.refused, "no", key="t:refused")
    db.session.commit()
    assert jobs.run(intent.id) == "dead"
    assert effects("dead:no:DomainError") == 1


def test_only_marked_tasks_can_be_promised(app, db_session):
    with pytest.raises(TypeError):
        jobs.after_commit(print, "x")
