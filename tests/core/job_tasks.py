"""Tasks for the durable after-commit work tests: each leaves a visible effect, a row in a
table the tests create for themselves, so that "once" can be counted."""
from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import text

from app.core.errors import DomainError
from app.core.jobs import task
from app.extensions import db

TABLE = "kj_test_effects"


def create_table() -> None:
    db.session.execute(text(f"CREATE TABLE IF NOT EXISTS {TABLE} (id serial PRIMARY KEY, label text NOT NULL)"))
    db.session.commit()


def drop_table() -> None:
    db.session.execute(text(f"DROP TABLE IF EXISTS {TABLE}"))
    db.session.commit()


def effects(label: str) -> int:
    return db.session.scalar(text(f"SELECT count(*) FROM {TABLE} WHERE label = :l"), {"l": label})


@task()
def record(label: str) -> None:
    db.session.execute(text(f"INSERT INTO {TABLE} (label) VALUES (:l)"), {"l": label})


@task()
def record_slowly_the_first_time(label: str, marker: str) -> None:
    """Write the effect, then (on the first run only) hang long enough to be killed mid-job."""
    db.session.execute(text(f"INSERT INTO {TABLE} (label) VALUES (:l)"), {"l": label})
    db.session.flush()
    if not Path(marker).exists():
        Path(marker).write_text(str(os.getpid()))
        time.sleep(120)


def _dead(label: str, error: Exception) -> None:
    db.session.execute(text(f"INSERT INTO {TABLE} (label) VALUES (:l)"), {"l": f"dead:{label}:{type(error).__name__}"})


@task(retries=1, backoff=(1,), on_dead=_dead)
def always_fails(label: str) -> None:
    db.session.execute(text(f"INSERT INTO {TABLE} (label) VALUES (:l)"), {"l": label})
    raise RuntimeError("broken on purpose")


@task(on_dead=_dead)
def refused(label: str) -> None:
    raise DomainError("not allowed")


@task(retries=0)
def oversized_statement(label: str) -> None:
    """A bulk write past PostgreSQL's 65,535 parameters: its error carries the whole statement."""
    n = 70_000
    stmt = text(f"INSERT INTO {TABLE} (label) VALUES " + ", ".join(f"(:l{i})" for i in range(n)))
    db.session.execute(stmt, {f"l{i}": label for i in range(n)})
