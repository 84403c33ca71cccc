"""The shared input rules: every form's text arrives stripped (U+3000 too), a required
field left blank is refused, and no text longer than its column reaches the database."""
from __future__ import annotations

import pytest
from werkzeug.datastructures import FileStorage, MultiDict
from wtforms import PasswordField, StringField, TextAreaField

from app.accounts.models import Company
from app.core.bounds import TooLong, clean
from app.core.forms import Form, fits, required, upload_name
from app.extensions import db


class _Sample(Form):
    class Meta:
        csrf = False

    name = StringField(validators=[required(), fits(Company.name)])
    notes = TextAreaField()
    password = PasswordField()


def _posted(app, **values):
    with app.test_request_context("/", method="POST", headers={"Cookie": "kj_lang=en"}):
        form = _Sample(formdata=MultiDict(values))
        return form.validate(), form.data, form.errors


@pytest.mark.parametrize("typed", ["\u3000宁波公司\u3000", " 宁波公司\n", "\u200b宁波公司\ufeff", "\xa0宁波公司\t"])
def test_every_text_field_arrives_without_surrounding_whitespace(app, typed):
    ok, data, _ = _posted(app, name=typed, notes="\u3000第一行\n第二行\u3000", password="  spaced pass  ")
    assert ok and data["name"] == "宁波公司"
    assert data["notes"] == "第一行\n第二行", "inner line breaks stay"
    assert data["password"] == "  spaced pass  ", "a password is taken exactly as typed"


@pytest.mark.parametrize("blank", ["", "   ", "\u3000\u3000", "\u200b", "\t\n"])
def test_a_required_field_of_only_whitespace_is_refused(app, blank):
    ok, _, errors = _posted(app, name=blank)
    assert not ok and errors["name"] == ["This field is required."]


def test_the_length_limit_comes_from_the_column(app):
    ok, _, errors = _posted(app, name="字" * 121)
    assert not ok and errors["name"] == ["Use at most 120 characters."]
    assert _posted(app, name="\u3000" + "字" * 120 + "\u3000")[0], "counted after stripping"


def test_text_longer_than_its_column_never_reaches_the_database(app, db_session, make_company):
    company = make_company()
    company.name = "字" * 121
    with app.test_request_context(headers={"Cookie": "kj_lang=en"}):
        with pytest.raises(TooLong) as refused:
            db_session.flush()
        assert refused.value.field == "name"
        assert str(refused.value.message) == "This is too long: use at most 120 characters."
    db_session.rollback()
    db_session.add(Company(name="ok", credit_code="x" * 19, contact_phone="+8613800138000"))
    with pytest.raises(TooLong) as refused:
        db_session.flush()
    assert refused.value.field == "credit_code"


def test_an_uploaded_file_name_is_cleaned_and_clipped_to_its_column(app):
    from app.catalog.models import PriceListImport

    def named(filename):
        return upload_name(FileStorage(filename=filename), PriceListImport.filename, "price-list.csv")

    long = named("价" * 300 + ".csv")
    assert len(long) == 255 and long.endswith("….csv")
    assert named("C:\\fakepath\\本周报价.csv") == "本周报价.csv"
    assert named("../../etc/passwd\x00.csv") == "passwd.csv"
    assert named("\u3000") == named(None) == "price-list.csv"
    assert named("x" * 300)[-1] == "…" and len(named("x" * 300)) == 255


def test_clean_keeps_what_is_not_text():
    assert clean(None) is None and clean(5) == 5 and clean("a\u3000b") == "a\u3000b"
