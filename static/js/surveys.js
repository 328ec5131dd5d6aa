/* Surveys: save the draft as the resident types, so a dropped connection loses nothing.
   The page works without this file: its "保存草稿" and "提交答卷" buttons post the same form. */
(function () {
  "use strict";
  var form = document.getElementById("survey-form");
  if (!form || !form.dataset.autosaveUrl || !window.fetch || !window.FormData) { return; }
  var url = form.dataset.autosaveUrl;
  var status = document.getElementById("autosave-status");
  var tokenField = form.querySelector("input[name=csrf_token]");
  var storageKey = "survey-draft-" + form.dataset.survey;
  var timer = null;
  var saving = false;
  var again = false;

  function say(text, bad) {
    if (!status) { return; }
    status.textContent = text;
    status.classList.toggle("bad", !!bad);
  }

  function entries() {
    var data = new FormData(form);
    data.delete("action");
    data.delete("csrf_token");
    var list = [];
    data.forEach(function (value, name) { list.push([name, String(value)]); });
    return list;
  }

  function keepLocally() {
    try {
      window.localStorage.setItem(storageKey, JSON.stringify({ at: new Date().toISOString(), entries: entries() }));
    } catch (e) { /* private mode: the page itself still holds what was typed */ }
  }

  function forgetLocal() {
    try { window.localStorage.removeItem(storageKey); } catch (e) { /* nothing kept */ }
  }

  // Messages put by the autosave come and go with it; the server's own (a refused submission) stay.
  var shownByScript = {};

  function showErrors(fields) {
    form.querySelectorAll("fieldset.question").forEach(function (fieldset) {
      var name = "q" + fieldset.id.replace("question-", "");
      var message = fields && fields[name];
      var box = document.getElementById(name + "-error");
      if (!box || (!message && !shownByScript[name])) { return; }
      fieldset.classList.toggle("has-error", !!message);
      box.textContent = message || "";
      box.hidden = !message;
      shownByScript[name] = !!message;
    });
  }

  function save() {
    if (saving) { again = true; return; }
    saving = true;
    again = false;
    keepLocally();
    say(form.dataset.msgSaving, false);
    var body = new URLSearchParams();
    entries().forEach(function (pair) { body.append(pair[0], pair[1]); });
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": tokenField ? tokenField.value : "", "Accept": "application/json" },
      body: body
    }).then(function (response) {
      if ((response.headers.get("Content-Type") || "").indexOf("json") === -1) {
        // Not our JSON (too many saves, a proxy's page): keep the copy here and try again shortly.
        window.setTimeout(save, 20000);
        return { ok: false, data: { message: form.dataset.msgRetry } };
      }
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (result.ok) {
        forgetLocal();
        showErrors({});
        var at = new Date(result.data.saved_at);
        say(form.dataset.msgSaved + " " + at.toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit" }), false);
      } else {
        showErrors(result.data.fields || {});
        say(result.data.message || "", true);
      }
    }).catch(function () {
      say(form.dataset.msgOffline, true);
    }).then(function () {
      saving = false;
      if (again) { schedule(); }
    });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(save, 1200);
  }

  function restore() {
    var kept;
    try { kept = JSON.parse(window.localStorage.getItem(storageKey) || "null"); } catch (e) { kept = null; }
    if (!kept || !kept.entries) { return; }
    if (form.dataset.savedAt && new Date(form.dataset.savedAt) >= new Date(kept.at)) { forgetLocal(); return; }
    var values = {};
    kept.entries.forEach(function (pair) { (values[pair[0]] = values[pair[0]] || []).push(pair[1]); });
    form.querySelectorAll("input[name], textarea[name], select[name]").forEach(function (field) {
      if (field.name === "csrf_token" || field.name === "action") { return; }
      var given = values[field.name] || [];
      if (field.type === "radio" || field.type === "checkbox") {
        field.checked = given.indexOf(field.value) !== -1;
      } else {
        field.value = given.length ? given[0] : "";
      }
    });
    say(form.dataset.msgRestored, false);
    save();
  }

  form.addEventListener("input", function (event) {
    if (event.target && event.target.classList.contains("other-text") && event.target.value) {
      var tick = event.target.parentNode.querySelector("input[value=other]");
      if (tick) { tick.checked = true; }
    }
    keepLocally();
    schedule();
  });
  form.addEventListener("change", schedule);
  form.addEventListener("submit", function () { window.clearTimeout(timer); });
  window.addEventListener("online", save);
  restore();
}());
