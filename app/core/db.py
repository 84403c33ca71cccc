"""The unit of work: a request, a CLI command or a job commits once, here and nowhere else.

Services change rows and flush; they never commit. A request commits when its view
answers with a success (below 400) and rolls back otherwise; a `DomainError` rolls
the whole unit back (unless it is a `RecordedRefusal`, whose bookkeeping stands). CLI
commands and jobs run their body inside `unit()`, which does the same. Work outside
the database that must follow a change is written as an intent in the same
transaction (`app.core.jobs`) and leaves only after the commit.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import Flask, Response, g, has_request_context
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from app.core.errors import DomainError
from app.extensions import db

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
_DECISION = "kj_unit_decision"

# PostgreSQL's protocol counts a statement's parameters in 16 bits: 65,535 at most.
MAX_PARAMETERS = 65_535
BATCH_PARAMETERS = 20_000   # well under it, and statements SQLAlchemy compiles quickly


def batches(items: Sequence[T], per_item: int = 1, parameters: int = BATCH_PARAMETERS) -> Iterator[Sequence[T]]:
    """Consecutive slices of `items` for statements binding `per_item` parameters for each.

    A bulk write (INSERT … VALUES of many rows) or an IN list sent in one statement fails
    past PostgreSQL's limit, so every such statement takes its items from here: at most
    `parameters` (capped at MAX_PARAMETERS) a statement, and at least one item.
    """
    size = max(1, min(parameters, MAX_PARAMETERS) // max(per_item, 1))
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _active() -> bool:
    return db.session.registry.has() and db.session().in_transaction()


def _commit() -> None:
    if _active():
        db.session.commit()


def rollback() -> None:
    """Undo what the current unit changed; the request (if any) then ends without a commit."""
    if db.session.registry.has():
        db.session.rollback()
    if has_request_context():
        g.setdefault(_DECISION, "rollback")


def refused(error: DomainError) -> None:
    """End the unit as the refusal asks: roll back, or keep its recorded bookkeeping."""
    if error.keeps_changes:
        if has_request_context():
            g.setdefault(_DECISION, "commit")
        else:
            _commit()
    else:
        rollback()


@contextmanager
def unit() -> Iterator[None]:
    """Commit the body's changes once when it ends well; roll back when it raises.

    A `RecordedRefusal` commits its bookkeeping and is raised on.
    """
    try:
        yield
    except DomainError as e:
        if e.keeps_changes:
            _commit()
        else:
            db.session.rollback()
        raise
    except BaseException:
        db.session.rollback()
        raise
    else:
        _commit()


def transactional(fn: F) -> F:
    """Run `fn` (a CLI command, a job) as one unit of work."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with unit():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def cli_command(fn: F) -> F:
    """A CLI command as one unit of work; a refusal prints its message and exits 1."""
    import click

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with unit():
                return fn(*args, **kwargs)
        except DomainError as e:
            raise click.ClickException(str(e.message)) from None

    return wrapper  # type: ignore[return-value]


def _check_connections_cheaply(engine: Engine, idle_seconds: float) -> None:
    """Make sure a pooled connection is alive before a request uses it, without a round trip.

    A ping on every checkout (pool_pre_ping) costs a round trip per request. Instead: an
    idle connection must have nothing to read, so a socket that is readable at checkout
    carries the server's goodbye (a restart, an idle timeout) or its EOF: that connection
    is replaced. One that idled longer than `idle_seconds` (whose peer may have vanished
    without a word) is pinged as before. Either way the pool hands out a working one.
    """
    import select
    import time

    from sqlalchemy import event, exc

    @event.listens_for(engine, "checkin")
    def _checkin(dbapi_connection, record) -> None:
        record.info["kj_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection, record, proxy) -> None:
        fileno = getattr(dbapi_connection, "fileno", None)
        if fileno is None:  # SQLite: nothing to lose
            return
        try:
            readable, _, _ = select.select([fileno()], [], [], 0)
            if readable:
                raise exc.DisconnectionError("the server closed this connection while it was idle")
            since = record.info.get("kj_idle_since")
            if since is not None and time.monotonic() - since > idle_seconds:
                cursor = dbapi_connection.cursor()
                cursor.execute("SELECT 1")
                cursor.close()
        except exc.DisconnectionError:
            raise
        except Exception as e:  # the connection is gone: the pool makes a new one
            raise exc.DisconnectionError() from e


def init_app(app: Flask) -> None:
    idle = float(app.config.get("DB_PING_IDLE_SECONDS", 30))
    with app.app_context():
        for engine in db.engines.values():
            _check_connections_cheaply(engine, idle)

    @app.after_request
    def _end_of_request(response: Response) -> Response:
        decision = g.pop(_DECISION, None)
        if decision is None:
            decision = "commit" if response.status_code < 400 else "rollback"
        if decision == "rollback":
            rollback()
            return response
        try:
            _commit()
        except IntegrityError:
            # Two requests raced for the same unique row; the loser is told to retry.
            app.logger.warning("commit refused by a constraint", exc_info=True)
            rollback()
            from app.core.errors import render_error

            return render_error(409)
        return response
