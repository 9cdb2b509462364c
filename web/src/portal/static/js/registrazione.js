// Countdown of the registration session (anagrafica page). The server writes the expiry in
// data attributes; the page works without this script too (the server refuses an expired
// session with its own message).
(function () {
  "use strict";

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  function format(seconds) {
    return pad(Math.floor(seconds / 60)) + ":" + pad(seconds % 60);
  }

  function start(box) {
    var value = box.querySelector("[data-countdown-value]");
    var announce = document.querySelector("[data-countdown-announce]");
    var expired = document.querySelector("[data-countdown-expired]");
    var leftMs = parseInt(box.getAttribute("data-expires-in-ms"), 10);
    // Time left as computed by the server when it sent the page: immune to a wrong clock on
    // the citizen's device. The absolute expiry is the fallback.
    var deadline = isNaN(leftMs)
      ? Date.parse(box.getAttribute("data-expires-at"))
      : Date.now() + leftMs;
    if (isNaN(deadline)) {
      return;
    }
    var warned = false;
    var timer;

    function expire() {
      window.clearInterval(timer);
      box.hidden = true;
      if (expired) {
        expired.hidden = false;
      }
      document.querySelectorAll("[data-disable-on-expiry]").forEach(function (element) {
        element.disabled = true;
      });
    }

    function tick() {
      // Rounded up: "00:00" only once the session has really expired.
      var left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      value.textContent = format(left);
      if (!warned && left <= 60 && left > 0 && announce) {
        warned = true;
        announce.textContent = "Attenzione: resta meno di un minuto per completare la registrazione.";
      }
      if (left <= 0) {
        expire();
      }
    }

    tick();
    timer = window.setInterval(tick, 1000);
  }

  function init() {
    document.querySelectorAll("[data-countdown]").forEach(start);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
