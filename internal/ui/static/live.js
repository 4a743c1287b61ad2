// Live run pages: the element with data-live follows the run's
// server-sent events and replaces its content on every update.
(function () {
  "use strict";
  function follow(el) {
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
  function start() {
    document.querySelectorAll("[data-live]").forEach(follow);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
