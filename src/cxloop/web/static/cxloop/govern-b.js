/* KPI form: show only the chosen survey's questions (every question stays valid to post; the server checks). */
(function () {
  "use strict";
  function filter(form) {
    var survey = form.querySelector("select[name=survey]");
    var question = form.querySelector("select[name=question]");
    if (!survey || !question) { return; }
    var chosen = survey.value;
    question.querySelectorAll("option[data-survey]").forEach(function (o) {
      o.hidden = o.disabled = Boolean(chosen) && o.getAttribute("data-survey") !== chosen;
    });
    question.querySelectorAll("optgroup").forEach(function (g) {
      g.hidden = !g.querySelector("option:not([hidden])");
    });
    var selected = question.options[question.selectedIndex];
    if (selected && selected.hidden) { question.value = ""; }
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.gvb-kpi-form").forEach(filter);
  });
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.matches && el.matches("form.gvb-kpi-form select[name=survey]")) { filter(el.form); }
  });
})();
