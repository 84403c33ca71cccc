"""SMS settings (`SMS_PROVIDER`, `SMS_*`) from the environment, with development defaults.

`app.config.load` merges them with every other setting; `problems` says what keeps
them from working, and create_app refuses to start on any.
"""
from __future__ import annotations

import json

from collections.abc import Mapping

from app.config import env, env_bool, env_int

# Development identity shared by the portal and the stub under sandbox/sms, so that
# both sign and check with the same key out of the box. Never valid at Tencent Cloud.
TENCENT_DEV_DEFAULTS: dict[str, str] = {
    "SMS_TENCENT_SECRET_ID": "AKIDkuajingSandbox00000000000000000",
    "SMS_TENCENT_SECRET_KEY": "kuajingSandboxSmsSecretKey000001",
    "SMS_TENCENT_SDK_APP_ID": "1400000001",
    "SMS_TENCENT_REGION": "ap-guangzhou",
    "SMS_TENCENT_ENDPOINT": "127.0.0.1:5020",
    "SMS_TENCENT_SCHEME": "http",
}

# Approved template ids at the provider, per event and language. The stub approves
# exactly these; production sets SMS_TEMPLATE_IDS to the console's ids as JSON.
DEFAULT_TEMPLATE_IDS: dict[str, str] = {
    "login_code.zh_CN": "2100001", "login_code.en": "2100002",
    "phone_verification.zh_CN": "2100003", "phone_verification.en": "2100004",
    "member_invitation.zh_CN": "2100005", "member_invitation.en": "2100006",
    "order_paid.zh_CN": "2100007", "order_paid.en": "2100008",
    "refund_completed.zh_CN": "2100009", "refund_completed.en": "2100010",
    "ticket_replied.zh_CN": "2100011", "ticket_replied.en": "2100012",
    "statement_ready.zh_CN": "2100013", "statement_ready.en": "2100014",
    "order_shipped.zh_CN": "2100015", "order_shipped.en": "2100016",
    "refund_failed.zh_CN": "2100017", "refund_failed.en": "2100018",
    "refund_rejected.zh_CN": "2100019", "refund_rejected.en": "2100020",
    "ticket_resolved.zh_CN": "2101301", "ticket_resolved.en": "2101302",
    "ticket_assigned.zh_CN": "2101303", "ticket_assigned.en": "2101304",
    "ticket_sla_risk.zh_CN": "2101305", "ticket_sla_risk.en": "2101306",
}


def load() -> dict[str, object]:
    production = env("KUAJING_ENV", "development") == "production"
    provider = env("SMS_PROVIDER", "outbox")
    cfg: dict[str, object] = {
        "SMS_PROVIDER": provider,
        # Development only: the outbox provider keeps what it "delivered" (codes and links
        # in clear) for a day, and the staff outbox page shows it, so a developer can sign
        # in with a code. Production refuses to start with it on.
        "SMS_OUTBOX_SHOWS_CODES": env_bool("SMS_OUTBOX_SHOWS_CODES", not production and provider == "outbox"),
        "SMS_SIGN_NAME": env("SMS_SIGN_NAME", "跨境采购"),
        "SMS_SIGN_NAME_EN": env("SMS_SIGN_NAME_EN", "Kuajing"),
        "SMS_TEMPLATE_IDS": {**DEFAULT_TEMPLATE_IDS, **json.loads(env("SMS_TEMPLATE_IDS", "{}") or "{}")},
        "SMS_TIMEOUT_SECONDS": env_int("SMS_TIMEOUT_SECONDS", 10),
        # Delay before each retry of a retryable error; its length is the number of retries.
        "SMS_RETRY_DELAYS": [int(s) for s in (env("SMS_RETRY_DELAYS", "10,60,300,1800") or "").split(",") if s],
        # A message "sending" this long means its worker died mid-send.
        "SMS_SENDING_TIMEOUT_SECONDS": env_int("SMS_SENDING_TIMEOUT_SECONDS", 600),
        "SMS_CODE_TTL_SECONDS": env_int("SMS_CODE_TTL_SECONDS", 300),
        "SMS_CODE_MAX_TRIES": env_int("SMS_CODE_MAX_TRIES", 5),
        "SMS_CODE_LIMITS_PER_PHONE": env("SMS_CODE_LIMITS_PER_PHONE", "1/minute;5/hour;10/day"),
        "SMS_CODE_LIMITS_PER_IP": env("SMS_CODE_LIMITS_PER_IP", "10/minute;30/hour;100/day"),
        "SMS_OUTBOX_PAGE": env_bool("SMS_OUTBOX_PAGE", not production),
    }
    for name, default in TENCENT_DEV_DEFAULTS.items():
        cfg[name] = env(name, None if production else default)
    return cfg


def problems(cfg: Mapping[str, object]) -> list[str]:
    if cfg.get("ENV_NAME") == "production" and cfg.get("SMS_OUTBOX_SHOWS_CODES"):
        return ["SMS_OUTBOX_SHOWS_CODES shows one-time codes to staff: never in production"]
    provider = cfg.get("SMS_PROVIDER")
    if provider not in ("outbox", "tencent"):
        return [f"SMS_PROVIDER={provider!r}: use 'outbox' or 'tencent'"]
    missing = [k for k in ("SMS_TENCENT_SECRET_ID", "SMS_TENCENT_SECRET_KEY", "SMS_TENCENT_SDK_APP_ID")
               if not cfg.get(k)]
    if provider == "tencent" and missing:
        # Refuse to start rather than leave every message queued behind a failing job.
        return ["SMS_PROVIDER=tencent needs " + ", ".join(missing)]
    return []
