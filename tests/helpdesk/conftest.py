"""Fixtures for the helpdesk: SLA calendars and policies, a buyer company with people,
another company, agents, and helpers that open tickets and read the SMS outbox."""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from app.helpdesk.models import Calendar, Priority, SlaPolicy, TicketType
from app.notifications.models import SmsMessage

# One a day, Monday to Friday, in Beijing: 09:00-12:00 and 13:00-18:00.
OFFICE_HOURS = [[540, 720], [780, 1080]]


def png(size: int = 0) -> bytes:
    """A real PNG (a small picture), padded to at least `size` bytes inside a text chunk."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "#067d42").save(out, "PNG")
    data = out.getvalue()
    if size > len(data):
        import struct
        import zlib

        filler = b"Comment\x00" + b"x" * (size - len(data) - 12 - 8)
        chunk = struct.pack(">I", len(filler)) + b"tEXt" + filler
        chunk += struct.pack(">I", zlib.crc32(b"tEXt" + filler) & 0xFFFFFFFF)
        data = data[:-12] + chunk + data[-12:]
    return data


PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
# What Windows runs: an MZ header, whatever the file is called.
EXE = (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
       + b"This program cannot be run in DOS mode.")


@dataclass
class Desk:
    always: Calendar
    office: Calendar


def policy(ticket_type: TicketType, priority: Priority, calendar: Calendar, first: int, following: int,
           resolution: int) -> SlaPolicy:
    from app.extensions import db

    found = db.session.scalar(select(SlaPolicy).where(SlaPolicy.ticket_type == ticket_type,
                                                      SlaPolicy.priority == priority))
    found = found or SlaPolicy(ticket_type=ticket_type, priority=priority)
    found.calendar_id, found.first_response_minutes = calendar.id, first
    found.next_response_minutes, found.resolution_minutes = following, resolution
    db.session.add(found)
    db.session.flush()
    return found


@pytest.fixture
def desk(db_session) -> Desk:
    """Two calendars and a policy for every type and priority: 24×7, 60 minutes to the first
    response, 120 to the next, 480 to the resolution (suggestions: office hours)."""
    always = Calendar(name="test 24×7", always_open=True, hours=[], holidays=[])
    office = Calendar(name="test office", always_open=False, hours=[OFFICE_HOURS] * 5 + [[], []],
                      holidays=["2026-10-01"])
    db_session.add_all([always, office])
    db_session.flush()
    for kind in TicketType:
        for priority in Priority:
            policy(kind, priority, office if kind == TicketType.SUGGESTION else always, 60, 120, 480)
    return Desk(always, office)


@pytest.fixture
def company(make_company):
    return make_company(name="深圳测试进口有限公司")


@pytest.fixture
def customer(make_user, company):
    """The buyer company's owner, with a verified number (so ticket SMS reach them)."""
    return make_user(role="owner", company=company, name="王采购", phone="+8613811110001",
                     verified_phone="+8613811110001")


@pytest.fixture
def colleague(make_user, company):
    return make_user(role="finance", company=company, name="李会计")


@pytest.fixture
def outsider(make_user):
    """Another company's owner."""
    return make_user(role="owner", name="外人", phone="+8613811110009", verified_phone="+8613811110009")


@pytest.fixture
def agent(make_user):
    return make_user(role=None, staff_role="agent", name="客服 小张", phone="+8613811110002",
                     verified_phone="+8613811110002")


@pytest.fixture
def other_agent(make_user):
    return make_user(role=None, staff_role="agent", name="客服 小李", phone="+8613811110003",
                     verified_phone="+8613811110003")


def sms_to(phone: str) -> list[SmsMessage]:
    from app.extensions import db

    return list(db.session.scalars(select(SmsMessage).where(SmsMessage.phone == phone).order_by(SmsMessage.id)))


@pytest.fixture
def signed_in(new_client, login):
    """`signed_in(user)`: a browser of its own, signed in as `user`."""

    def make(user: Any):
        browser = new_client()
        login(browser, user)
        return browser

    return make
