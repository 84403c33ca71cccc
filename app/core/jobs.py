"""Durable after-commit work: "do this once the change is committed", never lost, never twice.

`after_commit(task, *args, key=...)` writes an intent row in the same transaction as
the change it follows. Only when that transaction commits is the intent enqueued to
RQ; when it rolls back, the intent is gone with it. If Redis is down at that moment,
or the worker dies mid-job, the intent stays in the database and `sweep()` (every
minute under `rq cron`) enqueues it again. The dedup key makes a second intent for
the same work a no-op.

A task is a function marked with `@task`. By default its database work runs in one
transaction together with marking its intent done, under a lock on the intent row:
a run that dies leaves nothing behind, and two runs of one intent cannot both do the
work. A task with `own_transactions=True` (one that must commit before it calls a
provider, like an SMS send) manages its own units and must itself be idempotent.
"""
from __future__ import annotations

import enum
import importlib
import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import JSON, Enum, Index, String, Text, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.core import states
from app.core.periodic import schedule
from app.core.errors import DomainError, bounded_traceback, describe
from app.core.models import TimestampMixin, utcnow
from app.extensions import db

log = logging.getLogger(__name__)

_PENDING = "kj_intents_to_enqueue"
_app: Flask | None = None


# --- the app context jobs run in ------------------------------------------------------

def set_app(app: Flask) -> None:
    """Give jobs the app to run in (the worker class does this before it forks)."""
    global _app
    _app = app


@contextmanager
def job_context() -> Iterator[None]:
    """Run the body inside the portal's app context, removing the session afterwards.

    A job called from a request or a test already has an app context and uses it.
    """
    if has_app_context():
        yield
        return
    global _app
    if _app is None:
        from app import create_app

        _app = create_app()
    with _app.app_context():
        try:
            yield
        finally:
            db.session.remove()


# --- tasks ------------------------------------------------------------------------------

@dataclass(frozen=True)
class TaskSpec:
    name: str
    retries: int = 5                  # runs after the first, on an unexpected error
    timeout: int = 600                # seconds RQ lets one run take
    own_transactions: bool = False
    backoff: tuple[int, ...] = (10, 60, 300, 1800, 3600)
    # Called (in the unit that marks the intent dead) with the task's arguments and the
    # error, when retrying is over: the place to mark the domain's row failed.
    on_dead: Callable[..., None] | None = None

    def delay(self, attempt: int) -> int:
        return self.backoff[min(max(attempt - 1, 0), len(self.backoff) - 1)]


class RetryLater(Exception):
    """Raised by a task that cannot do its work yet (another run holds it): the intent
    is tried again after its backoff, without an error in the log."""


def task(*, retries: int = 5, timeout: int = 600, own_transactions: bool = False,
         backoff: tuple[int, ...] | None = None, on_dead: Callable[..., None] | None = None):
    """Mark a function as a task that intents may name (nothing else may be run by name)."""

    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        spec = TaskSpec(f"{fn.__module__}:{fn.__qualname__}", retries, timeout, own_transactions,
                        backoff or TaskSpec.backoff, on_dead)
        fn.kj_task = spec  # type: ignore[attr-defined]
        return fn

    return mark


def _spec(fn: Callable[..., Any]) -> TaskSpec:
    spec = getattr(fn, "kj_task", None)
    if not isinstance(spec, TaskSpec):
        raise TypeError(f"{fn!r} is not a task (decorate it with @core.jobs.task)")
    return spec


def resolve(name: str) -> Callable[..., Any]:
    module, _, attr = name.partition(":")
    target: Any = importlib.import_module(module)
    for part in attr.split("."):
        target = getattr(target, part)
    _spec(target)
    return target


# --- intents ------------------------------------------------------------------------------

class IntentStatus(str, enum.Enum):
    PENDING = "pending"      # waiting for its job (or for the sweep, if that job was lost)
    RUNNING = "running"      # a job has claimed it
    DONE = "done"
    DEAD = "dead"            # failed on every try; a person must look


INTENT_MACHINE = states.Machine.of("intent", {
    IntentStatus.PENDING: {IntentStatus.RUNNING, IntentStatus.DEAD},
    IntentStatus.RUNNING: {IntentStatus.RUNNING, IntentStatus.PENDING, IntentStatus.DONE, IntentStatus.DEAD},
}, stamps={IntentStatus.RUNNING: "started_at", IntentStatus.DONE: "finished_at", IntentStatus.DEAD: "finished_at"})


