"""SLA policies and calendars as administrators change them, and the breach records as
reports read them."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import aliased

from app.accounts.models import Company, User
from app.core.errors import DomainError
from app.extensions import db
from app.helpdesk.models import Calendar, SlaBreach, SlaPolicy, SlaTarget, Ticket

_SPAN = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])\s*[-–~]\s*([01][0-9]|2[0-4]):([0-5][0-9])$")
CHINA = ZoneInfo("Asia/Shanghai")
EXPORT_LIMIT = 10_000


def policies() -> list[SlaPolicy]:
    return list(db.session.scalars(select(SlaPolicy).order_by(SlaPolicy.ticket_type, SlaPolicy.priority)))


def calendars() -> list[Calendar]:
    return list(db.session.scalars(select(Calendar).order_by(Calendar.id)))


def save_policy(policy: SlaPolicy, *, calendar_id: int, first_response: int, next_response: int,
                resolution: int) -> SlaPolicy:
    """New targets (minutes) and calendar for tickets opened from now on; tickets already
    open keep theirs until their type or priority changes."""
    if db.session.get(Calendar, calendar_id) is None:
        raise DomainError(_l("Choose a calendar from the list."), "calendar_id", code="calendar")
    if first_response > resolution:
        raise DomainError(_l("The first response cannot be due after the resolution."), "first_response",
                          code="targets")
    policy.calendar_id, policy.first_response_minutes = calendar_id, first_response
    policy.next_response_minutes, policy.resolution_minutes = next_response, resolution
    db.session.flush()
    return policy


def parse_spans(raw: str, field: str) -> list[list[int]]:
    """"09:00-12:00, 13:30-18:00" as [[540, 720], [810, 1080]]; "" is a day off."""
    spans = []
    for part in filter(None, (p.strip() for p in re.split(r"[,，;；]", raw or ""))):
        found = _SPAN.match(part)
        if not found:
            raise DomainError(_l("Write working hours as 09:00-18:00, several separated by commas."), field,
                              code="hours")
        h1, m1, h2, m2 = map(int, found.groups())
        start, end = h1 * 60 + m1, min(h2 * 60 + m2, 24 * 60)
        if end <= start or (spans and start < spans[-1][1]):
            raise DomainError(_l("Each span must end after it starts, in order, without overlapping."), field,
                              code="hours")
        spans.append([start, end])
    return spans


def parse_days(raw: str) -> list[str]:
    days = []
    for part in filter(None, (p.strip() for p in re.split(r"[\s,，;；]+", raw or ""))):
        try:
            days.append(date.fromisoformat(part).isoformat())
        except ValueError:
            raise DomainError(_l("Write holidays as dates such as 2026-10-01."), "holidays", code="holidays") from None
    return sorted(set(days))


def save_calendar(calendar: Calendar, *, name: str, timezone: str, always_open: bool, week: list[str],
                  holidays: str) -> Calendar:
    """Change a calendar; DomainError for a name in use, an unknown time zone, hours that do
    not parse, or business hours with no working time in the week."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError(_l("Unknown time zone: use a name such as Asia/Shanghai."), "timezone",
                          code="timezone") from None
    clash = db.session.scalar(select(Calendar.id).where(Calendar.name == name))
    if clash is not None and clash != calendar.id:
        raise DomainError(_l("Another calendar has this name."), "name", code="name")
    hours = [parse_spans(day, f"day{n}") for n, day in enumerate(week)]
    if not always_open and not any(hours):
        raise DomainError(_l("Business hours need working time on at least one day."), "day0", code="hours")
    calendar.name, calendar.timezone, calendar.always_open = name, timezone, always_open
    calendar.hours, calendar.holidays = hours, parse_days(holidays)
    db.session.flush()
    return calendar


def spans_text(spans: list) -> str:
    return ", ".join(f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}" for a, b in spans)


# --- breach records ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class BreachFilters:
    start: date | None = None
    end: date | None = None
    target: SlaTarget | None = None
    before: int | None = None

    def args(self, **changes) -> dict[str, str]:
        values = {"from": self.start, "to": self.end, "target": self.target and self.target.value,
                  "before": self.before, **changes}
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


def parse_breach_filters(args) -> tuple[BreachFilters, dict[str, str]]:
    errors: dict[str, str] = {}
    found: dict[str, object] = {}
    for name, key in (("from", "start"), ("to", "end")):
        raw = (args.get(name) or "").strip()
        if raw:
            try:
                found[key] = date.fromisoformat(raw) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw) else None
                if found[key] is None:
                    raise ValueError
            except ValueError:
                errors[name] = str(_l("Enter a date such as 2026-01-31."))
                found.pop(key, None)
    raw = (args.get("target") or "").strip()
    if raw:
        try:
            found["target"] = SlaTarget(raw)
        except ValueError:
            errors["target"] = str(_l("Choose from the list."))
    before = (args.get("before") or "").strip()
    if before.isdigit() and len(before) < 10:
        found["before"] = int(before)
    return BreachFilters(**found), errors  # type: ignore[arg-type]


@dataclass(frozen=True)
class BreachRow:
    breach: SlaBreach
    number: str
    subject: str
    company: str
    assignee: str | None


def breaches(f: BreachFilters, limit: int = 50) -> tuple[list[BreachRow], int | None]:
    """Breach records, newest first (one query), and the id to continue before."""
    assignee = aliased(User)
    stmt = (select(SlaBreach, Ticket.number, Ticket.subject, Company.name, assignee.name)
            .join(Ticket, Ticket.id == SlaBreach.ticket_id).join(Company, Company.id == SlaBreach.company_id)
            .outerjoin(assignee, assignee.id == SlaBreach.assignee_id))
    if f.start:
        stmt = stmt.where(SlaBreach.breached_at >= datetime.combine(f.start, time(), CHINA))
    if f.end:
        stmt = stmt.where(SlaBreach.breached_at < datetime.combine(f.end + timedelta(days=1), time(), CHINA))
    if f.target:
        stmt = stmt.where(SlaBreach.target == f.target)
    if f.before:
        stmt = stmt.where(SlaBreach.id < f.before)
    rows = [BreachRow(*r) for r in db.session.execute(stmt.order_by(SlaBreach.id.desc()).limit(limit + 1))]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].breach.id if more and rows else None)
