/* 朗读 (MIIT 2021 适老化): reads a proposal, a vote or a survey question aloud through the browser's own
   speech synthesis (Web Speech API; nothing is sent anywhere), in zh-CN on Chinese pages. The buttons
   stay hidden where the browser has no speech synthesis. */
(function () {
  "use strict";
  var synth = window.speechSynthesis;
  if (!synth || typeof window.SpeechSynthesisUtterance !== "function") return;
  var pageLang = (document.documentElement.lang || "zh-Hans").toLowerCase();
  var lang = pageLang.indexOf("zh") === 0 ? "zh-CN" : pageLang;
  var current = null;

  function voiceFor(wanted) {
    var voices = (synth.getVoices && synth.getVoices()) || [];
    var exact = voices.filter(function (v) { return (v.lang || "").replace("_", "-") === wanted; });
    if (exact.length) return exact[0];
    var prefix = wanted.slice(0, 2);
    var near = voices.filter(function (v) { return (v.lang || "").slice(0, 2) === prefix; });
    return near.length ? near[0] : null;
  }

  // The words of the elements named, as a person sees them: not the buttons, fields or hidden helpers.
  function textOf(ids) {
    return ids.split(/\s+/).map(function (id) {
      var element = document.getElementById(id);
      if (!element) return "";
      var copy = element.cloneNode(true);
      copy.querySelectorAll(".speak, [hidden], input, select, textarea, button, script").forEach(function (n) {
        n.remove();
      });
      return copy.textContent.replace(/\s+/g, " ").trim();
    }).filter(Boolean).join("。 ");
  }

  // A toggle button: aria-pressed says whether it is reading now (the CSS styles it by the same attribute).
  function show(button, speaking) {
    button.setAttribute("aria-pressed", speaking ? "true" : "false");
    button.querySelector(".speak-label").textContent = speaking ? button.dataset.labelStop : button.dataset.labelSpeak;
  }

  function stop() {
    synth.cancel();
    if (current) show(current, false);
    current = null;
  }

  document.querySelectorAll("button.speak[data-speak]").forEach(function (button) {
    button.setAttribute("aria-pressed", "false");
    button.hidden = false;
    button.addEventListener("click", function () {
      var again = current === button;
      stop();
      if (again) return;
      var utterance = new window.SpeechSynthesisUtterance(textOf(button.dataset.speak));
      utterance.lang = lang;
      var voice = voiceFor(lang);
      if (voice) utterance.voice = voice;
      utterance.rate = 0.9;  // a little slower than the default, for older listeners
      utterance.onend = utterance.onerror = function () {
        if (current === button) { show(button, false); current = null; }
      };
      current = button;
      show(button, true);
      synth.speak(utterance);
    });
  });
  window.addEventListener("pagehide", stop);
})();
