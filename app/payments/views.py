"""WeChat's callbacks (payment and refund notifies) and the WeChat OAuth return."""
from __future__ import annotations

from flask import Blueprint, Response, abort, request, session
from flask_login import login_required

from app.core.htmx import redirect_htmx
from app.core.security import safe_next
from app.extensions import csrf, limiter
from app.payments import callbacks, oauth
from app.payments.callbacks import MAX_BODY

bp = Blueprint("payments", __name__, url_prefix="/payments")


def _xml(answer: callbacks.Answer) -> Response:
    return Response(answer.body(), mimetype="application/xml")


def _body() -> bytes:
    # Read at most a little more than any notify is: an oversized body is refused, not buffered.
    if request.content_length and request.content_length > MAX_BODY:
        return b"\x00" * (MAX_BODY + 1)
    return request.stream.read(MAX_BODY + 1)


@bp.post("/wechatpay/notify")
@csrf.exempt
@limiter.exempt
def payment_notify():
    """Authenticated by its signature, not a session: CSRF-exempt by design."""
    return _xml(callbacks.payment_notify(_body(), request.remote_addr))


@bp.post("/wechatpay/refund-notify")
@csrf.exempt
@limiter.exempt
def refund_notify():
    """Authenticated by decrypting req_info with the API key."""
    return _xml(callbacks.refund_notify(_body(), request.remote_addr))


@bp.get("/wechat/oauth")
@login_required
def oauth_start():
    """Send the browser to WeChat to learn the payer's openid (snsapi_base: no prompt)."""
    return oauth.start(safe_next(request.args.get("next")))


@bp.get("/wechat/oauth/return")
@login_required
def oauth_return():
    """WeChat sends the browser back here with a code; it is traded for the openid once."""
    target = oauth.finish(request.args.get("code", ""), request.args.get("state", ""))
    if target is None:
        abort(400)
    return redirect_htmx(target)
