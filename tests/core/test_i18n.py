"""Chinese by default, English on request, remembered per user; catalogs complete."""
from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

from app.extensions import db



def test_chinese_is_the_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in html and "登录" in html


def test_anonymous_switch_to_english_is_kept_in_a_cookie(client):
    response = client.post("/language", data={"language": "en", "next": "/login"})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in html and "Sign in" in html and "登录" not in html


def test_signed_in_choice_is_remembered_on_the_account(client, make_user, login, new_client):
    user = make_user()
    login(client, user)
    client.post("/language", data={"language": "en", "next": "/"})
    db.session.refresh(user)
    assert user.language == "en"
    elsewhere = new_client()  # a new browser, no language cookie
    login(elsewhere, user)
    assert "Welcome," in elsewhere.get("/").get_data(as_text=True)


def test_unknown_language_changes_nothing(client):
    assert client.post("/language", data={"language": "xx", "next": "/"}).status_code == 303
    assert '<html lang="zh-CN">' in client.get("/").get_data(as_text=True)


def test_every_catalog_is_complete():
    root = Path(__file__).resolve().parents[2] / "app"
    catalogs = sorted(root.glob("*/translations/*/LC_MESSAGES/messages.po"))
    assert catalogs, "no translation catalogs found"
    for path in catalogs:
        with path.open("rb") as f:
            catalog = read_po(f)
        assert not catalog.fuzzy, f"{path} header is fuzzy: pybabel would skip the whole catalog"
        gaps = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
        assert not gaps, f"{path}: untranslated or fuzzy: {gaps[:10]}"


def test_every_string_in_code_and_templates_has_a_chinese_translation():
    from babel.messages.extract import extract_from_dir

    root = Path(__file__).resolve().parents[2]
    translated = set()
    for path in (root / "app").glob("*/translations/*/LC_MESSAGES/messages.po"):
        with path.open("rb") as f:
            for m in read_po(f):
                ids, strings = (m.id, m.string) if isinstance(m.id, tuple) else ((m.id,), (m.string,))
                if ids[0] and all(strings) and not m.fuzzy:
                    translated.add(ids[0])
    method_map = [("**.py", "python"), ("**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}
    missing = set()
    for folder in ("app", "templates"):
        for filename, _lineno, message, _comments, _context in extract_from_dir(
                str(root / folder), method_map=method_map, keywords=keywords):
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid and msgid not in translated:
                missing.add(f"{folder}/{filename}: {msgid}")
    assert not missing, "strings without a Chinese translation:\n" + "\n".join(sorted(missing))
