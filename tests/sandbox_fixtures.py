"""Shared fixtures: the WeChat Pay simulator in a real HTTP server, and a merchant.

Imported by tests/sandbox/conftest.py and tests/payments/conftest.py (pytest
only honours pytest_plugins in the rootdir conftest, which is not ours).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import requests
import xmltodict
from werkzeug.serving import make_server

from app.config import WECHATPAY_DEV_DEFAULTS
from sandbox.wechatpay import create_app
from sandbox.wechatpay.protocol import nonce, sign, to_xml

APPID = WECHATPAY_DEV_DEFAULTS["WECHATPAY_APPID"]
MCH_ID = WECHATPAY_DEV_DEFAULTS["WECHATPAY_MCH_ID"]
API_KEY = WECHATPAY_DEV_DEFAULTS["WECHATPAY_API_KEY"]
APP_SECRET = WECHATPAY_DEV_DEFAULTS["WECHATPAY_APP_SECRET"]
TIME_SCALE = 600.0
CUSTOMS_PATHS = "cgi-bin/mch/customs/"
SUCCESS_REPLY = ("<xml><return_code><![CDATA[SUCCESS]]></return_code>"
                 "<return_msg><![CDATA[OK]]></return_msg></xml>")
FAIL_REPLY = ("<xml><return_code><![CDATA[FAIL]]></return_code>"
              "<return_msg><![CDATA[try later]]></return_msg></xml>")


class SandboxServer:
    """The simulator app served over real HTTP on a free port, in a thread."""

    def __init__(self, db_path: Path, time_scale: float = TIME_SCALE, **config: Any) -> None:
        self.db_path = db_path
        # Merchant settings are explicit so a developer's environment cannot leak in.
        self.app = create_app({"WECHATPAY_APPID": APPID, "WECHATPAY_MCH_ID": MCH_ID,
                               "WECHATPAY_API_KEY": API_KEY, "WECHATPAY_APP_SECRET": APP_SECRET,
                               "SANDBOX_DB": str(db_path), "SANDBOX_TIME_SCALE": time_scale,
                               "SANDBOX_SCHEDULER": True, **config})
        self.sandbox = self.app.extensions["wechatpay_sandbox"]
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.app.extensions["wechatpay_sandbox_scheduler"].stop()
        # The store is left to the garbage collector: a request thread the server has
        # not joined may still be finishing, and SQLite copes with a second process.

    # -- helpers for tests -------------------------------------------------------
    def call(self, path: str, fields: dict[str, Any], *, key: str = API_KEY,
             sign_type: str | None = None, raw: bool = False,
             with_nonce: bool | None = None) -> Any:
        """POST signed XML to a WeChat path; the parsed reply (or text when raw).

        A nonce_str goes with every call but the customs ones, which must not carry
        it; ``with_nonce`` says otherwise.
        """
        if with_nonce is None:
            with_nonce = not path.startswith(CUSTOMS_PATHS)
        data = {"appid": APPID, "mch_id": MCH_ID, **({"nonce_str": nonce()} if with_nonce else {}),
                **fields}
        if sign_type:
            data["sign_type"] = sign_type
        data = {k: v for k, v in data.items() if v is not None}
        data["sign"] = sign(data, key, sign_type or "MD5")
        resp = requests.post(self.url + path, data=to_xml(data).encode("utf-8"), timeout=10)
        return resp.text if raw else parse(resp.text)

    def control(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(method, self.url + path.lstrip("/"), timeout=10, **kwargs)

    def openid(self, username: str = "alice") -> str:
        return self.sandbox.openid(username)

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Poll until predicate() is truthy; fail the test after timeout seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.01)
        raise AssertionError("condition not reached in time")

    def notifies(self) -> list[dict[str, Any]]:
        return self.control("GET", "_sandbox/notifies").json()


def parse(text: str) -> dict[str, Any]:
    return dict(xmltodict.parse(text)["xml"])


@dataclass
class Received:
    at: float
    body: str
    fields: dict[str, Any]


@dataclass
class MerchantServer:
    """A tiny HTTP server that plays the merchant's notify_url.

    ``replies`` is consumed one per request; when it runs out the default
    reply (SUCCESS) is used.
    """

    replies: list[str] = field(default_factory=list)
    default_reply: str = SUCCESS_REPLY
    status: int = 200
    received: list[Received] = field(default_factory=list)

    def start(self) -> "MerchantServer":
        merchant = self
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                with lock:
                    try:
                        fields = parse(body)
                    except Exception:  # noqa: BLE001
                        fields = {}
                    merchant.received.append(Received(time.time(), body, fields))
                    reply = merchant.replies.pop(0) if merchant.replies else merchant.default_reply
                payload = reply.encode()
                self.send_response(merchant.status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_port}/"
        self.url = self.base_url + "notify"
        threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def sandbox_server(tmp_path: Path) -> Iterator[SandboxServer]:
    server = SandboxServer(tmp_path / "sandbox.sqlite3")
    yield server
    server.stop()


@pytest.fixture
def merchant() -> Iterator[MerchantServer]:
    server = MerchantServer().start()
    yield server
    server.stop()
