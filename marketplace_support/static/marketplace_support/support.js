// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", function () {
  // After a refused form, move focus to the summary of what to fix (screen readers read it).
  var focus = document.querySelector("[data-ms-focus]");
  if (focus) { focus.focus(); }
  // A second click on a sending form does nothing (the server also ignores a resend).
  document.querySelectorAll("form[data-ms-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.msSent) { event.preventDefault(); return; }
      form.dataset.msSent = "1";
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.setAttribute("aria-disabled", "true"); });
    });
  });
});
