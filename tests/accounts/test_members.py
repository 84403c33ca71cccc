"""Owners invite members and change roles; roles gate pages; companies stay apart."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from app.accounts.models import BuyerRole, Invitation, Membership
from app.extensions import db


def _invite(client, email, role="buyer", headers=None, **extra):
    return client.post("/members/invite", data={"email": email, "role": role, **extra}, headers=headers or {})


def test_owner_invites_a_member_who_joins_with_the_link(app, client, make_user, login, new_client):
    owner = make_user(role="owner")
    login(client, owner)
    response = _invite(client, "new.finance@example.test", role="finance", phone="13900001111")
    html = response.get_data(as_text=True)
    link = re.search(r'value="(http://[^"]+/invite/[^"]+)"', html).group(1)
    assert link.startswith(app.config["PUBLIC_BASE_URL"] + "/invite/")
    link = urlsplit(link).path
    invitee = new_client()
    page = invitee.get(link)
    assert owner.membership.company.name in page.get_data(as_text=True)
    joined = invitee.post(link,
                          data={"name": "钱财务", "password": "finance-pass-123"})
    assert joined.status_code == 303
    m = db.session.scalar(db.select(Membership).join(Membership.user).where(
        Membership.company_id == owner.company_id, Membership.role == BuyerRole.FINANCE))
    assert m.user.name == "钱财务" and m.user.phone == "+8613900001111"
    # The link works once.
    assert new_client().get(link).status_code == 404


def test_invite_with_htmx_returns_only_the_members_region(client, make_user, login):
    login(client, make_user(role="owner"))
    response = client.post("/members/invite", data={"email": "x@example.test", "role": "buyer"},
                           headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="members">') and "<html" not in html
    assert "HX-Request" in response.headers.get("Vary", "")


def test_invite_bad_email_is_explained(client, make_user, login):
    owner = make_user(role="owner")
    login(client, owner)
    response = _invite(client, "not-an-email")
    assert response.status_code == 422
    assert "请输入有效的邮箱地址" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Invitation)) == 0


def test_owner_changes_a_role_but_keeps_one_owner(client, make_user, login):
    owner = make_user(role="owner")
    buyer = make_user(role="buyer", company=owner.membership.company)
    login(client, owner)
    client.post(f"/members/{buyer.membership.id}/role", data={"role": "finance"})
    db.session.refresh(buyer.membership)
    assert buyer.membership.role == BuyerRole.FINANCE
    response = client.post(f"/members/{owner.membership.id}/role", data={"role": "buyer"}, follow_redirects=True)
    assert "公司至少需要一位所有者" in response.get_data(as_text=True)
    db.session.refresh(owner.membership)
    assert owner.membership.role == BuyerRole.OWNER


@pytest.mark.parametrize("role", ["buyer", "finance"])
def test_only_owners_manage_members(client, make_user, login, role):
    login(client, make_user(role=role))
    assert client.get("/members").status_code == 403
    assert _invite(client, "x@example.test").status_code == 403


def test_staff_without_a_company_cannot_see_members(client, make_user, login):
    login(client, make_user(staff_role="agent"))
    assert client.get("/members").status_code == 403


def test_one_company_never_sees_or_changes_another(client, make_user, login):
    owner_a = make_user(role="owner", name="甲老板")
    owner_b = make_user(role="owner", name="乙老板")
    colleague_b = make_user(role="buyer", company=owner_b.membership.company, name="乙同事")
    login(client, owner_a)
    page = client.get("/members").get_data(as_text=True)
    assert "甲老板" in page and "乙老板" not in page and "乙同事" not in page
    client.post(f"/members/{colleague_b.membership.id}/role", data={"role": "owner"})
    db.session.refresh(colleague_b.membership)
    assert colleague_b.membership.role == BuyerRole.BUYER
    # an invitation of company B cannot be withdrawn from company A
    from app.accounts import services
    inv = services.invite(inviter=owner_b, company_id=owner_b.company_id,
                          email="b-invite@example.test", role=BuyerRole.BUYER).invitation
    client.post(f"/members/invitations/{inv.id}/revoke")
    db.session.refresh(inv)
    assert inv.revoked_at is None


def test_huge_ids_in_addresses_are_not_found(client, make_user, login):
    login(client, make_user(role="owner"))
    assert client.post("/members/99999999999999999999/role", data={"role": "buyer"}).status_code == 404
    assert client.post("/members/invitations/99999999999999999999/revoke").status_code == 404


def test_roles_come_from_the_company_the_user_acts_for(client, make_user, make_company, login, factories):
    buyer_in_a = make_user(role="buyer")
    other = make_company()
    db.session.add(Membership(user=buyer_in_a, company=other, role=BuyerRole.OWNER))
    db.session.flush()
    login(client, buyer_in_a)
    assert client.get("/members").status_code == 403  # owner elsewhere, buyer here


def test_inviting_is_limited_per_company_so_addresses_cannot_be_probed_without_end(
        client, make_user, login, new_client, use_config):
    use_config(INVITE_LIMIT_PER_COMPANY="3 per hour")
    taken = make_user(email="someone@elsewhere.test")
    owner = make_user(role="owner")
    login(client, owner)
    assert _invite(client, "a1@example.test").status_code == 200
    probe = _invite(client, taken.email)
    assert probe.status_code == 422, "an address with an account is refused..."
    assert _invite(client, "a2@example.test").status_code == 200
    refused = _invite(client, "a3@example.test", headers={"HX-Request": "true"})
    assert refused.status_code == 429, "...and the refusals count toward the limit"
    assert int(refused.headers["Retry-After"]) > 0 and refused.headers["HX-Retarget"] == "#flash"
    assert "请在" in refused.get_data(as_text=True) and "后重试" in refused.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Invitation).where(
        Invitation.email == "a3@example.test")) == 0
    other = new_client()  # another company is not held back by this one
    login(other, make_user(role="owner"))
    assert _invite(other, "b1@example.test").status_code == 200


def test_inviting_is_limited_per_client_across_companies(client, make_user, login, new_client, use_config):
    use_config(INVITE_LIMIT_PER_IP="2 per hour")
    for n in range(2):
        browser = new_client()
        login(browser, make_user(role="owner"))
        assert _invite(browser, f"c{n}@example.test").status_code == 200
    login(client, make_user(role="owner"))
    refused = _invite(client, "c9@example.test")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
