// The export page's "select all" box (django-import-export's template calls its handler from an inline
// attribute, which the Content-Security-Policy refuses): the same handler, attached from here.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("input.select-toggle").forEach(function (box) {
    box.addEventListener("change", onSelectToggleChange);
  });
});
