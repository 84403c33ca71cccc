"""WeChat web OAuth for JSAPI: the authorize page and the code → openid exchange."""
from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, jsonify, redirect, render_template, request

from .engine import DEFAULT_USER, OAUTH_CODE_SECONDS, SANDBOX_USERS, Sandbox
from .i18n import t
from .views_api import sandbox

bp = Blueprint("wxoauth", __name__)
SCOPES = ("snsapi_base", "snsapi_userinfo")


def _user(name: str | None):
    for user in SANDBOX_USERS:
        if user.username == name:
            return user
    return DEFAULT_USER


def _redirect_with(redirect_uri: str, params: dict[str, str]) -> Response:
    parts = urlsplit(redirect_uri)
    query = "&".join(p for p in (parts.query, urlencode(params)) if p)
    return redirect(urlunsplit(parts._replace(query=query)), code=302)


def issue_code(sb: Sandbox, username: str, scope: str) -> str:
    """A single-use code for a sandbox user, good for five minutes of sandbox time."""
    code = secrets.token_urlsafe(24)
    sb.store.insert("oauth_codes", {"code": code, "appid": sb.config.appid,
                                    "username": username, "openid": sb.openid(username),
                                    "scope": scope, "created_at": sb.now(), "used_at": None})
    return code


def _error_page(key: str) -> tuple[str, int]:
    return render_template("message.html", title=t("oauth_error"), message=t(key)), 400


@bp.get("/connect/oauth2/authorize")
def authorize() -> Any:
    """snsapi_base redirects straight back with a code; snsapi_userinfo asks first."""
    sb = sandbox()
    args = request.args
    if args.get("appid") != sb.config.appid:
        return _error_page("bad_appid")
    if not args.get("redirect_uri"):
        return _error_page("bad_redirect_uri")
    if args.get("response_type") != "code":
        return _error_page("bad_response_type")
    scope = args.get("scope", "")
    if scope not in SCOPES:
        # WeChat has no default scope: a missing or unknown one is refused.
        return _error_page("bad_scope")
    user = _user(args.get("sandbox_user") or request.cookies.get("sandbox_user"))
    if scope == "snsapi_base":
        code = issue_code(sb, user.username, scope)
        return _redirect_with(args["redirect_uri"], {"code": code, "state": args.get("state", "")})
    return render_template("consent.html", args=args, users=SANDBOX_USERS, current=user,
                           merchant=sb.config.merchant_name)


@bp.post("/connect/oauth2/authorize/confirm")
def confirm() -> Any:
    """The consent page's answer: a code on Allow, no code on Deny (as WeChat does)."""
    sb = sandbox()
    form = request.form
    if form.get("appid") != sb.config.appid:
        return _error_page("bad_appid")
    if not form.get("redirect_uri"):
        return _error_page("bad_redirect_uri")
    if form.get("decision") != "allow":
        return _redirect_with(form["redirect_uri"], {"state": form.get("state", "")})
    user = _user(form.get("sandbox_user"))
    code = issue_code(sb, user.username, form.get("scope", "snsapi_userinfo"))
    resp = _redirect_with(form["redirect_uri"], {"code": code, "state": form.get("state", "")})
    resp.set_cookie("sandbox_user", user.username, samesite="Lax")
    return resp


def _err(code: int, message: str) -> Response:
    return jsonify({"errcode": code, "errmsg": f"{message}, rid: {secrets.token_hex(4)}"})


@bp.get("/sns/oauth2/access_token")
def access_token() -> Response:
    """Exchange a code (once, within five minutes) for the user's openid.

    A used code answers 40163; an unknown or expired one 40029, as WeChat does.
    """
    sb = sandbox()
    args = request.args
    if args.get("appid") != sb.config.appid:
        return _err(40013, "invalid appid")
    if args.get("secret") != sb.config.app_secret:
        return _err(40125, "invalid appsecret")
    if args.get("grant_type") != "authorization_code":
        return _err(40002, "invalid grant_type")
    now = sb.now()
    with sb.store.tx():
        row = sb.store.one("SELECT * FROM oauth_codes WHERE code = ?", (args.get("code", ""),))
        if (row is None or row["appid"] != sb.config.appid
                or now - row["created_at"] > OAUTH_CODE_SECONDS):
            return _err(40029, "invalid code")
        if row["used_at"] is not None:
            # WeChat tells reuse apart from a bad code: its in-app browser may load the
            # redirect twice, and the merchant must not treat the second load as an attack.
            return _err(40163, "code been used")
        sb.store.update("oauth_codes", "code", row["code"], {"used_at": now})
    return jsonify({"access_token": secrets.token_urlsafe(48), "expires_in": 7200,
                    "refresh_token": secrets.token_urlsafe(48), "openid": row["openid"],
                    "scope": row["scope"]})
