"use strict";
// What the admin's scripts add to a page without a name or against ARIA's rules, mended as it appears:
// - an autocomplete box's (select2) search input gets the name of the field it searches, and its
//   "remove all" cross, which it puts among the chosen items, is put in a list item (a list holds
//   list items only);
// - the search icons of a two-box selector (the countries) say what they say as images: ARIA allows
//   no aria-label on a plain span.
{
    const fieldName = (search) => {
        const container = search.closest(".select2-container");
        const select = container && container.previousElementSibling;
        const label = select && select.tagName === "SELECT" && select.labels && select.labels[0];
        return label ? label.textContent.replace(/:\s*$/, "").trim() : "";
    };

    const mend = () => {
        for (const icon of document.querySelectorAll(".search-label-icon[aria-label]:not([role])")) {
            icon.setAttribute("role", "img");
        }
        for (const cross of document.querySelectorAll(".select2-selection__rendered > .select2-selection__clear")) {
            // Inside a list item of its own: select2 empties the list to draw it again, cross included.
            const item = document.createElement("li");
            item.className = "select2-clear-item";
            cross.before(item);
            item.append(cross);
        }
        for (const search of document.querySelectorAll(".select2-search__field:not([aria-label])")) {
            const name = fieldName(search);
            if (name) {
                search.setAttribute("aria-label", name);
            }
        }
    };

    new MutationObserver(mend).observe(document.body, {childList: true, subtree: true});
    mend();
}
