"""The simulator's envelope: signatures, test vector, errors every call shares."""
from __future__ import annotations

import requests

from sandbox.wechatpay.protocol import sign, to_xml
from tests.sandbox_fixtures import API_KEY, APPID, MCH_ID, parse

VECTOR = {"appid": "wxd930ea5d5a258f4f", "mch_id": "10000100", "device_info": "1000",
          "body": "test", "nonce_str": "ibuaiVcKdpRxkhJA"}
VECTOR_KEY = "192006250b4c09247ec02edce69f6a2d"


def test_wechat_published_test_vector_md5_and_hmac() -> None:
    assert sign(VECTOR, VECTOR_KEY) == "9A0A8659F005D6984697E2CA0A9CF3B7"
    assert sign(VECTOR, VECTOR_KEY, "HMAC-SHA256") == (
        "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6")


def test_sign_skips_empty_fields_and_sign_itself() -> None:
    with_extras = {**VECTOR, "attach": "", "sign": "WHATEVER"}
    assert sign(with_extras, VECTOR_KEY) == "9A0A8659F005D6984697E2CA0A9CF3B7"


def _native(**extra):
    return {"body": "测试商品", "out_trade_no": "ORDER_0001", "total_fee": "101",
            "spbill_create_ip": "127.0.0.1", "notify_url": "http://127.0.0.1:1/notify",
            "trade_type": "NATIVE", "product_id": "P1", **extra}


def test_replies_are_signed_with_the_requests_sign_type(sandbox_server) -> None:
    for sign_type in ("MD5", "HMAC-SHA256"):
        reply = sandbox_server.call("pay/unifiedorder",
                                    _native(out_trade_no="SIGN_" + sign_type[:3]),
                                    sign_type=sign_type)
        assert reply["return_code"] == "SUCCESS" and reply["result_code"] == "SUCCESS"
        assert reply["appid"] == APPID and reply["mch_id"] == MCH_ID and reply["nonce_str"]
        assert reply["sign"] == sign(reply, API_KEY, sign_type)


def test_wrong_key_is_a_signature_error(sandbox_server) -> None:
    reply = sandbox_server.call("pay/unifiedorder", _native(), key="x" * 32)
    assert reply == {"return_code": "FAIL", "return_msg": "签名错误"}


def test_hmac_signature_checked_as_hmac(sandbox_server) -> None:
    fields = {"appid": APPID, "mch_id": MCH_ID, "nonce_str": "abc", "sign_type": "HMAC-SHA256",
              **_native()}
    fields["sign"] = sign(fields, API_KEY, "MD5")  # right key, wrong algorithm
    resp = requests.post(sandbox_server.url + "pay/unifiedorder", data=to_xml(fields).encode())
    assert parse(resp.text)["return_msg"] == "签名错误"


def test_envelope_errors(sandbox_server) -> None:
    url = sandbox_server.url + "pay/orderquery"
    assert parse(requests.get(url).text)["return_msg"] == "请使用post方法"
    assert parse(requests.post(url, data=b"").text)["return_msg"] == "post数据为空"
    assert parse(requests.post(url, data=b"<xml><a>1</xml>").text)["return_msg"] == "XML格式错误"
    assert parse(requests.post(url, data="<xml><a>é</a></xml>".encode("latin-1")).text)[
        "return_msg"] == "编码格式错误"
    missing = sandbox_server.call("pay/unifiedorder", {k: v for k, v in _native().items()
                                                       if k != "body"})
    assert missing["return_code"] == "FAIL" and missing["return_msg"] == "缺少参数 body"
    wrong_app = sandbox_server.call("pay/orderquery", {"appid": "wx0000000000000000",
                                                        "out_trade_no": "ORDER_0001"})
    assert wrong_app["return_msg"] == "appid和mch_id不匹配"


def test_unsigned_request_is_refused(sandbox_server) -> None:
    body = to_xml({"appid": APPID, "mch_id": MCH_ID, "nonce_str": "n", "out_trade_no": "ABCDEF"})
    reply = parse(requests.post(sandbox_server.url + "pay/orderquery", data=body.encode()).text)
    assert reply == {"return_code": "FAIL", "return_msg": "缺少参数 sign"}


def test_xml_with_a_dtd_is_refused(sandbox_server) -> None:
    body = ('<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            f"<xml><appid>{APPID}</appid><mch_id>{MCH_ID}</mch_id><a>&x;</a></xml>")
    reply = parse(requests.post(sandbox_server.url + "pay/orderquery", data=body.encode()).text)
    assert reply == {"return_code": "FAIL", "return_msg": "XML格式错误"}
