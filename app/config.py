"""Settings from the environment, with embedded defaults for development.

Every setting can be given as an environment variable (or in `.env`). Only
`SECRET_KEY` has no usable default in production: `create_app` refuses to start
without one when `KUAJING_ENV=production`.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from importlib import import_module
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# Each domain that has settings of its own keeps them in `<domain>/settings.py` with a
# `load()` (read the environment) and optionally a `problems(cfg)` (what is wrong with
# them); `load()` below merges them, so there is one loader and one place they meet.
DOMAIN_SETTINGS = ["app.notifications.settings", "app.helpdesk.settings"]


class ConfigError(RuntimeError):
    """The settings cannot run the portal safely (say, production without its own keys)."""
INSTANCE_DIR = Path(os.environ.get("KUAJING_INSTANCE", BASE_DIR / "instance"))

# Development merchant identity. The WeChat Pay simulator under sandbox/ keeps the
# same values in its own DEV_MERCHANT (it shares no code with the portal), so both
# sign with the same key out of the box; tests/sandbox/test_sandbox_config.py holds
# the two together.
WECHATPAY_DEV_DEFAULTS: dict[str, str] = {
    "WECHATPAY_APPID": "wx8888888888888888",
    "WECHATPAY_MCH_ID": "1900000109",
    "WECHATPAY_API_KEY": "kuajingSandboxKey0123456789abcde",
    "WECHATPAY_APP_SECRET": "kuajingsandboxappsecret000000001",
    "WECHATPAY_API_BASE": "http://127.0.0.1:5010/",
}


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    return int(value) if value is not None else default


def _translation_directories() -> str:
    # Each domain keeps its own catalog (app/<domain>/translations) so that work on
    # one domain never touches another's .po file; Flask-Babel merges them.
    app_dir = BASE_DIR / "app"
    dirs = sorted(str(p) for p in app_dir.glob("*/translations") if p.is_dir())
    return ";".join(dirs)


def _secret_key() -> str | None:
    """The configured key, or one generated once into instance/ for development."""
    key = env("SECRET_KEY")
    if key or env("KUAJING_ENV", "development") == "production":
        return key
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        import secrets

        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def load() -> dict[str, object]:
    """Read every setting from the environment; called by create_app, never at import."""
    environment = env("KUAJING_ENV", "development")
    production = environment == "production"
    cfg: dict[str, object] = {
        "ENV_NAME": environment,
        "SECRET_KEY": _secret_key(),
        "SQLALCHEMY_DATABASE_URI": env(
            "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'kuajing.sqlite3'}"
        ),
        # No ping on every checkout (a round trip per request): app.core.db checks the
        # socket instead, pings connections idle for DB_PING_IDLE_SECONDS, and recycles
        # them after half an hour.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": False, "pool_recycle": 1800},
        "DB_PING_IDLE_SECONDS": float(env("DB_PING_IDLE_SECONDS", "30") or 30),
        # Durable after-commit work (app.core.jobs): how long a due intent may wait for its
        # job before the sweep enqueues it again, and how often the sweep runs.
        "JOBS_SWEEP_GRACE_SECONDS": env_int("JOBS_SWEEP_GRACE_SECONDS", 60),
        "JOBS_SWEEP_INTERVAL": env_int("JOBS_SWEEP_INTERVAL", 60),
        "REDIS_URL": env("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "RQ_QUEUE": env("RQ_QUEUE", "default"),
        "MAX_CONTENT_LENGTH": env_int("MAX_CONTENT_LENGTH", 16 * 1024 * 1024),
        # Stored files (statements, attachments: app/core/files.py), outside the web root.
        # Every web and worker process must see the same folder (a shared volume when scaled out).
        "FILES_DIR": env("FILES_DIR", str(INSTANCE_DIR / "files")),
        "SESSION_COOKIE_SECURE": env_bool("SESSION_COOKIE_SECURE", production),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "kj_session",
        "PERMANENT_SESSION_LIFETIME": env_int("SESSION_LIFETIME_SECONDS", 12 * 3600),
        "REMEMBER_COOKIE_SECURE": env_bool("SESSION_COOKIE_SECURE", production),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": production,
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "BABEL_TRANSLATION_DIRECTORIES": _translation_directories(),
        "LANGUAGES": {"zh_CN": "中文", "en": "English"},
        "RATELIMIT_STORAGE_URI": env("RATELIMIT_STORAGE_URI", env("REDIS_URL", "redis://127.0.0.1:6379/0")),
        "RATELIMIT_KEY_PREFIX": env("RATELIMIT_KEY_PREFIX", "kj"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # With Redis down, limits fall back to per-process memory instead of failing logins.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # Wrong passwords only (app/accounts/throttle.py): for one account from one client
        # (or one remembered browser), for one account from everywhere, from one client.
        "LOGIN_LIMIT_PER_ACCOUNT_CLIENT": env("LOGIN_LIMIT_PER_ACCOUNT_CLIENT", "5 per 15 minutes"),
        "LOGIN_LIMIT_PER_ACCOUNT": env("LOGIN_LIMIT_PER_ACCOUNT", "30 per hour"),
        "LOGIN_LIMIT_PER_IP": env("LOGIN_LIMIT_PER_IP", "30 per 15 minutes"),
        "INVITATION_DAYS": env_int("INVITATION_DAYS", 7),
        "INVITE_LIMIT_PER_COMPANY": env("INVITE_LIMIT_PER_COMPANY", "30 per hour;100 per day"),
        "INVITE_LIMIT_PER_IP": env("INVITE_LIMIT_PER_IP", "60 per hour"),
        # The JSON API (/api/v1): requests per token (or signed-in user), and per client address.
        "API_LIMIT_PER_USER": env("API_LIMIT_PER_USER", "300 per minute"),
        "API_LIMIT_PER_IP": env("API_LIMIT_PER_IP", "600 per minute"),
        "PUBLIC_BASE_URL": env("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        # Encrypts identity numbers in the database (Fernet key); derived from SECRET_KEY in development.
        "FIELD_ENCRYPTION_KEY": env("FIELD_ENCRYPTION_KEY"),
        # How long an order waits for its payment before it is closed.
        "ORDER_PAYMENT_MINUTES": env_int("ORDER_PAYMENT_MINUTES", 30),
        # A shipped order completes this many days after it shipped, delivered or not.
        "ORDER_AUTO_COMPLETE_DAYS": env_int("ORDER_AUTO_COMPLETE_DAYS", 15),
        # The customs office and the merchant's customs registration (customs declarations).
        "CUSTOMS_OFFICE": env("CUSTOMS_OFFICE", "GUANGZHOU_ZS"),
        "MCH_CUSTOMS_NO": env("MCH_CUSTOMS_NO", "4403169D3W"),
        # How many reverse proxies in front of gunicorn set X-Forwarded-*; rate limits and
        # WeChat's spbill_create_ip need the client's own address, not the proxy's. Off
        # unless set: believed without a proxy, the header lets a client pick its address.
        "TRUSTED_PROXIES": env_int("TRUSTED_PROXIES", 0),
    }
    # Production never falls back to the development merchant: its key is public.
    for name, default in WECHATPAY_DEV_DEFAULTS.items():
        cfg[name] = env(name, None if production else default)
    if production:
        cfg["WECHATPAY_API_BASE"] = env("WECHATPAY_API_BASE", "https://api.mch.weixin.qq.com/")
    # Empty means "derive": OAuth hosts follow the API base when it is the simulator,
    # and a throwaway client certificate is made for it (see app/payments/wechatpay.py).
    for name in ("WECHATPAY_OAUTH_BASE", "WECHATPAY_SNS_BASE", "WECHATPAY_CERT_PATH",
                 "WECHATPAY_KEY_PATH", "WECHATPAY_NOTIFY_URL", "WECHATPAY_REFUND_NOTIFY_URL"):
        cfg[name] = env(name)
    cfg["WECHATPAY_TIMEOUT"] = env("WECHATPAY_TIMEOUT", "10")
    for module in DOMAIN_SETTINGS:
        cfg.update(import_module(module).load())
    return cfg


def problems(cfg: Mapping[str, object]) -> list[str]:
    """Everything that keeps these settings from running (empty when fine), every domain's too."""
    found = production_problems(cfg) if cfg.get("ENV_NAME") == "production" else []
    if not cfg.get("SECRET_KEY"):
        found.append("SECRET_KEY is not set")
    for module in DOMAIN_SETTINGS:
        check = getattr(import_module(module), "problems", None)
        if check is not None:
            found.extend(check(cfg))
    return list(dict.fromkeys(found))


def production_problems(cfg: Mapping[str, object]) -> list[str]:
    """What keeps these settings from running safely in production (empty when fine)."""
    problems = []
    if not cfg.get("SECRET_KEY"):
        problems.append("SECRET_KEY is not set")
    for name, dev_value in WECHATPAY_DEV_DEFAULTS.items():
        if name == "WECHATPAY_API_BASE":
            continue
        value = cfg.get(name)
        if not value:
            problems.append(f"{name} is not set")
        elif value == dev_value:
            problems.append(f"{name} is the public development value")
    if not cfg.get("FIELD_ENCRYPTION_KEY"):
        problems.append("FIELD_ENCRYPTION_KEY is not set (identity numbers are encrypted with it)")
    if str(cfg.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        problems.append("DATABASE_URL must point at PostgreSQL")
    return problems
