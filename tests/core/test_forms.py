"""The base form: hidden fields carry no id, so two forms on one page never share one."""
from __future__ import annotations

import re
from collections import Counter

from flask_wtf import FlaskForm

from app.core.forms import Form

ID = re.compile(r'\sid="([^"]*)"')


def _duplicate_ids(html: str) -> list[str]:
    return [i for i, n in Counter(ID.findall(html)).items() if n > 1]


def test_the_login_page_has_no_duplicate_ids(client):
    # The password form and the SMS code form both carry csrf_token and next.
    html = client.get("/login").get_data(as_text=True)
    assert html.count('name="csrf_token"') >= 2
    assert _duplicate_ids(html) == []


def test_the_account_page_has_no_duplicate_ids(client, make_user, login):
    login(client, make_user())
    html = client.get("/account").get_data(as_text=True)
    assert html.count('name="csrf_token"') >= 2
    assert _duplicate_ids(html) == []


def test_hidden_fields_render_without_an_id_and_visible_ones_keep_theirs(app):
    from app.accounts.forms import LoginForm

    with app.test_request_context("/login"):
        form = LoginForm(next="/catalog")
        hidden = str(form.hidden_tag())
        assert 'name="csrf_token"' in hidden and 'name="next"' in hidden and 'value="/catalog"' in hidden
        assert " id=" not in hidden
        assert 'id="email"' in str(form.email())          # its label points at it
        assert 'id="next-field"' in str(form.next(id="next-field"))  # an explicit id still wins


def test_every_form_of_the_portal_uses_the_base_form(app):
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    portal = [f for f in subclasses(FlaskForm) if f.__module__.startswith("app.") and f is not Form]
    assert portal, "no form classes found"
    assert [f"{f.__module__}.{f.__name__}" for f in portal if not issubclass(f, Form)] == []
