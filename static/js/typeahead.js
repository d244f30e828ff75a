// Suggestions while typing an organisation or a municipality in the project filters.
// The field works without this script: the server reads a name, a slug or an ISTAT code.
(function () {
  "use strict";
  var DELAY_MS = 150;

  function label(kind, item) {
    return kind === "municipality" ? item.name + " (" + item.province_code + ")" : item.name;
  }

  function attach(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var kind = input.dataset.typeaheadKind;
    var timer = null;
    var last = "";
    input.addEventListener("input", function () {
      var text = input.value.trim();
      window.clearTimeout(timer);
      if (text.length < 2 || text === last) {
        return;
      }
      timer = window.setTimeout(function () {
        last = text;
        var url = input.dataset.typeahead + "?page_size=10&q=" + encodeURIComponent(text);
        fetch(url, { headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : { results: [] }; })
          .then(function (data) {
            list.replaceChildren();
            (data.results || []).forEach(function (item) {
              var option = document.createElement("option");
              option.value = label(kind, item);
              list.appendChild(option);
            });
          })
          .catch(function () { /* suggestions are a convenience: typing still works */ });
      }, DELAY_MS);
    });
  }

  document.querySelectorAll("input[data-typeahead]").forEach(attach);
})();
