"""Demo SMS settings: the demo buyers' numbers are verified, so code login works."""
from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import User
from app.core.models import utcnow
from app.extensions import db
from app.notifications.models import SmsProfile

DEMO_EMAILS = ("buyer@demo.test", "finance@demo.test", "other@demo.test")


def seed_demo() -> str:
    verified = 0
    for user in db.session.scalars(select(User).where(User.email.in_(DEMO_EMAILS))):
        if not user.phone:
            continue
        profile = db.session.get(SmsProfile, user.id) or SmsProfile(user_id=user.id, opted_out=[])
        db.session.add(profile)
        if profile.verified_phone != user.phone:
            profile.verified_phone, profile.verified_at = user.phone, utcnow()
        verified += 1
    db.session.flush()
    return f"{verified} verified phone numbers (sign in with an SMS code; read it on /outbox as admin@demo.test)"
