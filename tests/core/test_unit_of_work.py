"""One unit of work per request: a refusal raised deep in a service leaves nothing written
and is shown as each channel needs it, in the reader's language; state machines refuse
illegal transitions without changing anything."""
from __future__ import annotations

import enum
from types import SimpleNamespace

import pytest
from flask import Blueprint, render_template_string
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField

from app.accounts.models import Company
from app.core import states
from app.core.errors import DomainError
from app.core.forms import attempt
from app.extensions import db

MESSAGE = _l("This cannot be done.")


def rename_then_refuse(company_id: int) -> None:
    """A service that changes a row, flushes, then is refused further down."""
    company = db.session.get(Company, company_id)
    company.name = "改过的名字"
    db.session.flush()
    _deeper()


def _deeper() -> None:
    raise DomainError(MESSAGE, "name")


class NameForm(FlaskForm):
    name = StringField("name")


@pytest.fixture
def refusing_app(make_app):
    app = make_app()
    bp = Blueprint("refusing", __name__)

    @bp.post("/_test/refuse/<int:company_id>")
    def refuse(company_id: int):
        rename_then_refuse(company_id)
        return "written"

    @bp.post("/_test/form/<int:company_id>")
    def form(company_id: int):
        f = NameForm(meta={"csrf": False})
        with attempt(f) as done:
            rename_then_refuse(company_id)
        page = ('{% from "_macros/forms.html" import field %}<form>{{ field(f.name) }}</form>')
        return render_template_string(page, f=f), 200 if done else done.status

    app.register_blueprint(bp)
    return app


@pytest.fixture
def company(refusing_app):
    """A company the other app (its own engine, real commits) can see; removed afterwards."""
    from tests.factories import Factories

    with refusing_app.app_context():
        company = Factories(db.session).company(name="原来的名字")
        db.session.commit()
        company_id = company.id
    yield SimpleNamespace(id=company_id)
    with refusing_app.app_context():
        db.session.delete(db.session.get(Company, company_id))
        db.session.commit()


def _name(app, company_id: int) -> str:
    with app.app_context():
        return db.session.get(Company, company_id).name


@pytest.mark.parametrize("lang, text", [("zh_CN", "此操作无法完成。"), ("en", "This cannot be done.")])
def test_a_refusal_deep_in_a_service_writes_nothing_and_shows_on_each_channel(refusing_app, company, lang, text):
    client = refusing_app.test_client()
    client.set_cookie("kj_lang", lang)
    url = f"/_test/refuse/{company.id}"

    page = client.post(url)
    assert page.status_code == 422 and text in page.get_data(as_text=True)
    assert "<html" in page.get_data(as_text=True)

    fragment = client.post(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 422 and text in fragment.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True) and fragment.headers["HX-Retarget"] == "#flash"

    api = client.post(url, headers={"Accept": "application/json"})
    assert api.status_code == 422
    assert api.get_json() == {"error": {"code": "invalid", "field": "name", "message": text}}

    form = client.post(f"/_test/form/{company.id}")
    html = form.get_data(as_text=True)
    assert form.status_code == 422 and 'id="name-error"' in html and text in html, "beside its field"
    assert _name(refusing_app, company.id) == "原来的名字", "nothing the service wrote was kept"


class Light(str, enum.Enum):
    RED = "red"
    GREEN = "green"
    AMBER = "amber"


LIGHTS = states.Machine.of("light", {Light.RED: {Light.GREEN}, Light.GREEN: {Light.AMBER}, Light.AMBER: {Light.RED}},
                           stamps={Light.GREEN: "green_at"})


def test_a_transition_is_applied_recorded_and_heard():
    heard = []
    states.listen(heard.append)
    try:
        light = SimpleNamespace(status=Light.RED, green_at=None)
        done = states.apply(LIGHTS, light, Light.GREEN, actor_id=7, note="morning")
        assert light.status is Light.GREEN and light.green_at == done.at
        assert heard == [done] and (done.from_state, done.to_state, done.actor_id) == (Light.RED, Light.GREEN, 7)
    finally:
        states._listeners.remove(heard.append)


def test_an_illegal_transition_raises_and_changes_nothing():
    light = SimpleNamespace(status=Light.RED, green_at=None)
    with pytest.raises(states.IllegalTransition) as e:
        states.apply(LIGHTS, light, Light.AMBER)
    assert light.status is Light.RED and light.green_at is None
    assert e.value.status == 409 and "red → amber" in str(e.value)


def test_every_model_status_goes_through_its_machine():
    """No service assigns a status directly: each change goes through states.apply."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2] / "app"
    direct = []
    for path in root.rglob("*.py"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\.(status|state)\s*=\s*[A-Z]\w*(Status|State)\.", line) or \
                    re.search(r"\.(status|state)\s*,.*=\s*\w*(Status|State)\.", line):
                direct.append(f"{path.relative_to(root)}:{n}: {line.strip()}")
    assert not direct, "statuses assigned directly:\n" + "\n".join(direct)
