"""Sign-up and joining by invitation: blank-looking names are refused, padded ones are
saved without their padding (U+3000, as Chinese input methods type it, included)."""
from __future__ import annotations

import re

from app.accounts.models import Company, User
from app.extensions import db
from tests.accounts.test_auth import SIGNUP


def test_a_company_or_person_name_of_only_spaces_is_refused_and_nothing_is_saved(client):
    response = client.post("/signup", data={**SIGNUP, "company_name": "\u3000\u3000", "name": " \u200b "})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.count("此项为必填") == 2
    assert db.session.scalar(db.select(db.func.count()).select_from(Company)) == 0


def test_names_are_saved_without_their_padding(client):
    response = client.post("/signup", data={**SIGNUP, "company_name": "\u3000宁波海外优品有限公司\u3000",
                                            "name": "\u3000周采购 "})
    assert response.status_code == 303
    user = db.session.scalar(db.select(User).where(User.email == "zhou@example.test"))
    assert user.name == "周采购" and user.membership.company.name == "宁波海外优品有限公司"


def test_joining_with_a_blank_name_is_refused(client, make_user, login, new_client):
    login(client, make_user(role="owner"))
    html = client.post("/members/invite", data={"email": "joiner@example.test", "role": "buyer"}).get_data(as_text=True)
    link = re.search(r'value="http://[^"]+(/invite/[^"]+)"', html).group(1)
    invitee = new_client()
    refused = invitee.post(link, data={"name": "\u3000", "password": "finance-pass-123"})
    assert refused.status_code == 200 and "此项为必填" in refused.get_data(as_text=True)
    assert db.session.scalar(db.select(User).where(User.email == "joiner@example.test")) is None
    assert invitee.post(link, data={"name": "\u3000钱财务\u3000", "password": "finance-pass-123"}).status_code == 303
    assert db.session.scalar(db.select(User.name).where(User.email == "joiner@example.test")) == "钱财务"
