"""A stand-in for Tencent Cloud SMS (SendSms, API version 2021-01-11) for development and tests.

It checks each request the way Tencent Cloud API 3.0 does: the TC3-HMAC-SHA256
signature over the canonical request, the credential scope and the timestamp, then
the SDK app id, template, sign and phone numbers, and answers in Tencent's format:

- request errors as {"Response": {"Error": {"Code", "Message"}, "RequestId"}};
- per-number results in Response.SendStatusSet, Code "Ok" or e.g.
  "FailedOperation.TemplateIncorrectOrUnapproved" or the frequency limits
  "LimitExceeded.PhoneNumberThirtySecondLimit" / "...OneHourLimit" / "...DailyLimit"
  (Tencent's default policy: 1 per 30 s, 5 per hour, 10 per day per number).

Control endpoints for tests (not part of Tencent's API):
  GET  /_stub/messages          what was accepted, oldest first
  POST /_stub/script            {"phone": "+86...", "codes": ["LimitExceeded.PhoneNumberThirtySecondLimit"]}
                                the next replies for that number, one code per request;
                                "error:<Code>" answers the whole request with that API error
                                (e.g. "error:RequestLimitExceeded"), "hang:<seconds>" accepts the
                                message but answers only after that delay (a read timeout)
  POST /_stub/reset             forget messages, scripts and frequency counters

    python -m sandbox.sms.server --port 5020
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timezone

from werkzeug.serving import run_simple
from werkzeug.wrappers import Request, Response

# The same development identity the portal uses by default (app/notifications/settings.py).
DEV_SECRET_ID = "AKIDkuajingSandbox00000000000000000"
DEV_SECRET_KEY = "kuajingSandboxSmsSecretKey000001"
DEV_SDK_APP_ID = "1400000001"
DEV_SIGNS = ("跨境采购",)
# Approved templates: id -> number of parameters (app/notifications/events.py).
DEV_TEMPLATES = {
    "2100001": 2, "2100002": 2, "2100003": 2, "2100004": 2, "2100005": 2, "2100006": 2,
    "2100007": 2, "2100008": 2, "2100009": 2, "2100010": 2, "2100011": 1, "2100012": 1,
    "2100013": 1, "2100014": 1, "2100015": 3, "2100016": 3, "2100017": 2, "2100018": 2,
    "2100019": 2, "2100020": 2,
    "2101301": 1, "2101302": 1, "2101303": 1, "2101304": 1, "2101305": 2, "2101306": 2,
}
DEFAULT_LIMITS = ((30, 1, "LimitExceeded.PhoneNumberThirtySecondLimit"),
                  (3600, 5, "LimitExceeded.PhoneNumberOneHourLimit"),
                  (86400, 10, "LimitExceeded.PhoneNumberDailyLimit"))
MESSAGES = {
    "Ok": "send success",
    "FailedOperation.TemplateIncorrectOrUnapproved": "template is not approved or request content does not match the approved template content",
    "FailedOperation.TemplateParamSetNotMatchApprovedTemplate": "request content does not match the approved template content",
    "FailedOperation.SignatureIncorrectOrUnapproved": "signature is not approved or signature format is incorrect",
    "InvalidParameterValue.IncorrectPhoneNumber": "incorrect phone number format",
    "LimitExceeded.PhoneNumberThirtySecondLimit": "the number of sms messages sent from a single mobile number within 30 seconds exceeds the upper limit",
    "LimitExceeded.PhoneNumberOneHourLimit": "the number of sms messages sent from a single mobile number within 1 hour exceeds the upper limit",
    "LimitExceeded.PhoneNumberDailyLimit": "the number of sms messages sent from a single mobile number every day exceeds the upper limit",
    "LimitExceeded.DeliveryFrequencyLimit": "the delivery frequency limit is hit",
    "RequestLimitExceeded": "Your current request times exceeds limit, please try again later.",
    "InternalError.Timeout": "request timed out",
}
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_AUTH = re.compile(r"^TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/([a-z]+)/tc3_request, "
                   r"SignedHeaders=([a-z0-9;\-]+), Signature=([0-9a-f]{64})$")


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def tc3_signature(secret_key: str, *, method: str, path: str, query: str, headers: dict[str, str],
                  signed_headers: list[str], payload: bytes, timestamp: int, date: str, service: str) -> str:
    """TC3-HMAC-SHA256 as Tencent Cloud API 3.0 documents it ("Signature v3")."""
    canonical_headers = "".join(f"{h}:{headers.get(h, '').strip().lower()}\n" for h in signed_headers)
    canonical_request = "\n".join([method, path, query, canonical_headers, ";".join(signed_headers),
                                   hashlib.sha256(payload).hexdigest()])
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), scope,
                                hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()])
    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode("utf-8"), date), service), "tc3_request")
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


class ApiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class SmsStub:
    secret_id: str = DEV_SECRET_ID
    secret_key: str = DEV_SECRET_KEY
    sdk_app_id: str = DEV_SDK_APP_ID
    signs: tuple[str, ...] = DEV_SIGNS
    templates: dict[str, int] = field(default_factory=lambda: dict(DEV_TEMPLATES))
    limits: tuple[tuple[int, int, str], ...] = DEFAULT_LIMITS
    clock: object = time.time
    accepted: list[dict] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)
    scripts: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    history: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- WSGI ---------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path.startswith("/_stub/"):
            response = self._control(request)
        else:
            response = self._api(request)
        return response(environ, start_response)

    def _control(self, request: Request) -> Response:
        with self.lock:
            if request.path == "/_stub/messages" and request.method == "GET":
                return _json({"accepted": self.accepted, "rejected": self.rejected})
            if request.path == "/_stub/script" and request.method == "POST":
                body = request.get_json(force=True)
                self.scripts[body["phone"]].extend(body["codes"])
                return _json({"ok": True})
            if request.path == "/_stub/reset" and request.method == "POST":
                self.accepted.clear(); self.rejected.clear(); self.scripts.clear(); self.history.clear()
                return _json({"ok": True})
        return Response("not found", 404)

    def _api(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        try:
            params = self._authenticate(request)
            statuses = self._send_sms(params)
        except ApiError as e:
            return _json({"Response": {"Error": {"Code": e.code, "Message": e.message}, "RequestId": request_id}})
        return _json({"Response": {"SendStatusSet": statuses, "RequestId": request_id}})

    # --- Tencent Cloud API 3.0 ------------------------------------------------------------
    def _authenticate(self, request: Request) -> dict:
        if request.method != "POST":
            raise ApiError("InvalidParameter", "only POST with application/json is supported by this stub")
        match = _AUTH.match(request.headers.get("Authorization", ""))
        if not match:
            raise ApiError("AuthFailure.InvalidAuthorization", "Authorization header is not TC3-HMAC-SHA256")
        secret_id, date, service, signed, signature = match.groups()
        if secret_id != self.secret_id:
            raise ApiError("AuthFailure.SecretIdNotFound", "The SecretId is not found, please ensure that your SecretId is correct.")
        try:
            timestamp = int(request.headers.get("X-TC-Timestamp", ""))
        except ValueError:
            raise ApiError("MissingParameter", "X-TC-Timestamp is missing") from None
        if abs(self.clock() - timestamp) > 300:
            raise ApiError("AuthFailure.SignatureExpire", "Signature expired. Timestamp and server time cannot differ by more than five minutes.")
        if date != datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d") or service != "sms":
            raise ApiError("AuthFailure.SignatureFailure", "The credential scope does not match the timestamp or service.")
        signed_headers = signed.split(";")
        if not {"content-type", "host"} <= set(signed_headers):
            raise ApiError("AuthFailure.SignatureFailure", "content-type and host must be signed.")
        headers = {h: request.headers.get(h, "") for h in signed_headers}
        payload = request.get_data()
        expected = tc3_signature(self.secret_key, method=request.method, path=request.path,
                                 query=request.query_string.decode(), headers=headers,
                                 signed_headers=signed_headers, payload=payload,
                                 timestamp=timestamp, date=date, service=service)
        if not hmac.compare_digest(expected, signature):
            raise ApiError("AuthFailure.SignatureFailure", "The provided credentials could not be validated. Please check your signature is correct.")
        if request.headers.get("X-TC-Action") != "SendSms":
            raise ApiError("InvalidAction", "The action requested was invalid.")
        if request.headers.get("X-TC-Version") != "2021-01-11":
            raise ApiError("NoSuchVersion", "The requested version does not exist.")
        if not request.headers.get("X-TC-Region"):
            raise ApiError("MissingParameter", "The request is missing a required parameter `Region`.")
        try:
            return json.loads(payload or b"{}")
        except ValueError:
            raise ApiError("FailedOperation.FailResolvePacket", "The request body is not valid JSON.") from None

    def _send_sms(self, params: dict) -> list[dict]:
        if params.get("SmsSdkAppId") != self.sdk_app_id:
            raise ApiError("InvalidParameterValue.SdkAppIdNotExist", "SdkAppId does not exist.")
        phones = params.get("PhoneNumberSet") or []
        if not phones or len(phones) > 200:
            raise ApiError("MissingParameter", "PhoneNumberSet must hold 1 to 200 numbers.")
        with self.lock:
            script = self.scripts.get(phones[0])
            step = script.popleft() if script and script[0].startswith(("error:", "hang:")) else None
        if step and step.startswith("error:"):
            code = step.removeprefix("error:")
            raise ApiError(code, MESSAGES.get(code, code))
        statuses = [self._one(phone, params) for phone in phones]
        if step:
            time.sleep(float(step.removeprefix("hang:")))
        return statuses

    def _one(self, phone: str, params: dict) -> dict:
        code = self._decide(phone, params)
        serial = f"{int(self.clock())}:{uuid.uuid4().int % 10**20}" if code == "Ok" else ""
        record = {"phone": phone, "template_id": params.get("TemplateId"), "sign": params.get("SignName"),
                  "params": params.get("TemplateParamSet") or [], "session": params.get("SessionContext"),
                  "code": code, "serial": serial}
        with self.lock:
            (self.accepted if code == "Ok" else self.rejected).append(record)
        return {"SerialNo": serial, "PhoneNumber": phone, "Fee": 1 if code == "Ok" else 0,
                "SessionContext": params.get("SessionContext") or "", "Code": code,
                "Message": MESSAGES.get(code, code), "IsoCode": "CN" if phone.startswith("+86") else "DEF"}

    def _decide(self, phone: str, params: dict) -> str:
        with self.lock:
            if self.scripts.get(phone):
                return self.scripts[phone].popleft()
        if not _E164.match(phone):
            return "InvalidParameterValue.IncorrectPhoneNumber"
        template = params.get("TemplateId")
        if template not in self.templates:
            return "FailedOperation.TemplateIncorrectOrUnapproved"
        if len(params.get("TemplateParamSet") or []) != self.templates[template]:
            return "FailedOperation.TemplateParamSetNotMatchApprovedTemplate"
        if phone.startswith("+86") and params.get("SignName") not in self.signs:
            return "FailedOperation.SignatureIncorrectOrUnapproved"
        now = self.clock()
        with self.lock:
            sent = self.history[phone]
            for window, count, limit_code in self.limits:
                if sum(1 for t in sent if t > now - window) >= count:
                    return limit_code
            sent.append(now)
        return "Ok"


def _json(body: dict) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), 200, content_type="application/json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5020)
    parser.add_argument("--no-limits", action="store_true", help="switch off the per-number frequency limits")
    args = parser.parse_args()
    stub = SmsStub(limits=() if args.no_limits else DEFAULT_LIMITS)
    run_simple(args.host, args.port, stub, threaded=True)


if __name__ == "__main__":
    main()
