/// The dashboard's only script, served from the binary at ``path`` (same origin, so the
/// pages' Content-Security-Policy allows it with `script-src 'self'` and no inline code).
///
/// Every ``interval`` seconds, while the tab is visible, it fetches the page it is on (same
/// URL, same cookie) and swaps each element marked `data-live` for the fresh one with the
/// same id; the action forms are outside those elements, so a half-filled form and its CSRF
/// token stay. A 401 (the session ended) stops the polling and says so. With JavaScript off
/// the page keeps a `<meta http-equiv="refresh">` inside `<noscript>` instead.
enum DashboardScript {
    static let path = "/ui/dashboard.js"
    /// Seconds between polls.
    static let interval = 5

    static let source = """
        "use strict";
        (function () {
          var live = document.querySelectorAll("[data-live]");
          if (live.length === 0) { return; }
          var status = document.getElementById("live-status");
          function say(text) { if (status) { status.textContent = text; } }
          var timer = setInterval(poll, \(interval * 1000));
          function poll() {
            if (document.hidden) { return; }
            fetch(location.pathname, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "text/html" } })
              .then(function (response) {
                if (response.status === 401) { clearInterval(timer); say("session ended: reload to log in"); return null; }
                return response.ok ? response.text() : null;
              })
              .then(function (text) {
                if (text === null) { return; }
                var fresh = new DOMParser().parseFromString(text, "text/html");
                live.forEach(function (element) {
                  var next = fresh.getElementById(element.id);
                  if (next) { element.replaceWith(document.importNode(next, true)); }
                });
                live = document.querySelectorAll("[data-live]");
                document.documentElement.setAttribute("data-refreshed", new Date().toISOString());
                say("updated " + new Date().toLocaleTimeString());
              })
              .catch(function () { say("controller unreachable; retrying"); });
          }
        })();
        """
}
