// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", function () {
  // A refused form is shown at the address it was sent to (".../reply"): the address bar
  // shows the ticket's own again, so a reload or a shared link opens the ticket.
  var address = document.querySelector("[data-ms-address]");
  if (address && window.history && history.replaceState) {
    history.replaceState(null, "", address.dataset.msAddress + window.location.hash);
  }

  // On a phone the conversation comes first; details and actions fold (open on a wider
  // screen, and without JavaScript).
  if (window.matchMedia && window.matchMedia("(max-width: 55.99rem)").matches) {
    document.querySelectorAll("details[data-ms-fold-on-phone]").forEach(function (d) {
      if (!d.querySelector("[aria-invalid=true], .ms-error-summary")) { d.open = false; }
    });
  }

  // The staff composer: waiting or resolving follow a reply only, not an internal note.
  document.querySelectorAll("form[data-ms-composer]").forEach(function (form) {
    function update() {
      var note = form.querySelector("input[name=kind][value=note]:checked");
      form.querySelectorAll("[data-ms-reply-only]").forEach(function (b) { b.hidden = !!note; });
    }
    form.querySelectorAll("input[name=kind]").forEach(function (r) { r.addEventListener("change", update); });
    update();
  });

  // Times read as "3 hours ago" or "in 2 days" in the page's language, with the exact time
  // (the page's own text) on hover, brought up to date every minute. A time further than a
  // week away, or marked data-ms-exact ("Overdue since ..."), stays as it is.
  var ms = document.querySelector(".ms[data-ms-lang]");
  var tell = function () {};
  if (ms && window.Intl && Intl.RelativeTimeFormat) {
    var relative = new Intl.RelativeTimeFormat(ms.dataset.msLang, {numeric: "auto"});
    var steps = [["minute", 60], ["hour", 3600], ["day", 86400]];
    tell = function () {
      document.querySelectorAll(".ms time[datetime]:not([data-ms-exact])").forEach(function (time) {
        if (!time.title) { time.title = time.textContent; }
        var seconds = (Date.parse(time.getAttribute("datetime")) - Date.now()) / 1000;
        if (isNaN(seconds) || Math.abs(seconds) >= 7 * 86400) { return; }
        var unit = "second", size = 1;
        steps.forEach(function (step) { if (Math.abs(seconds) >= step[1]) { unit = step[0]; size = step[1]; } });
        var count = Math.abs(seconds) < 45 ? 0 : Math.round(seconds / size);
        time.textContent = relative.format(count, unit);
      });
    };
    tell();
    window.setInterval(tell, 60000);
  }

  // A folded part of a long conversation (its earlier entries, a customer's History) that is
  // not in the page: its link asks for the page with it, and the part takes the place of the
  // link, open, the focus on it. If that fails, the link is followed.
  document.querySelectorAll("a[data-ms-unfold]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      if (link.getAttribute("aria-busy")) { return; }  // asked already
      var part = link.hash.slice(1);
      var here = document.getElementById(part);
      link.setAttribute("aria-busy", "true");
      fetch(link.href, {credentials: "same-origin"}).then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.text();
      }).then(function (html) {
        var found = new DOMParser().parseFromString(html, "text/html").getElementById(part);
        if (!here || !found || !found.querySelector("summary")) { throw new Error("not unfolded"); }
        here.replaceWith(document.adoptNode(found));
        tell();
        found.querySelector("summary").focus();
      }).catch(function () { window.location.href = link.href; });
    });
  });

  // The new-ticket form shows the questions of the chosen problem area in place (without
  // JavaScript, a button sends the form back with them); the others are disabled, so they
  // are neither checked nor sent.
  document.querySelectorAll("select[data-ms-area-select]").forEach(function (select) {
    var form = select.form;
    var button = form.querySelector("[data-ms-area-button]");
    if (button) { button.hidden = true; }
    select.addEventListener("change", function () {
      var own = form.querySelector("fieldset[data-ms-area='" + CSS.escape(select.value) + "']");
      form.querySelectorAll("fieldset[data-ms-area], fieldset[data-ms-area-default]").forEach(function (set) {
        var shown = own ? set === own : set.hasAttribute("data-ms-area-default");
        set.hidden = !shown;
        set.disabled = !shown;
      });
    });
  });

  // A form's token lives for a while only (Flask-WTF's WTF_CSRF_TIME_LIMIT): while the page
  // stays open, every form's token is renewed halfway through its life, and at once when the
  // page comes back after longer (a laptop woken, the back button), so "Send" still works
  // and nothing typed is lost (blueprints/form_tokens.py).
  var renew = document.querySelector(".ms [data-ms-renew]");
  if (renew && window.fetch) {
    var asked = renew.getAttribute("data-ms-renew").split(" ");
    var every = Number(asked[1]) * 1000, renewed = Date.now();
    var renewTokens = function () {
      if (Date.now() - renewed < every) { return; }
      fetch(asked[0], { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (fresh) {
          if (!fresh || !fresh.csrf_token) { return; }
          renewed = Date.now();
          document.querySelectorAll(".ms input[name=csrf_token]").forEach(function (input) {
            input.value = fresh.csrf_token;
          });
        })
        .catch(function () {});  // offline: the next turn asks again
    };
    setInterval(renewTokens, Math.max(1000, Math.min(every / 4, 60000)));
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) { renewTokens(); }
    });
    window.addEventListener("pageshow", renewTokens);
  }

  // After a refused form, move focus to the summary of what to fix (screen readers read it).
  var focus = document.querySelector("[data-ms-focus]");
  if (focus) { focus.focus(); }

  // Fields a form needs are checked before sending (the server checks again): an empty one
  // gets the same message as the server gives, next to it, and the focus.
  var root = document.querySelector(".ms[data-ms-required]");
  document.querySelectorAll("form[data-ms-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var first = null;
      if (event.submitter && event.submitter.hasAttribute("formnovalidate")) { return; }
      form.querySelectorAll("[required]").forEach(function (field) {
        if (field.matches(":disabled")) { return; }
        var empty = field.type === "radio"
          ? !form.querySelector("input[type=radio][name='" + field.name + "']:checked")
          : !String(field.value || "").trim();
        var holder = field.closest(".ms-field") || field.parentNode;
        var note = holder.querySelector("[data-ms-required-note]");
        if (empty && root) {
          if (!note) {
            note = document.createElement("p");
            note.className = "ms-field-error";
            note.setAttribute("data-ms-required-note", "");
            note.id = (field.id || field.name) + "-required";
            field.parentNode.insertBefore(note, field);
          }
          note.textContent = root.dataset.msRequired;
          field.setAttribute("aria-invalid", "true");
          var described = (field.getAttribute("aria-describedby") || "").split(" ");
          if (described.indexOf(note.id) < 0) {
            field.setAttribute("aria-describedby", described.concat([note.id]).join(" ").trim());
          }
          first = first || field;
        } else if (note) {
          note.remove();
        }
      });
      if (first) { event.preventDefault(); event.stopImmediatePropagation(); first.focus(); }
    }, true);
  });

  // A link of an error summary puts the focus in its field (a group of choices: its first
  // choice), not only the view: a keyboard or screen reader user goes on from there.
  document.querySelectorAll(".ms-error-summary a[href^='#']").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (!target) { return; }
      var field = target.matches("input, select, textarea, button")
        ? target : target.querySelector("input, select, textarea, button");
      if (!field) { return; }
      event.preventDefault();
      field.scrollIntoView({block: "center"});
      field.focus();
    });
  });

  // A second click on a sending form does nothing (the server also ignores a resend).
  document.querySelectorAll("form[data-ms-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) { return; }
      if (form.dataset.msSent) { event.preventDefault(); return; }
      form.dataset.msSent = "1";
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.setAttribute("aria-disabled", "true"); });
    });
  });

  // File inputs: files dropped on the field are chosen too, and the limits are checked before
  // sending, so nobody waits for a large upload the server will refuse (it checks again).
  document.querySelectorAll("[data-ms-dropzone]").forEach(function (zone) {
    var input = zone.querySelector("input[type=file]");
    var problem = zone.querySelector("[data-ms-file-problem]");
    var maxFiles = parseInt(zone.dataset.maxFiles, 10);
    var maxSize = parseInt(zone.dataset.maxSize, 10);

    function check() {
      var message = "";
      if (input.files.length > maxFiles) { message = zone.dataset.tooMany; }
      Array.prototype.forEach.call(input.files, function (file) {
        if (file.size > maxSize) { message = zone.dataset.tooBig; }
      });
      problem.textContent = message;
      problem.hidden = !message;
      input.setCustomValidity(message);
      return !message;
    }

    input.addEventListener("change", check);
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        event.preventDefault();
        zone.classList.add("ms-dropzone--over");
      });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function () { zone.classList.remove("ms-dropzone--over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        check();
      }
    });
    input.form.addEventListener("submit", function (event) {
      if (!check()) { event.preventDefault(); input.focus(); }
    }, true);
  });
});
