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

  // The page's messages (a request sent, a password changed) are in a live region from the
  // start, which screen readers do not announce: a moment after the load each message's text
  // is written again (new text nodes, the same words), which they announce. Nothing moves.
  function announceMessages() {
    var messages = document.querySelectorAll("[data-messages] .alert");
    if (messages.length) {
      setTimeout(function () {
        messages.forEach(function (message) {
          var text = message.textContent;
          message.textContent = "";
          message.textContent = text;
        });
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
