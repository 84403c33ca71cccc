"""The simulator stands alone: its own merchant defaults and state file, no portal code."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from app.config import WECHATPAY_DEV_DEFAULTS
from sandbox.wechatpay.engine import DEV_MERCHANT, config_from_env

ROOT = Path(__file__).resolve().parents[2]


def _clean_env(monkeypatch) -> None:
    for name in (*DEV_MERCHANT, "SANDBOX_DB", "SANDBOX_TIME_SCALE", "SANDBOX_SCHEDULER"):
        monkeypatch.delenv(name, raising=False)


def test_simulator_and_portal_sign_with_the_same_development_merchant() -> None:
    assert DEV_MERCHANT == {name: WECHATPAY_DEV_DEFAULTS[name] for name in DEV_MERCHANT}
    assert set(DEV_MERCHANT) == {"WECHATPAY_APPID", "WECHATPAY_MCH_ID", "WECHATPAY_API_KEY",
                                 "WECHATPAY_APP_SECRET"}


def test_state_lives_in_the_project_instance_folder_unless_sandbox_db_says(
        monkeypatch, tmp_path) -> None:
    _clean_env(monkeypatch)
    monkeypatch.setenv("KUAJING_INSTANCE", str(tmp_path / "portal"))  # the portal's, not ours
    settings = config_from_env()
    assert Path(settings.db_path) == ROOT / "instance" / "wechatpay_sandbox.sqlite3"
    assert (settings.appid, settings.mch_id) == (DEV_MERCHANT["WECHATPAY_APPID"],
                                                 DEV_MERCHANT["WECHATPAY_MCH_ID"])
    monkeypatch.setenv("SANDBOX_DB", str(tmp_path / "elsewhere.sqlite3"))
    assert config_from_env().db_path == str(tmp_path / "elsewhere.sqlite3")


def test_simulator_runs_where_the_portal_package_cannot_be_imported(tmp_path) -> None:
    # WeChat's side must work with nothing of app/: answer a signed call with the
    # development merchant's key, and show its dashboard.
    script = textwrap.dedent("""
        import sys
        sys.modules["app"] = None  # any `import app…` now fails
        from sandbox.wechatpay import create_app
        from sandbox.wechatpay.engine import DEV_MERCHANT
        from sandbox.wechatpay.protocol import nonce, parse_xml, sign, to_xml
        app = create_app({"SANDBOX_DB": sys.argv[1], "SANDBOX_SCHEDULER": "off"})
        client = app.test_client()
        fields = {"appid": DEV_MERCHANT["WECHATPAY_APPID"],
                  "mch_id": DEV_MERCHANT["WECHATPAY_MCH_ID"],
                  "nonce_str": nonce(), "out_trade_no": "ALONE_1"}
        fields["sign"] = sign(fields, DEV_MERCHANT["WECHATPAY_API_KEY"])
        reply = parse_xml(client.post("/pay/orderquery", data=to_xml(fields).encode()).data)
        assert reply["err_code"] == "ORDERNOTEXIST", reply
        assert reply["sign"] == sign(reply, DEV_MERCHANT["WECHATPAY_API_KEY"])
        assert client.get("/_sandbox/").status_code == 200
        print("ok")
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHATPAY_", "SANDBOX_"))}
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "alone.sqlite3")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
