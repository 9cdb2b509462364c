// "Dati per la fattura": only the fields of the choice ("Persona fisica" or "Società o ente")
// are shown. Without this script both groups are visible, each under its own legend, and the
// portal sends billing only those of the choice.
(function () {
  "use strict";

  function init() {
    var form = document.querySelector("[data-invoice-form]");
    if (!form) {
      return;
    }
    var choices = form.querySelectorAll("input[name='kind']");
    function follow() {
      var chosen = form.querySelector("input[name='kind']:checked");
      var kind = chosen ? chosen.value : "person";
      form.querySelectorAll("[data-buyer-kind]").forEach(function (group) {
        // A hidden group's fields are neither read aloud as required nor sent.
        group.hidden = group.getAttribute("data-buyer-kind") !== kind;
        group.disabled = group.hidden;
      });
    }
    Array.prototype.forEach.call(choices, function (choice) {
      choice.addEventListener("change", follow);
    });
    follow();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
