"""The background worker: due notifies, refunds and customs verdicts.

All due times live in the database, so a restarted simulator carries on where
the previous process stopped. The thread sleeps until the next due time (at
most half a second, so a moved clock is noticed) or until woken.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from .customs import finish_due_declarations
from .engine import Sandbox
from .notify import deliver
from .refunds import finish_due_refunds

log = logging.getLogger(__name__)
MAX_SLEEP_SECONDS = 0.5


class Scheduler:
    """A daemon thread that runs the simulator's due work."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._in_flight: set[int] = set()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="wxsandbox-notify")
        # Duplicates go out from a pool of their own so they cannot starve the main one.
        self._dup_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="wxsandbox-dup")
        self._thread = threading.Thread(target=self._run, name="wxsandbox-scheduler",
                                        daemon=True)
        sb.set_waker(self._wake.set)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for deliveries in progress to finish."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=True)
        self._dup_pool.shutdown(wait=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_due()
            except Exception:  # noqa: BLE001 - a bad row must not kill the worker
                log.exception("sandbox scheduler step failed")
            self._wake.wait(self._sleep_for())
            self._wake.clear()

    def _sleep_for(self) -> float:
        row = self.sb.store.one(
            "SELECT MIN(t) AS t FROM ("
            " SELECT MIN(next_due_at) AS t FROM notifies WHERE state = 'pending'"
            " UNION ALL SELECT MIN(due_at) FROM refunds WHERE status = 'PROCESSING'"
            " UNION ALL SELECT MIN(due_at) FROM declarations WHERE state = 'SUBMITTED')")
        if row is None or row["t"] is None:
            return MAX_SLEEP_SECONDS
        return max(0.0, min(MAX_SLEEP_SECONDS, row["t"] - self.sb.now()))

    def run_due(self) -> None:
        """Start every delivery that is due and settle due refunds and declarations."""
        finish_due_refunds(self.sb)
        finish_due_declarations(self.sb)
        due = self.sb.store.all("SELECT id FROM notifies WHERE state = 'pending' "
                                "AND next_due_at <= ? ORDER BY next_due_at", (self.sb.now(),))
        for row in due:
            with self._lock:
                if row["id"] in self._in_flight:
                    continue
                self._in_flight.add(row["id"])
            self._pool.submit(self._deliver, row["id"])

    def _deliver(self, notify_id: int) -> None:
        try:
            deliver(self.sb, notify_id, self._dup_pool)
        except Exception:  # noqa: BLE001
            log.exception("notify %s delivery failed", notify_id)
        finally:
            with self._lock:
                self._in_flight.discard(notify_id)
            self._wake.set()
