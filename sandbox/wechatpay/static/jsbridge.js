/* A stand-in for WeChat's WeixinJSBridge, served by the WeChat Pay sandbox.
 *
 * The portal includes this script only when it talks to the sandbox, so that
 * JSAPI payment works in an ordinary browser and in browser tests. Like the real
 * bridge, the callback's err_msg is not proof of payment: the merchant's server
 * learns that from the notify or an order query.
 *
 * Browser tests may set window.WeixinJSBridgeSandboxAuto to 'ok', 'cancel' or
 * 'fail' to skip the dialog.
 */
(function () {
  'use strict';
  if (window.WeixinJSBridge && !window.WeixinJSBridge.__sandbox) { return; }
  var script = document.currentScript;
  var base = script ? script.src.replace(/\/_sandbox\/jsbridge\.js.*$/, '') : '';

  function post(path, payload) {
    // text/plain keeps this a simple cross-origin request (no CORS preflight).
    return fetch(base + path, {
      method: 'POST', headers: {'Content-Type': 'text/plain;charset=UTF-8'},
      body: JSON.stringify(payload)
    }).then(function (r) { return r.json(); });
  }

  // The cashier stands in for WeChat's own, which is Chinese; it speaks English only
  // on a page that declares itself English (<html lang="en">), as the portal's does.
  var TEXT = {
    zh: {title: '微信支付', pay: '支付', fail: '支付失败', cancel: '取消'},
    en: {title: 'WeChat Pay', pay: 'Pay', fail: 'Fail', cancel: 'Cancel'}
  };

  function pageText() {
    var lang = (document.documentElement.getAttribute('lang') || '').toLowerCase();
    return lang === 'en' || lang.indexOf('en-') === 0 ? TEXT.en : TEXT.zh;
  }

  function dialog(info, done) {
    var text = pageText();
    var shade = document.createElement('div');
    shade.setAttribute('data-sandbox-cashier', '');
    shade.style.cssText = 'position:fixed;inset:0;background:rgba(0,0,0,.5);z-index:2147483647;' +
      'display:flex;align-items:flex-end;justify-content:center;font-family:sans-serif';
    var box = document.createElement('div');
    box.setAttribute('role', 'dialog');
    box.setAttribute('aria-label', text.title);
    box.style.cssText = 'background:#fff;width:100%;max-width:420px;border-radius:10px 10px 0 0;' +
      'padding:16px;text-align:center';
    function line(text, css) {
      var p = document.createElement('p'); p.textContent = text; p.style.cssText = css || '';
      box.appendChild(p);
    }
    line(info.merchant, 'color:#888;margin:4px');
    line(info.body, 'margin:4px');
    line('¥' + info.amount, 'font-size:32px;font-weight:600;margin:12px');
    function button(label, outcome, primary) {
      var b = document.createElement('button');
      b.type = 'button'; b.textContent = label;
      b.style.cssText = 'display:block;width:100%;margin:8px 0;padding:10px;font-size:16px;' +
        'border-radius:6px;border:1px solid #ccc;' + (primary ? 'background:#07c160;color:#fff;' : '');
      b.addEventListener('click', function () { shade.remove(); done(outcome); });
      box.appendChild(b);
    }
    button(text.pay, 'ok', true);
    button(text.fail, 'fail', false);
    button(text.cancel, 'cancel', false);
    shade.appendChild(box);
    document.body.appendChild(shade);
  }

  function payRequest(params, cb) {
    var finish = function (msg, extra) {
      var res = {err_msg: 'get_brand_wcpay_request:' + msg};
      if (extra) { res.err_desc = extra; }
      if (typeof cb === 'function') { cb(res); }
    };
    post('/_sandbox/jsapi/verify', params).then(function (info) {
      if (!info.ok) { return finish('fail', info.error); }
      if (!info.payable) { return finish('fail', 'order cannot be paid'); }
      var decide = function (outcome) {
        if (outcome === 'cancel') { return finish('cancel'); }
        post('/_sandbox/jsapi/pay', {params: params, outcome: outcome}).then(function (res) {
          if (typeof cb === 'function') { cb(res); }
        }, function () { finish('fail', 'sandbox unreachable'); });
      };
      var auto = window.WeixinJSBridgeSandboxAuto;
      if (auto === 'ok' || auto === 'fail' || auto === 'cancel') { decide(auto); }
      else { dialog(info, decide); }
    }, function () { finish('fail', 'sandbox unreachable'); });
  }

  window.WeixinJSBridge = {
    __sandbox: true,
    invoke: function (name, params, cb) {
      if (name === 'getBrandWCPayRequest') { return payRequest(params || {}, cb); }
      if (typeof cb === 'function') { cb({err_msg: name + ':fail', err_desc: 'not simulated'}); }
    },
    on: function () {}, call: function () {}
  };

  function ready() { document.dispatchEvent(new Event('WeixinJSBridgeReady')); }
  // Fire after the page's own scripts had the chance to add their listener.
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { setTimeout(ready, 0); });
  } else { setTimeout(ready, 0); }
})();
