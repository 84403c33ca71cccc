"""Companies, users, roles, sign-in (password, SMS code), invitations and phone verification.

Other domains use:
    models: Company, User, Membership, BuyerRole, StaffRole
    recipient(user)          the notification layer's Recipient for a user (or None)
    set_wechat_openid(user, openid)
    find_user_by_email(email)
    members_who_buy()        every (user, company id) that may place orders
    tokens.authenticate(secret)   the live API token a request carries, with its user
    act_for_request(user)    make `user` the current user of this request only (no session)
"""
from __future__ import annotations

from flask import Flask

from app.accounts import tokens
from app.accounts.auth import act_for_request
from app.accounts.services import find_user_by_email, members_who_buy, recipient, set_wechat_openid

__all__ = ["act_for_request", "find_user_by_email", "members_who_buy", "recipient", "register", "set_wechat_openid",
           "tokens"]


def register(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from app.accounts import auth, phone_views, seed, throttle, token_views, views  # noqa: F401  (routes on views.bp)
    from app.accounts import cli as commands
    from app.core import cli, navigation

    auth.init_login(app)
    throttle.init_app(app)
    commands.init_app(app)
    app.register_blueprint(views.bp)
    navigation.add(app, "core.home", _l("Home"), order=0)
    navigation.add(app, "accounts.members", _l("Members"), ("owner",), order=10)
    navigation.add(app, "accounts.profile", _l("My account"), order=20)
    cli.add_seeder(app, "accounts", seed.seed_demo)
