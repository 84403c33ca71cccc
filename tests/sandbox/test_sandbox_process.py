"""The simulator as a person starts it: ``python -m sandbox.wechatpay``, settings from the environment."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from sandbox.wechatpay.engine import config_from_env
from sandbox.wechatpay.protocol import nonce, sign, to_xml
from tests.sandbox_fixtures import parse

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_module_entry_point_reads_merchant_settings_from_the_environment(tmp_path) -> None:
    port = _free_port()
    key = "K" * 32
    env = {**os.environ, "WECHATPAY_APPID": "wx1234567890abcdef", "WECHATPAY_MCH_ID": "1230000109",
           "WECHATPAY_API_KEY": key, "SANDBOX_DB": str(tmp_path / "cli.sqlite3"),
           "SANDBOX_TIME_SCALE": "100"}
    proc = subprocess.Popen([sys.executable, "-m", "sandbox.wechatpay", "--host", "127.0.0.1",
                             "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 15
        while True:
            try:
                requests.get(base + "_sandbox/faults", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "simulator did not start"
                time.sleep(0.05)
        fields = {"appid": "wx1234567890abcdef", "mch_id": "1230000109", "nonce_str": nonce(),
                  "out_trade_no": "CLI_ORDER_1"}
        fields["sign"] = sign(fields, key)
        reply = parse(requests.post(base + "pay/orderquery", data=to_xml(fields).encode()).text)
        assert (reply["return_code"], reply["err_code"], reply["mch_id"]) == (
            "SUCCESS", "ORDERNOTEXIST", "1230000109")
        assert reply["sign"] == sign(reply, key)
        assert "×100" in requests.get(base + "_sandbox/").text
        assert (tmp_path / "cli.sqlite3").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_api_key_must_be_32_characters(tmp_path) -> None:
    with pytest.raises(ValueError):
        config_from_env({"WECHATPAY_API_KEY": "short", "SANDBOX_DB": str(tmp_path / "x")})
    with pytest.raises(ValueError):
        config_from_env({"SANDBOX_TIME_SCALE": "0", "SANDBOX_DB": str(tmp_path / "x")})


@pytest.mark.parametrize("setting", [{"SANDBOX_TIME_SCALE": "fast"},
                                     {"SANDBOX_TIME_SCALE": "inf"},
                                     {"WECHATPAY_API_KEY": "short"}])
def test_a_bad_setting_stops_the_entry_point_with_a_message(tmp_path, setting) -> None:
    env = {**os.environ, "SANDBOX_DB": str(tmp_path / "x.sqlite3"), **setting}
    done = subprocess.run([sys.executable, "-m", "sandbox.wechatpay", "--port", "1"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert next(iter(setting)) in done.stderr