class Intent(TimestampMixin, db.Model):
    """One piece of work promised by a committed change, until it is done."""

    __tablename__ = "intents"
    __table_args__ = (Index("ix_intents_status_run_after", "status", "run_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    task: Mapped[str] = mapped_column(String(200))
    args: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[IntentStatus] = mapped_column(
        Enum(IntentStatus, name="intent_status", values_callable=lambda e: [m.value for m in e]),
        default=IntentStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    # The RQ job that should run it next; the sweep leaves the intent alone while it waits.
    job_id: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


def _new_job_id(intent_id: int | None = None) -> str:
    return f"intent-{uuid.uuid4().hex}"


@dataclass(frozen=True)
class Promise:
    """What `after_commit` promised: the intent row's id, key and next job."""

    id: int
    key: str
    job_id: str | None
    run_after: datetime


def insert_once(model: Any, values: dict[str, Any], unique: str) -> int | None:
    """INSERT a row unless one with the same `unique` column exists: its id, or None when
    it existed. One statement (ON CONFLICT DO NOTHING), no savepoint, safe under races."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(model).values(**values).on_conflict_do_nothing(index_elements=[unique]).returning(model.id)
    return db.session.execute(stmt).scalar()


def after_commit(fn: Callable[..., Any], *args: Any, key: str | None = None,
                 delay: float | None = None, at: datetime | None = None) -> Promise:
    """Promise to run task `fn(*args)` once the current transaction commits.

    Arguments must be JSON values (ids, not objects). `key` makes the promise
    idempotent: while an intent with that key exists, it is the promise, and nothing
    more is enqueued. `delay` (seconds) or `at` sets the earliest run.
    """
    spec = _spec(fn)
    key = key or f"{spec.name}:{uuid.uuid4().hex}"
    run_after = at or (utcnow() + timedelta(seconds=delay) if delay else utcnow())
    job_id = _new_job_id()
    now = utcnow()
    intent_id = insert_once(Intent, {"key": key, "task": spec.name, "args": list(args), "run_after": run_after,
                                     "job_id": job_id, "status": IntentStatus.PENDING, "attempts": 0,
                                     "created_at": now, "updated_at": now}, "key")
    if intent_id is None:  # made before, in this transaction or another
        existing = db.session.execute(select(Intent.id, Intent.job_id, Intent.run_after).where(Intent.key == key)).one()
        return Promise(existing.id, key, existing.job_id, existing.run_after)
    db.session.info.setdefault(_PENDING, []).append((intent_id, job_id, run_after, spec.timeout))
    return Promise(intent_id, key, job_id, run_after)


def _after_commit(session: Session) -> None:
    # after_commit also fires when a SAVEPOINT is released; only the outermost commit
    # makes the intents visible to a worker.
    if session.get_nested_transaction() is not None:
        return
    pending = session.info.pop(_PENDING, None)
    if pending and has_app_context():
        enqueue(pending)


def _after_soft_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)


def enqueue(items: list[tuple[int, str, datetime, int]]) -> int:
    """Put a job per (intent id, job id, run after, timeout) on RQ; returns how many made it.

    A Redis failure is logged, never raised: the intents stay in the database and the
    sweep enqueues them once Redis answers again.
    """
    from redis.exceptions import RedisError

    from app.core.redis import queue

    done = 0
    try:
        q = queue()
        now = utcnow()
        due = [(i, j, t) for i, j, at, t in items if at <= now + timedelta(seconds=1)]
        later = [(i, j, at, t) for i, j, at, t in items if at > now + timedelta(seconds=1)]
        if due:
            q.enqueue_many([q.prepare_data(run, (intent_id,), timeout=timeout, job_id=job_id,
                                           result_ttl=3600, failure_ttl=7 * 24 * 3600)
                            for intent_id, job_id, timeout in due])
            done += len(due)
        for intent_id, job_id, at, timeout in later:
            q.enqueue_at(at, run, intent_id, job_id=job_id, job_timeout=timeout,
                         result_ttl=3600, failure_ttl=7 * 24 * 3600)
            done += 1
    except (RedisError, OSError) as e:
        log.warning("jobs: could not enqueue %d intent(s), the sweep will: %s", len(items) - done, e)
    return done


def status_of(key: str) -> IntentStatus | None:
    """Where the intent with dedup `key` stands (None when there is none)."""
    return db.session.scalar(select(Intent.status).where(Intent.key == key))


# --- running an intent ---------------------------------------------------------------------

def _lock(intent_id: int, *, skip_locked: bool) -> Intent | None:
    return db.session.scalar(select(Intent).where(Intent.id == intent_id)
                             .with_for_update(skip_locked=skip_locked).execution_options(populate_existing=True))


def run(intent_id: int) -> str:
    """The RQ job: run one intent's task, at most once to completion; returns what happened."""
    from app.core.db import unit

    with job_context():
        with unit():
            intent = _lock(intent_id, skip_locked=True)
            if intent is None:
                return "busy"  # another run holds it, or it no longer exists
            if intent.status not in (IntentStatus.PENDING, IntentStatus.RUNNING):
                return intent.status.value
            if intent.run_after > utcnow() + timedelta(seconds=1):
                return "early"  # a stray duplicate; its own job comes later
            fn = resolve(intent.task)
            spec, args = _spec(fn), list(intent.args)
            states.apply(INTENT_MACHINE, intent, IntentStatus.RUNNING)
            intent.attempts += 1
        try:
            if spec.own_transactions:
                fn(*args)
                with unit():
                    intent = _lock(intent_id, skip_locked=False)
                    if intent.status == IntentStatus.RUNNING:
                        states.apply(INTENT_MACHINE, intent, IntentStatus.DONE)
                return "done"
            with unit():
                intent = _lock(intent_id, skip_locked=False)
                if intent.status != IntentStatus.RUNNING:
                    return intent.status.value  # a parallel run finished it meanwhile
                fn(*args)
                states.apply(INTENT_MACHINE, intent, IntentStatus.DONE)
            return "done"
        except Exception as error:
            db.session.rollback()
            return _failed(intent_id, spec, args, error)


def _failed(intent_id: int, spec: TaskSpec, args: list[Any], error: Exception) -> str:
    """Record a failed run: try again after the backoff, or give up (dead) after the retries."""
    from app.core.db import unit

    permanent = isinstance(error, DomainError)  # a refusal: trying again cannot help
    if isinstance(error, RetryLater):
        log.info("intent %s (%s): %s; trying again later", intent_id, spec.name, error)
    elif not permanent:
        log.error("intent %s (%s) failed\n%s", intent_id, spec.name, bounded_traceback(error))
    with unit():
        intent = _lock(intent_id, skip_locked=False)
        intent.last_error = describe(error)
        if permanent or intent.attempts > spec.retries:
            states.apply(INTENT_MACHINE, intent, IntentStatus.DEAD)
            if spec.on_dead is not None:
                spec.on_dead(*args, error=error)
            return "dead"
        states.apply(INTENT_MACHINE, intent, IntentStatus.PENDING)
        intent.run_after = utcnow() + timedelta(seconds=spec.delay(intent.attempts))
        intent.job_id = _new_job_id(intent.id)
        db.session.info.setdefault(_PENDING, []).append((intent.id, intent.job_id, intent.run_after, spec.timeout))
    return "retry"


# --- the sweep ---------------------------------------------------------------------------------

def waiting_jobs(job_ids: list[str]) -> set[str]:
    """The ids among `job_ids` whose job is still queued, scheduled or running in Redis."""
    from rq.job import Job, JobStatus

    from app.core.redis import redis_client

    if not job_ids:
        return set()
    alive = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED, JobStatus.STARTED}
    found = Job.fetch_many(job_ids, connection=redis_client())
    return {job.id for job in found if job is not None and job.get_status(refresh=False) in alive}


def lost_intents(now: datetime | None = None, limit: int = 500) -> list[Intent]:
    """Intents that nothing will run unless enqueued again, locked for this transaction.

    Pending ones past their time by the grace period (their job may never have reached
    Redis; the caller checks), and running ones that nobody holds: a transactional run
    keeps its intent locked, so an unlocked "running" intent lost its worker; a task
    with its own transactions is given its timeout first.
    """
    now = now or utcnow()
    grace = timedelta(seconds=current_app.config["JOBS_SWEEP_GRACE_SECONDS"])
    rows = db.session.scalars(
        select(Intent).where(Intent.status.in_([IntentStatus.PENDING, IntentStatus.RUNNING]),
                             Intent.run_after < now - grace)
        .order_by(Intent.run_after).limit(limit).with_for_update(skip_locked=True))
    lost = []
    for intent in rows:
        if intent.status == IntentStatus.RUNNING:
            try:
                spec = _spec(resolve(intent.task))
            except (ImportError, AttributeError, TypeError):
                spec = TaskSpec(intent.task)
            allowed = grace + (timedelta(seconds=spec.timeout) if spec.own_transactions else timedelta(0))
            if intent.started_at is not None and intent.started_at > now - allowed:
                continue
        lost.append(intent)
    return lost


def sweep() -> int:
    """Enqueue every intent that is due and would otherwise never run; returns how many."""
    from redis.exceptions import RedisError

    from app.core.db import unit

    with job_context():
        with unit():
            lost = lost_intents()
            try:
                waiting = waiting_jobs([i.job_id for i in lost if i.job_id and i.status == IntentStatus.PENDING])
            except (RedisError, OSError) as e:
                log.warning("jobs sweep: Redis is not answering, trying again on the next run: %s", e)
                return 0
            todo = []
            for intent in lost:
                if intent.job_id in waiting:
                    continue
                if intent.status == IntentStatus.RUNNING:
                    states.apply(INTENT_MACHINE, intent, IntentStatus.PENDING)
                    intent.last_error = "The worker stopped while running it; running it again."
                intent.job_id = _new_job_id(intent.id)
                try:
                    timeout = _spec(resolve(intent.task)).timeout
                except (ImportError, AttributeError, TypeError):
                    timeout = TaskSpec.timeout
                todo.append((intent.id, intent.job_id, utcnow(), timeout))
        if todo:
            log.info("jobs sweep: enqueueing %d intent(s)", len(todo))
        return enqueue(todo) if todo else 0


def init_app(app: Flask) -> None:
    app.config.setdefault("JOBS_SWEEP_GRACE_SECONDS", 60)
    app.config.setdefault("JOBS_SWEEP_INTERVAL", 60)
    # Session events are class-wide: register once per process, not once per app.
    if not event.contains(db.session, "after_commit", _after_commit):
        event.listen(db.session, "after_commit", _after_commit)
        event.listen(db.session, "after_soft_rollback", _after_soft_rollback)
    schedule(app, sweep, interval=int(app.config["JOBS_SWEEP_INTERVAL"]), timeout=120)
