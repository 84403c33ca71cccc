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


def _catalogs() -> list[tuple[str, object]]:
    root = Path(__file__).resolve().parents[2] / "app"
    out = []
    for path in sorted(root.glob("*/translations/*/LC_MESSAGES/messages.po")):
        with path.open("rb") as f:
            out.append((path.parts[-5], read_po(f)))
    return out


def test_every_string_in_code_and_templates_has_a_chinese_translation():
    from babel.messages.extract import extract_from_dir

    root = Path(__file__).resolve().parents[2]
    translated = set()
    for _domain, catalog in _catalogs():
        for m in catalog:
            ids, strings = (m.id, m.string) if isinstance(m.id, tuple) else ((m.id,), (m.string,))
            if ids[0] and all(strings) and not m.fuzzy:
                translated.add((m.context, ids[0]))
    method_map = [("**.py", "python"), ("**.html", "jinja2")]
    with_context = ((1, "c"), 2)
    keywords = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2),
                "pgettext": with_context, "_lp": with_context, "lazy_pgettext": with_context}
    missing = set()
    for folder in ("app", "templates"):
        for filename, _lineno, message, _comments, context in extract_from_dir(
                str(root / folder), method_map=method_map, keywords=keywords):
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid and (context, msgid) not in translated:
                missing.add(f"{folder}/{filename}: {msgid}" + (f" ({context})" if context else ""))
    assert not missing, "strings without a Chinese translation:\n" + "\n".join(sorted(missing))


def test_one_text_has_one_translation_across_the_catalogs():
    """Flask-Babel merges every domain's catalog into one: where two catalogs translate the
    same text differently, one silently wins on every page (a person's "Name" became an
    object's 名称). A text that means two things carries a context (pgettext)."""
    seen: dict[tuple, dict[str, str]] = {}
    for domain, catalog in _catalogs():
        for m in catalog:
            if m.id and not m.fuzzy:
                msgid = m.id[0] if isinstance(m.id, tuple) else m.id
                string = m.string[0] if isinstance(m.string, tuple) else m.string
                seen.setdefault((m.context, msgid), {})[domain] = string
    differ = {key: found for key, found in seen.items() if len(set(found.values())) > 1}
    assert not differ, "translated differently in different catalogs:\n" + "\n".join(
        f"{msgid!r}" + (f" ({ctx})" if ctx else "") + f": {found}" for (ctx, msgid), found in differ.items())
