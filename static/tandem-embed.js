/* Tandem form embed: optional. Progressive enhancement for <form data-tandem-form>: fills in
   the UTM parameters and the referrer, submits without leaving the page, and shows the
   messages in place. Without it the plain HTML form still works. */
(function () {
  "use strict";
  var UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];

  function field(form, name) { return form.querySelector('[name="' + name + '"]'); }

  function clearErrors(form) {
    Array.prototype.forEach.call(form.querySelectorAll(".tandem-error"), function (el) { el.remove(); });
  }

  function showError(form, name, text) {
    var anchor = field(form, name) || form.querySelector('[type="submit"]');
    var note = document.createElement("span");
    note.className = "tandem-error";
    note.setAttribute("role", "alert");
    note.textContent = text;
    anchor.insertAdjacentElement("afterend", note);
  }

  function enhance(form) {
    var params = new URLSearchParams(window.location.search);
    UTM.forEach(function (key) {
      var input = field(form, key);
      if (input && !input.value && params.get(key)) { input.value = params.get(key); }
    });
    var referrer = field(form, "referrer");
    if (referrer && !referrer.value) { referrer.value = document.referrer || ""; }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearErrors(form);
      var button = form.querySelector('[type="submit"]');
      if (button) { button.disabled = true; }
      fetch(form.action, {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        headers: { Accept: "application/json" },
        credentials: "omit"
      }).then(function (response) {
        return response.json();
      }).then(function (data) {
        if (button) { button.disabled = false; }
        if (data.ok) {
          if (data.redirect) { window.location.href = data.redirect; return; }
          var done = document.createElement("p");
          done.className = "tandem-thanks";
          done.textContent = data.message;
          form.replaceWith(done);
          return;
        }
        Object.keys(data.errors || {}).forEach(function (name) { showError(form, name, data.errors[name]); });
      }).catch(function () {
        if (button) { button.disabled = false; }
        showError(form, "__all__", "Sending failed. Please try again.");
      });
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-tandem-form]"), enhance);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
