// Behaviour shared by every page of the portal. Loaded as a file: the CSP forbids inline scripts.
(function () {
  "use strict";

  // After a failed submission the error summary takes the focus, so that screen readers
  // announce it and keyboard users start from the list of errors (each links to its field).
  function focusErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }
  }

  // A link of the error summary moves the focus into the field, not only the scroll position.
  function linkSummaryToFields() {
    document.querySelectorAll("[data-error-summary] a[href^='#']").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var field = document.getElementById(link.getAttribute("href").slice(1));
        if (field) {
          event.preventDefault();
          field.focus();
          field.scrollIntoView({ block: "center" });
        }
      });
    });
  }

  // The page's messages (a request sent, a password changed) are on it when it loads, and
  // screen readers do not announce what a live region holds from the start: their text is
  // written into the empty live region #annunci a moment after the load.
  function announceMessages() {
    var region = document.getElementById("annunci");
    var texts = [];
    document.querySelectorAll("[data-messages] .alert").forEach(function (message) {
      texts.push(message.textContent.trim());
    });
    if (region && texts.length) {
      setTimeout(function () {
        region.textContent = texts.join(" ");
      }, 300);
    }
  }

  // htmx fragments may bring a new summary (e.g. a failed resend): focus it too.
  document.addEventListener("htmx:afterSwap", focusErrorSummary);

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      focusErrorSummary();
      linkSummaryToFields();
      announceMessages();
    });
  } else {
    focusErrorSummary();
    linkSummaryToFields();
    announceMessages();
  }
})();
