"""The simulator's state: one SQLite file, so a restart picks up where it left off.

A single connection guarded by a lock is plenty for a development peer and keeps
every change atomic without thinking about SQLite's writer rules.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    out_trade_no TEXT PRIMARY KEY,
    appid TEXT NOT NULL, mch_id TEXT NOT NULL,
    body TEXT NOT NULL, detail TEXT, attach TEXT,
    total_fee INTEGER NOT NULL, fee_type TEXT NOT NULL,
    trade_type TEXT NOT NULL, openid TEXT, product_id TEXT, scene_info TEXT,
    notify_url TEXT NOT NULL, spbill_create_ip TEXT, device_info TEXT,
    sign_type TEXT NOT NULL, fingerprint TEXT NOT NULL,
    prepay_id TEXT NOT NULL UNIQUE, code_url TEXT UNIQUE, mweb_url TEXT,
    trade_state TEXT NOT NULL, trade_state_desc TEXT,
    transaction_id TEXT UNIQUE, bank_type TEXT, cash_fee INTEGER,
    created_at REAL NOT NULL, expire_at REAL NOT NULL, paid_at REAL, closed_at REAL
);
CREATE TABLE IF NOT EXISTS refunds (
    refund_id TEXT PRIMARY KEY,
    out_refund_no TEXT NOT NULL UNIQUE,
    out_trade_no TEXT NOT NULL REFERENCES orders(out_trade_no),
    total_fee INTEGER NOT NULL, refund_fee INTEGER NOT NULL,
    refund_desc TEXT, notify_url TEXT,
    status TEXT NOT NULL, created_at REAL NOT NULL,
    due_at REAL, success_at REAL
);
CREATE TABLE IF NOT EXISTS notifies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL, out_trade_no TEXT NOT NULL, out_refund_no TEXT,
    url TEXT NOT NULL, fields TEXT NOT NULL, sign_type TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_due_at REAL, state TEXT NOT NULL, created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS notify_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    notify_id INTEGER NOT NULL REFERENCES notifies(id),
    attempt INTEGER NOT NULL, due_at REAL NOT NULL, sent_at REAL NOT NULL,
    variant TEXT NOT NULL, request_body TEXT, status_code INTEGER,
    reply TEXT, error TEXT, acknowledged INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS declarations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    out_trade_no TEXT NOT NULL, transaction_id TEXT NOT NULL,
    customs TEXT NOT NULL, mch_customs_no TEXT NOT NULL,
    sub_order_no TEXT NOT NULL DEFAULT '', sub_order_id TEXT NOT NULL,
    fee_type TEXT, order_fee INTEGER, product_fee INTEGER, transport_fee INTEGER,
    duty INTEGER, cert_type TEXT, cert_id TEXT, name TEXT,
    state TEXT NOT NULL, cert_check_result TEXT NOT NULL, explanation TEXT,
    fingerprint TEXT NOT NULL, modify_time REAL NOT NULL, due_at REAL,
    UNIQUE (out_trade_no, sub_order_no, customs)
);
CREATE TABLE IF NOT EXISTS oauth_codes (
    code TEXT PRIMARY KEY, appid TEXT NOT NULL, username TEXT NOT NULL,
    openid TEXT NOT NULL, scope TEXT NOT NULL, created_at REAL NOT NULL,
    used_at REAL
);
CREATE TABLE IF NOT EXISTS settings (
    name TEXT PRIMARY KEY, value TEXT NOT NULL
);
"""

TABLES = ("notify_attempts", "notifies", "refunds", "declarations", "oauth_codes",
          "orders", "settings")


class Store:
    """Thread-safe access to the simulator's SQLite file."""

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False,
                                     isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        # WAL with NORMAL sync survives a process crash, which is all a dev peer needs.
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)

    @contextmanager
    def tx(self) -> Iterator["Store"]:
        """Run a block as one transaction, holding the store's lock throughout."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def execute(self, sql: str, params: tuple | dict = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._conn.execute(sql, params)

    def one(self, sql: str, params: tuple | dict = ()) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute(sql, params).fetchone()
        return dict(row) if row is not None else None

    def all(self, sql: str, params: tuple | dict = ()) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._conn.execute(sql, params).fetchall()]

    def insert(self, table: str, row: dict[str, Any]) -> int:
        cols = ", ".join(row)
        marks = ", ".join(f":{c}" for c in row)
        cur = self.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", row)
        return int(cur.lastrowid or 0)

    def update(self, table: str, key: str, value: Any, changes: dict[str, Any]) -> None:
        sets = ", ".join(f"{c} = :{c}" for c in changes)
        self.execute(f"UPDATE {table} SET {sets} WHERE {key} = :_key",
                     {**changes, "_key": value})

    def get_setting(self, name: str, default: Any = None) -> Any:
        row = self.one("SELECT value FROM settings WHERE name = ?", (name,))
        return json.loads(row["value"]) if row else default

    def set_setting(self, name: str, value: Any) -> None:
        self.execute("INSERT INTO settings (name, value) VALUES (?, ?) "
                     "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                     (name, json.dumps(value)))

    def reset(self) -> None:
        """Forget every order, refund, notify, declaration, code and setting."""
        with self.tx():
            for table in TABLES:
                self._conn.execute(f"DELETE FROM {table}")

    def close(self) -> None:
        with self._lock:
            self._conn.close()
