// "Nuova Certificazione": the "Scarica il modulo qui" link asks for the form of the sector
// chosen in the select. Without this script the link still works: it points at the sector
// preselected when the page was sent.
(function () {
  "use strict";

  function init() {
    var select = document.querySelector("[data-form-sector]");
    var link = document.querySelector("[data-form-download]");
    if (!select || !link) {
      return;
    }
    var base = link.getAttribute("data-base-href");
    select.addEventListener("change", function () {
      var href = select.value ? base + "?settore=" + encodeURIComponent(select.value) : base;
      link.setAttribute("href", href);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
