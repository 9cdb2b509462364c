// "Nuova Richiesta": the "Tipologia di abbonamento" select offers only the types the chosen
// certification's sector allows. Without this script every type the citizen's certifications
// allow is listed, and the service refuses one not allowed with a message next to the field.
(function () {
  "use strict";

  function init() {
    var certification = document.querySelector("[data-subscription-certification]");
    var type = document.querySelector("[data-subscription-type]");
    if (!certification || !type) {
      return;
    }
    function follow() {
      var chosen = certification.value;
      Array.prototype.forEach.call(type.options, function (option) {
        var allowedBy = option.getAttribute("data-certifications");
        var allowed = !chosen || allowedBy === null || allowedBy.split(" ").indexOf(chosen) !== -1;
        option.hidden = !allowed;
        option.disabled = !allowed;
      });
      var selected = type.options[type.selectedIndex];
      if (selected && selected.disabled) {
        type.value = "";
      }
    }
    certification.addEventListener("change", follow);
    follow();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
