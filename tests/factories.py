"""Factory callables for tests: each returns a saved (flushed) model."""
from __future__ import annotations

import itertools
from functools import cache
from typing import Any

from app.accounts.models import BuyerRole, Company, Membership, StaffRole, User
from app.accounts.passwords import hash_password
from app.core.validators import uscc_check_char

_seq = itertools.count(1)


@cache
def _password_hash(password: str) -> str:
    return hash_password(password)


def valid_credit_code(n: int) -> str:
    first17 = f"91440300MA{n:07d}"
    return first17 + uscc_check_char(first17)


class Factories:
    PASSWORD = "correct-horse-battery"

    def __init__(self, session: Any) -> None:
        self.session = session

    def company(self, **kw: Any) -> Company:
        n = next(_seq)
        company = Company(name=kw.pop("name", f"测试公司 {n}"),
                          credit_code=kw.pop("credit_code", valid_credit_code(n)),
                          contact_phone=kw.pop("contact_phone", f"+86138{n:08d}"), **kw)
        self.session.add(company)
        self.session.flush()
        return company

    def user(self, role: str | None = "buyer", company: Company | None = None,
             staff_role: str | None = None, password: str = PASSWORD, **kw: Any) -> User:
        n = next(_seq)
        user = User(email=kw.pop("email", f"user{n}@example.test"),
                    name=kw.pop("name", f"用户{n}"),
                    phone=kw.pop("phone", f"+86139{n:08d}"),
                    password_hash=_password_hash(password),
                    staff_role=StaffRole(staff_role) if staff_role else None, **kw)
        self.session.add(user)
        if role and not staff_role:
            company = company or self.company()
            self.session.add(Membership(user=user, company=company, role=BuyerRole(role)))
        self.session.flush()
        return user
