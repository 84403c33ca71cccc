"""Periodic jobs: each domain schedules its own from register(app); `rq cron app.core.cron`
hands them to rq's cron."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask


@dataclass(frozen=True)
class CronEntry:
    func: Callable[..., Any]
    cron: str | None = None
    interval: int | None = None
    args: tuple[Any, ...] = ()
    timeout: int = 600


def schedule(app: Flask, func: Callable[..., Any], *, cron: str | None = None, interval: int | None = None,
             args: tuple[Any, ...] = (), timeout: int = 600) -> None:
    """Register a periodic job (from a domain's register(app)); `rq cron app.core.cron` runs them."""
    entries: list[CronEntry] = app.extensions.setdefault("kj_cron", [])
    if any(e.func is func and e.args == args for e in entries):
        raise ValueError(f"{func.__qualname__} is scheduled twice")
    entries.append(CronEntry(func, cron, interval, args, timeout))


def cron_entries(app: Flask) -> list[CronEntry]:
    return list(app.extensions.get("kj_cron", []))
