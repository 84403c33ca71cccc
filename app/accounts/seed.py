"""Demo accounts: one buyer company with owner and finance, staff, and a second company."""
from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import BuyerRole, Company, Membership, StaffRole, User
from app.accounts.passwords import hash_password
from app.core.models import utcnow
from app.extensions import db

DEMO_PASSWORD = "demo-pass-2026"

COMPANIES = [
    # name, credit code (valid check character), phone
    ("深圳跨境优选贸易有限公司", "91440300MA5DKJ01X", "+8613800138000"),
    ("杭州海淘进口商贸有限公司", "91330100MA2DKJ02X", "+8613900139000"),
]

BUYERS = [
    ("buyer@demo.test", "王小明", "+8613800138001", 0, BuyerRole.OWNER),
    ("finance@demo.test", "李会计", "+8613800138002", 0, BuyerRole.FINANCE),
    ("other@demo.test", "陈其他", "+8613900139001", 1, BuyerRole.OWNER),
]

STAFF = [
    ("agent@demo.test", "客服 张", StaffRole.AGENT),
    ("ops@demo.test", "运营 赵", StaffRole.OPS),
    ("finops@demo.test", "财务 钱", StaffRole.FINANCE_ADMIN),
    ("admin@demo.test", "管理员 孙", StaffRole.ADMIN),
]


def _user(email: str, name: str, password_hash: str, phone: str | None = None) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name=name, phone=phone, password_hash=password_hash)
        db.session.add(user)
    return user


def seed_demo() -> str:
    from app.core.validators import uscc_check_char

    password_hash = hash_password(DEMO_PASSWORD)
    companies = []
    for name, code, phone in COMPANIES:
        code = code[:17] + uscc_check_char(code[:17])
        company = db.session.scalar(select(Company).where(Company.credit_code == code))
        if company is None:
            company = Company(name=name, credit_code=code, contact_phone=phone)
            db.session.add(company)
        companies.append(company)
    db.session.flush()
    for email, name, phone, idx, role in BUYERS:
        user = _user(email, name, password_hash, phone)
        db.session.flush()
        if not any(m.company_id == companies[idx].id for m in user.memberships):
            db.session.add(Membership(user=user, company=companies[idx], role=role))
        if user.verified_phone != phone:  # so that signing in with an SMS code works
            user.verified_phone, user.phone_verified_at = phone, utcnow()
    for email, name, role in STAFF:
        _user(email, name, password_hash).staff_role = role
    db.session.flush()
    return (f"{len(COMPANIES)} companies, {len(BUYERS) + len(STAFF)} users (password {DEMO_PASSWORD}); "
            "the buyers' phone numbers are verified, so they can sign in with an SMS code")
