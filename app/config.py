"""Settings from the environment, with embedded defaults for development.

Every setting can be given as an environment variable (or in `.env`). Only
`SECRET_KEY` has no usable default in production: `create_app` refuses to start
without one when `KUAJING_ENV=production`.
"""
from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("KUAJING_INSTANCE", BASE_DIR / "instance"))

# Development merchant identity, shared by the portal and the WeChat Pay simulator
# under sandbox/ so that both sign with the same key out of the box.
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
