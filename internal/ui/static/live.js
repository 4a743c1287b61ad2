// Live run pages: the element with data-live follows the run's
// server-sent events and replaces its content on every update; a log
// with data-follow appends the attempt's new output (escaped by the
// server) and, once the attempt has finished, reloads its task panel.
(function () {
  "use strict";
  function follow(el) {
    if (el.getAttribute("data-watching")) { return; }
    el.setAttribute("data-watching", "true");
    var es = new EventSource(el.getAttribute("data-live"));
    es.addEventListener("update", function (e) {
      el.innerHTML = e.data;
      if (window.htmx) { window.htmx.process(el); }
      el.setAttribute("data-updated", String(Date.now()));
    });
    es.addEventListener("done", function () {
      es.close();
      el.setAttribute("data-done", "true");
      // The run's action buttons are the viewer's own: they reload once,
      // when the run has finished (run.html, hx-trigger).
      document.body.dispatchEvent(new CustomEvent("run-done"));
    });
  }
  function followLog(el) {
    if (el.getAttribute("data-following")) { return; }
    el.setAttribute("data-following", "true");
    var es = new EventSource(el.getAttribute("data-follow"));
    var atEnd = function () { return el.scrollHeight - el.scrollTop - el.clientHeight < 40; };
    es.addEventListener("lines", function (e) {
      var stick = atEnd();
      el.insertAdjacentHTML("beforeend", e.data);
      if (stick) { el.scrollTop = el.scrollHeight; }
    });
    es.addEventListener("gap", function (e) {
      el.insertAdjacentText("beforeend", "\n[… " + e.data + " chunks not shown; reload to read them]\n");
    });
    es.addEventListener("done", function () {
      es.close();
      el.setAttribute("data-done", "true");
      var panel = el.getAttribute("data-panel");
      if (panel && window.htmx) { window.htmx.ajax("GET", panel, "#task-panel"); }
    });
    // A panel replaced by htmx takes its stream with it.
    var gone = new MutationObserver(function () {
      if (!document.body.contains(el)) { es.close(); gone.disconnect(); }
    });
    gone.observe(document.body, { childList: true, subtree: true });
  }
  function start(root) {
    root.querySelectorAll("[data-live]").forEach(follow);
    root.querySelectorAll("[data-follow]").forEach(followLog);
  }
  // A task panel loaded by htmx may follow a log.
  document.addEventListener("htmx:load", function (e) {
    var root = e.target.parentNode || document;
    root.querySelectorAll("[data-follow]").forEach(followLog);
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { start(document); });
  } else {
    start(document);
  }
})();
