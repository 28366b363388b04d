/* Respondent page enhancements; the form works without this file. */
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
  document.addEventListener("submit", function (event) {
    var button = event.target.querySelector("button[data-once]");
    if (button) {
      if (button.dataset.sent) { event.preventDefault(); return; }
      button.dataset.sent = "1";
      window.setTimeout(function () { button.disabled = true; }, 0);
    }
  });
})();
(function () {
  "use strict";
  // Inside the website widget: tell the host page's widget that the survey is done (it stops asking).
  if (document.querySelector(".r-thanks") && window.parent !== window) {
    try { window.parent.postMessage({ cxloop: "done" }, "*"); } catch (e) { /* nothing to do */ }
  }
})();
