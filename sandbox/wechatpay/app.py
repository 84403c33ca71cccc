"""The simulator's Flask app factory."""
from __future__ import annotations

import os
from typing import Any, Mapping

from flask import Flask

from .engine import Sandbox, config_from_env
from .scheduler import Scheduler


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the WeChat Pay v2 simulator app.

    ``config`` overrides the environment with the same names (WECHATPAY_APPID,
    WECHATPAY_MCH_ID, WECHATPAY_API_KEY, WECHATPAY_APP_SECRET, SANDBOX_DB,
    SANDBOX_TIME_SCALE, SANDBOX_SCHEDULER) plus SANDBOX_PUBLIC_URL, the address
    payers reach the simulator at (used in mweb_url). The background scheduler
    starts here unless SANDBOX_SCHEDULER is false; `app.extensions` holds the
    `Sandbox` and its `Scheduler` so callers can stop it.
    """
    from . import i18n, views_api, views_oauth, views_payer

    overrides = dict(config or {})
    settings = config_from_env(overrides)
    settings.extra["public_url"] = str(overrides.get("SANDBOX_PUBLIC_URL")
                                       or os.environ.get("SANDBOX_PUBLIC_URL", ""))
    sb = Sandbox(settings)

    app = Flask(__name__, template_folder="templates", static_folder=None)
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["wechatpay_sandbox"] = sb
    app.register_blueprint(views_api.bp)
    app.register_blueprint(views_oauth.bp)
    app.register_blueprint(views_payer.bp)
    i18n.install(app)

    @app.before_request
    def _public_url() -> None:
        # mweb_url must point at the address the payer used to reach the simulator.
        from flask import request
        if not sb.config.extra.get("public_url"):
            sb.config.extra["public_url"] = request.host_url.rstrip("/")

    scheduler = Scheduler(sb)
    app.extensions["wechatpay_sandbox_scheduler"] = scheduler
    if settings.run_scheduler:
        scheduler.start()
    return app
