// netdiscover review pages: the few conveniences plain HTML lacks. No page data is read here.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-select-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      var form = box.closest("form");
      form.querySelectorAll('input[type="checkbox"][name="ids"]').forEach(function (b) {
        b.checked = box.checked;
      });
    });
  });
  document.querySelectorAll("form#bulk").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (!form.querySelector('input[name="ids"]:checked')) {
        ev.preventDefault();
        window.alert("Select at least one device first.");
      }
    });
  });
});
