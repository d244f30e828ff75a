// The project filters fold behind a "Filters (n)" button on a phone and stay open beside the results on a
// wider screen. Without this script the panel still opens and closes (it is a <details>).
(function () {
  "use strict";
  var wide = window.matchMedia("(min-width: 52.01rem)");

  function place(panel) {
    var hasErrors = panel.querySelector(".has-error") !== null;
    panel.classList.toggle("is-sidebar", wide.matches);
    panel.open = wide.matches || hasErrors;
  }

  document.querySelectorAll("[data-filter-panel]").forEach(function (panel) {
    place(panel);
    wide.addEventListener("change", function () { place(panel); });
  });
})();
