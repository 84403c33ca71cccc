// The payment page: the countdown to the order's expiry, and paying inside WeChat.
// Neither decides anything: the page learns that the order is paid only from our own
// status, which it polls (htmx), never from what WeChat's bridge says in the browser.
(function () {
  "use strict";

  function two(n) { return (n < 10 ? "0" : "") + n; }

  // Counts down from the seconds the server gave, so that a wrong clock on the phone does not matter.
  function startCountdown(el) {
    var deadline = Date.now() + parseInt(el.getAttribute("data-seconds-left"), 10) * 1000;
    function tick() {
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      el.textContent = left > 0 ? Math.floor(left / 60) + ":" + two(left % 60) : el.getAttribute("data-expired");
      if (left > 0) { setTimeout(tick, 1000); }
    }
    tick();
  }

  function pay(button) {
    var params = JSON.parse(button.getAttribute("data-jsapi"));
    var note = document.getElementById("jsapi-note");
    function invoke() {
      window.WeixinJSBridge.invoke("getBrandWCPayRequest", params, function (res) {
        // err_msg is no proof of payment: "ok" only means "wait for WeChat Pay's word".
        var ok = res && /:ok$/.test(res.err_msg || "");
        if (note) { note.textContent = button.getAttribute(ok ? "data-checking" : "data-retry"); }
      });
    }
    if (window.WeixinJSBridge && window.WeixinJSBridge.invoke) { invoke(); }
    else { document.addEventListener("WeixinJSBridgeReady", invoke, {once: true}); }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-jsapi]");
    if (button) { event.preventDefault(); pay(button); }
  });

  function ready() {
    var countdowns = document.querySelectorAll("[data-seconds-left]");
    for (var i = 0; i < countdowns.length; i++) { startCountdown(countdowns[i]); }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", ready); } else { ready(); }
})();
