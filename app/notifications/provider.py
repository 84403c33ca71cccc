"""SMS providers behind one protocol: the development outbox and Tencent Cloud SMS.

`get_provider()` picks the one named by `SMS_PROVIDER`. Adapters take an
`SmsRequest` and answer `Delivered` (the provider accepted the message) or
`Rejected` (with the provider's code and whether trying again later can help).
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from flask import current_app

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class SmsRequest:
    phone: str  # E.164
    template_code: str
    params: tuple[str, ...]  # in the template's order
    sign_name: str | None  # required for numbers in mainland China
    text: str  # our rendering of the template, for the outbox and logs
    reference: str  # our message reference, echoed back by the provider


@dataclass(frozen=True)
class Delivered:
    provider_id: str


@dataclass(frozen=True)
class Rejected:
    code: str
    message: str
    retryable: bool
    # The provider may have sent the message anyway (a read timeout, its own timeout):
    # retrying risks a second SMS. Never set for answers that say it was not sent.
    ambiguous: bool = False


SendResult = Delivered | Rejected


class SmsProvider(Protocol):
    name: str

    def send(self, request: SmsRequest) -> SendResult:
        """Hand one templated message to the provider. Never raises for provider errors."""
        ...


_DELIVERED_KEY = "kj:sms-outbox:"
_DELIVERED_SECONDS = 24 * 3600


class OutboxProvider:
    """Development and test default: nothing leaves; the delivered text goes to the log.

    The SmsMessage row keeps one-time codes and invitation links masked once sent. In
    development (`keep_texts`, setting SMS_OUTBOX_SHOWS_CODES) the delivered text is
    also kept in Redis for a day under the message's provider id, for the outbox page:
    the page is where a developer's codes "arrive". Otherwise the log (INFO) is.
    """

    name = "outbox"

    def __init__(self, keep_texts: bool = False) -> None:
        self.keep_texts = keep_texts
        if not log.handlers and log.getEffectiveLevel() > logging.INFO:
            # Nobody configured logging (a plain `rq worker` or `flask run`): show the texts
            # on stderr anyway, since that is where a developer's codes arrive.
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s"))
            log.addHandler(handler)
            log.setLevel(logging.INFO)

    def send(self, request: SmsRequest) -> SendResult:
        provider_id = f"outbox-{uuid.uuid4().hex[:16]}"
        log.info("outbox delivered %s to %s: %s", provider_id, request.phone, request.text)
        if self.keep_texts:
            from redis.exceptions import RedisError

            from app.core.redis import redis_client

            try:
                redis_client().set(_DELIVERED_KEY + provider_id, request.text, ex=_DELIVERED_SECONDS)
            except (RedisError, OSError):  # the page shows it masked, the log still has it
                log.warning("outbox: could not keep the text of %s for the outbox page", provider_id)
        return Delivered(provider_id=provider_id)


def outbox_texts(provider_ids: list[str]) -> dict[str, str]:
    """What the outbox provider delivered for these provider ids (those it still keeps)."""
    from redis.exceptions import RedisError

    from app.core.redis import redis_client

    if not provider_ids:
        return {}
    try:
        found = redis_client().mget([_DELIVERED_KEY + i for i in provider_ids])
    except (RedisError, OSError):
        return {}
    return {i: text.decode() for i, text in zip(provider_ids, found) if text is not None}


# Throttling answers that clear after a while. Daily limits do not clear within our
# retry window, so they fail at once with the provider's reason.
_TENCENT_RETRYABLE = {
    "LimitExceeded.PhoneNumberThirtySecondLimit",
    "LimitExceeded.PhoneNumberOneHourLimit",
    "LimitExceeded.DeliveryFrequencyLimit",
    "RequestLimitExceeded",
    "ClientNetworkError",
    "ServerNetworkError",
    "InternalError",
    "InternalError.Timeout",
    "InternalError.OtherError",
    "InternalError.RequestTimeException",
    "InternalError.SendAndRecvFail",
    "FailedOperation.FailResolvePacket",
}


# Connection errors after the request left (no answer read): Tencent may have sent it.
_AFTER_SENDING = ("Read timed out", "Connection aborted", "RemoteDisconnected", "Connection reset")


def tencent_ambiguous(code: str, message: str) -> bool:
    """True when Tencent may have sent the message although we got no success answer."""
    if code == "InternalError.Timeout":
        return True
    return code == "ClientNetworkError" and any(s in message for s in _AFTER_SENDING)


def tencent_retryable(code: str) -> bool:
    return code in _TENCENT_RETRYABLE or code.startswith("RequestLimitExceeded.") or (
        code.startswith("InternalError.") and code != "InternalError.SigVerificationFail")


class TencentSmsProvider:
    """Tencent Cloud SMS (API 2021-01-11) through the official SDK, signed with TC3-HMAC-SHA256."""

    name = "tencent"

    def __init__(self, *, secret_id: str, secret_key: str, sdk_app_id: str, region: str,
                 endpoint: str | None = None, scheme: str = "https", timeout: int = 10) -> None:
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import sms_client

        http = HttpProfile(protocol=scheme, endpoint=endpoint or "sms.tencentcloudapi.com",
                           reqTimeout=timeout)
        profile = ClientProfile(signMethod="TC3-HMAC-SHA256", httpProfile=http)
        self._client = sms_client.SmsClient(credential.Credential(secret_id, secret_key), region, profile)
        self._sdk_app_id = sdk_app_id

    @classmethod
    def from_config(cls, config: Any) -> TencentSmsProvider:
        missing = [k for k in ("SMS_TENCENT_SECRET_ID", "SMS_TENCENT_SECRET_KEY", "SMS_TENCENT_SDK_APP_ID")
                   if not config.get(k)]
        if missing:
            raise RuntimeError("SMS_PROVIDER=tencent needs " + ", ".join(missing))
        return cls(secret_id=config["SMS_TENCENT_SECRET_ID"], secret_key=config["SMS_TENCENT_SECRET_KEY"],
                   sdk_app_id=config["SMS_TENCENT_SDK_APP_ID"], region=config["SMS_TENCENT_REGION"],
                   endpoint=config.get("SMS_TENCENT_ENDPOINT"),
                   scheme=config.get("SMS_TENCENT_SCHEME") or "https",
                   timeout=int(config.get("SMS_TIMEOUT_SECONDS") or 10))

    def send(self, request: SmsRequest) -> SendResult:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        from tencentcloud.sms.v20210111 import models

        req = models.SendSmsRequest()
        req.SmsSdkAppId = self._sdk_app_id
        req.PhoneNumberSet = [request.phone]
        req.TemplateId = request.template_code
        req.TemplateParamSet = list(request.params)
        req.SessionContext = request.reference
        if request.phone.startswith("+86") and request.sign_name:
            req.SignName = request.sign_name
        try:
            resp = self._client.SendSms(req)
        except TencentCloudSDKException as e:
            code = e.get_code() or "ClientNetworkError"
            message = e.get_message()
            if isinstance(message, bytes):
                message = message.decode("utf-8", "replace")
            message = str(message)
            return Rejected(code, message[:500], tencent_retryable(code), tencent_ambiguous(code, message))
        statuses = resp.SendStatusSet or []
        if not statuses:
            return Rejected("EmptyResponse", "The provider answered without a send status.", True)
        status = statuses[0]
        if status.Code == "Ok":
            return Delivered(provider_id=status.SerialNo)
        return Rejected(status.Code, status.Message or status.Code, tencent_retryable(status.Code),
                        tencent_ambiguous(status.Code, status.Message or ""))


_FACTORIES = {
    "outbox": lambda config: OutboxProvider(keep_texts=bool(config.get("SMS_OUTBOX_SHOWS_CODES"))),
    "tencent": TencentSmsProvider.from_config,
}


def get_provider() -> SmsProvider:
    """The configured provider, built once per app."""
    app = current_app._get_current_object()
    provider = app.extensions.get("kj_sms_provider")
    if provider is None:
        name = app.config["SMS_PROVIDER"]
        if name not in _FACTORIES:
            raise RuntimeError(f"SMS_PROVIDER={name!r} is not one of {sorted(_FACTORIES)}")
        provider = _FACTORIES[name](app.config)
        app.extensions["kj_sms_provider"] = provider
    return provider
