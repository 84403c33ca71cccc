"""API tokens on the account page: create one (shown once) and revoke (routes on the accounts blueprint)."""
from __future__ import annotations

from flask import flash, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.accounts import tokens
from app.accounts.forms import ApiTokenForm
from app.accounts.views import bp, profile_page
from app.core.forms import attempt
from app.core.htmx import redirect_htmx

FRAGMENT = "accounts/_api_tokens.html"


@bp.post("/account/api-tokens")
@login_required
def api_token_create():
    """Create a token and show it this once: only its hash is kept, so it cannot be shown again."""
    form = ApiTokenForm()
    created = None
    if form.validate_on_submit():
        with attempt(form, "token_name") as done:
            created = tokens.create(current_user._get_current_object(), form.token_name.data)
        if done:
            form = ApiTokenForm(formdata=None)
    status = 422 if form.errors else 200
    return profile_page(status=status, fragment=FRAGMENT, token_form=form,
                        new_token=created.secret if created else None)


@bp.post("/account/api-tokens/<int:token_id>/revoke")
@login_required
def api_token_revoke(token_id: int):
    with attempt() as done:
        tokens.revoke(current_user.id, token_id)
    if done:
        flash(_("The API token is revoked: requests carrying it are refused from now on."), "success")
    return redirect_htmx(url_for("accounts.profile"))
