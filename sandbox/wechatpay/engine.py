"""The simulator's shared context: merchant settings, clock, faults and users.

One `Sandbox` object per app holds what every endpoint and the background
scheduler need, so modules take it as their first argument instead of reaching
for globals.
"""
from __future__ import annotations

import base64
import hashlib
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from .store import Store

# Delays as WeChat has them, in seconds of real time; SANDBOX_TIME_SCALE divides each.
NOTIFY_RETRY_DELAYS: tuple[int, ...] = (
    15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600,
    10800, 10800, 10800, 21600, 21600,
)
REFUND_PROCESSING_SECONDS = 60
CUSTOMS_PROCESSING_SECONDS = 60
CLOSE_MIN_AGE_SECONDS = 300
PREPAY_VALID_SECONDS = 7200
MWEB_VALID_SECONDS = 300
TRADE_OVERDUE_SECONDS = 365 * 86400
# An OAuth code is a validity window, not a wait, so it is not scaled; move the
# sandbox clock (POST /_sandbox/clock) to see it expire.
OAUTH_CODE_SECONDS = 300

# The one merchant the simulator knows unless WECHATPAY_* say otherwise. The portal
# keeps the same development values on its side (a test holds the two together) so
# both sign with the same key out of the box; the simulator is WeChat's side and
# shares no code with the portal, which reaches it only over HTTP.
DEV_MERCHANT: dict[str, str] = {
    "WECHATPAY_APPID": "wx8888888888888888",
    "WECHATPAY_MCH_ID": "1900000109",
    "WECHATPAY_API_KEY": "kuajingSandboxKey0123456789abcde",
    "WECHATPAY_APP_SECRET": "kuajingsandboxappsecret000000001",
}
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB = PROJECT_ROOT / "instance" / "wechatpay_sandbox.sqlite3"


@dataclass(frozen=True)
class SandboxUser:
    """A payer who exists only in the sandbox, with an identity for customs checks."""

    username: str
    nickname: str
    name: str
    cert_id: str


SANDBOX_USERS: tuple[SandboxUser, ...] = (
    SandboxUser("alice", "Alice 爱丽丝", "张三", "110101199003077512"),
    SandboxUser("bob", "Bob 鲍勃", "李四", "440106198507213315"),
    SandboxUser("carol", "Carol 卡罗", "王五", "330106199201019025"),
)
DEFAULT_USER = SANDBOX_USERS[0]


def openid_for(appid: str, username: str) -> str:
    """A stable 28-character openid for a sandbox user under one appid."""
    digest = hashlib.sha256(f"{appid}:{username}".encode()).digest()
    return "o" + base64.urlsafe_b64encode(digest).decode()[:27]


@dataclass
class Faults:
    """What the simulator does wrong on purpose, set through POST /_sandbox/faults."""

    latency_ms: int = 0
    error_rate: float = 0.0
    notify: str = "normal"

    NOTIFY_MODES = ("normal", "drop", "duplicate", "bad_sign", "tamper_amount")


@dataclass
class SandboxConfig:
    """Settings for one simulator instance; see `config_from_env`."""

    appid: str
    mch_id: str
    api_key: str
    app_secret: str
    db_path: str
    time_scale: float = 1.0
    merchant_name: str = "跨境采购 Kuajing (sandbox)"
    run_scheduler: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def config_from_env(overrides: Mapping[str, Any] | None = None) -> SandboxConfig:
    """Build settings from WECHATPAY_* and SANDBOX_* variables, then overrides.

    Unset merchant settings take `DEV_MERCHANT`, the state file defaults to
    `instance/wechatpay_sandbox.sqlite3` under the project root. Raises
    ValueError for an API key that is not 32 characters or a scale that is not
    positive.
    """
    merged: dict[str, Any] = dict(DEV_MERCHANT)
    merged["SANDBOX_DB"] = str(DEFAULT_DB)
    merged["SANDBOX_TIME_SCALE"] = "1"
    for name in list(merged) + ["SANDBOX_SCHEDULER"]:
        if os.environ.get(name):
            merged[name] = os.environ[name]
    merged.update(overrides or {})
    try:
        scale = float(merged["SANDBOX_TIME_SCALE"])
    except (TypeError, ValueError):
        scale = float("nan")
    if not scale > 0 or scale == float("inf"):
        raise ValueError("SANDBOX_TIME_SCALE must be a positive number")
    if len(str(merged["WECHATPAY_API_KEY"])) != 32:
        raise ValueError("WECHATPAY_API_KEY must be 32 characters, as WeChat issues it")
    scheduler = merged.get("SANDBOX_SCHEDULER", True)
    if isinstance(scheduler, str):
        scheduler = scheduler.strip().lower() not in {"0", "false", "no", "off"}
    return SandboxConfig(
        appid=str(merged["WECHATPAY_APPID"]),
        mch_id=str(merged["WECHATPAY_MCH_ID"]),
        api_key=str(merged["WECHATPAY_API_KEY"]),
        app_secret=str(merged["WECHATPAY_APP_SECRET"]),
        db_path=str(merged["SANDBOX_DB"]),
        time_scale=scale,
        run_scheduler=bool(scheduler),
    )


class Sandbox:
    """Config, store, clock and faults of one running simulator."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.store = Store(config.db_path)
        self._wake: Callable[[], None] = lambda: None

    # -- time ---------------------------------------------------------------
    def now(self) -> float:
        """The sandbox's clock: real time plus any shift set through /_sandbox/clock."""
        return time.time() + float(self.store.get_setting("clock_offset", 0.0))

    def shift_clock(self, seconds: float) -> float:
        """Move the sandbox clock forward (or back); due work fires accordingly."""
        offset = float(self.store.get_setting("clock_offset", 0.0)) + seconds
        self.store.set_setting("clock_offset", offset)
        self.wake()
        return offset

    def scaled(self, seconds: float) -> float:
        """A WeChat delay in seconds, divided by SANDBOX_TIME_SCALE."""
        return seconds / self.config.time_scale

    # -- faults -------------------------------------------------------------
    def faults(self) -> Faults:
        return Faults(**self.store.get_setting("faults", {}))

    def set_faults(self, faults: Faults) -> None:
        self.store.set_setting("faults", asdict(faults))

    # -- users --------------------------------------------------------------
    def openid(self, username: str, appid: str | None = None) -> str:
        return openid_for(appid or self.config.appid, username)

    def user_by_openid(self, openid: str | None) -> SandboxUser | None:
        for user in SANDBOX_USERS:
            if openid and self.openid(user.username) == openid:
                return user
        return None

    # -- scheduler hook -----------------------------------------------------
    def set_waker(self, wake: Callable[[], None]) -> None:
        self._wake = wake

    def wake(self) -> None:
        """Tell the background scheduler that new work may be due."""
        self._wake()
