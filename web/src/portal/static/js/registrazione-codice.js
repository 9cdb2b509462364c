// "Invia di nuovo il codice" on the anagrafica page: disabled while identity would refuse a new
// code, with the wait counted down next to it; enabled (and announced) when the wait is over.
// The server gives the wait (data-resend-in-s on load, data-resend-restart in the answer to a
// resend). Without this script the button stays enabled and the answer says how long to wait.
(function () {
  "use strict";

  var box = document.querySelector("[data-resend]");
  if (!box) {
    return;
  }
  var button = box.querySelector("[data-resend-button]");
  var wait = box.querySelector("[data-resend-wait]");
  var left = box.querySelector("[data-resend-left]");
  var announce = document.querySelector("[data-resend-announce]");
  var expired = document.querySelector("[data-countdown-expired]");
  var timer = null;

  // As identity words it ("tra 42 secondi").
  function words(seconds) {
    return seconds === 1 ? "1 secondo" : seconds + " secondi";
  }

  function sessionOver() {
    return expired && !expired.hidden;
  }

  function run(seconds) {
    window.clearInterval(timer);
    if (!(seconds > 0) || sessionOver()) {
      return;
    }
    var deadline = Date.now() + seconds * 1000;
    button.disabled = true;
    wait.hidden = false;

    function tick() {
      var remaining = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      left.textContent = words(remaining);
      if (remaining > 0) {
        return;
      }
      window.clearInterval(timer);
      wait.hidden = true;
      if (!sessionOver()) {
        button.disabled = false;
        if (announce) {
          announce.textContent = "Ora puoi chiedere un nuovo codice OTP.";
        }
      }
    }

    tick();
    timer = window.setInterval(tick, 1000);
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target.querySelector("[data-resend-used-up]")) {
      // No more codes for this registration: the answer says so, the button stays off.
      window.clearInterval(timer);
      wait.hidden = true;
      button.disabled = true;
      return;
    }
    var restart = event.target.querySelector("[data-resend-restart]");
    if (restart) {
      if (announce) {
        announce.textContent = "";
      }
      run(parseInt(restart.getAttribute("data-resend-restart"), 10));
    }
  });

  run(parseInt(box.getAttribute("data-resend-in-s"), 10));
})();
