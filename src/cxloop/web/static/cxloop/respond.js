/* Respondent page enhancements; the form works without this file. */
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.querySelector("button[data-once]")) { return; }
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    // After this tick the form data (with the pressed button's name and value) is already taken.
    window.setTimeout(function () {
      var buttons = form.querySelectorAll("button[data-once]");
      for (var i = 0; i < buttons.length; i++) { buttons[i].disabled = true; }
    }, 0);
  });
  // Back in the browser's history may show this page from its cache with the buttons disabled.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    var forms = document.querySelectorAll("form[data-sent]");
    for (var i = 0; i < forms.length; i++) {
      delete forms[i].dataset.sent;
      var buttons = forms[i].querySelectorAll("button[data-once]");
      for (var j = 0; j < buttons.length; j++) { buttons[j].disabled = false; }
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
(function () {
  "use strict";
  /*
   * Display logic on the page itself: a question whose condition depends on an answer above it on the
   * same page appears and disappears as the respondent answers. The server sends each such condition
   * with everything else already decided (earlier pages, embedded fields: true/false constants) in
   * <script type="application/json" id="r-logic">; the comparisons here follow
   * cxloop/core/survey_logic.py (_compare_question) and the answers are read the way
   * cxloop/core/survey_values.py normalises them. A hidden question's inputs are disabled, so they are
   * not sent; without this script every such question is shown, with a note (.r-cond), and the server
   * ignores the answers the logic hides.
   */
  var source = document.getElementById("r-logic");
  if (!source) { return; }
  var logic;
  try { logic = JSON.parse(source.textContent); } catch (e) { return; }
  var form = document.querySelector("form.r-form");
  if (!form || !logic || !logic.live) { return; }
  var live = logic.live;
  var inputs = logic.inputs || {};

  // Python's str.casefold(), near enough (ß -> ss, final sigma, ligatures).
  function fold(text) { return text.toUpperCase().toLowerCase(); }

  function controls(key) {
    var out = [];
    var all = form.elements;
    for (var i = 0; i < all.length; i++) {
      var name = all[i].name || "";
      if (name === key || name.indexOf(key + ".") === 0) { out.push(all[i]); }
    }
    return out;
  }

  function cleanText(raw, multiline) {
    var text = raw.normalize("NFC").replace(/\r\n?/g, "\n").replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "");
    if (!multiline) { text = text.split("\n").join(" "); }
    return text.trim();
  }

  // The answer as the server would normalise it: a number, an option key, a list of option keys,
  // text, or {item: number}; null when not answered (or not a valid answer, as the server drops those).
  function read(key) {
    var spec = inputs[key];
    var els = controls(key);
    if (!spec || !els.length) { return null; }
    var i;
    if (spec.kind === "items") {
      var items = {};
      var any = false;
      for (i = 0; i < els.length; i++) {
        if (els[i].checked && els[i].name.indexOf(key + ".") === 0) {
          items[els[i].name.slice(key.length + 1)] = parseFloat(els[i].value);
          any = true;
        }
      }
      return any ? items : null;
    }
    if (spec.kind === "multi") {
      var chosen = [];
      for (i = 0; i < els.length; i++) {
        if (els[i].name === key && els[i].checked && els[i].value) { chosen.push(els[i].value); }
      }
      if (!chosen.length) { return null; }
      var exclusive = chosen.filter(function (k) { return (spec.exclusive || []).indexOf(k) >= 0; });
      if (exclusive.length && chosen.length > 1) { return null; }
      if (!exclusive.length) {
        if (spec.min !== null && spec.min !== undefined && chosen.length < spec.min) { return null; }
        if (spec.max !== null && spec.max !== undefined && chosen.length > spec.max) { return null; }
      }
      return chosen;
    }
    var value = null;
    for (i = 0; i < els.length; i++) {
      var el = els[i];
      if (el.name !== key) { continue; }
      if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked) { value = el.value; }
      } else {
        value = el.value;
      }
    }
    if (value === null) { return null; }
    if (spec.kind === "number") {
      var number = parseFloat(value);
      return isNaN(number) ? null : number;
    }
    if (spec.kind === "text") {
      var text = cleanText(value, spec.multiline);
      if (!text || Array.from(text).length > spec.max) { return null; }
      return text;
    }
    value = value.trim();
    return value ? value : null;
  }

  function equals(actual, expected, textKind) {
    if (typeof actual === "number") { return expected.n !== null && actual === expected.n; }
    if (typeof actual === "string") {
      if (textKind) { return expected.t !== null && fold(actual.trim()) === expected.t; }
      return actual === expected.s;
    }
    return false;
  }

  function compare(leaf, answers) {
    var actual = Object.prototype.hasOwnProperty.call(answers, leaf.q) ? answers[leaf.q] : null;
    var isItems = actual !== null && typeof actual === "object" && !Array.isArray(actual);
    if (leaf.i) { actual = isItems && Object.prototype.hasOwnProperty.call(actual, leaf.i) ? actual[leaf.i] : null; isItems = false; }
    var op = leaf.op;
    if (op === "answered" || op === "not_answered") { return (actual !== null) === (op === "answered"); }
    if (op === "neq" || op === "not_in") {
      return !compare({ q: leaf.q, i: leaf.i, op: op === "neq" ? "eq" : "in", v: leaf.v, text: leaf.text }, answers);
    }
    if (actual === null || isItems) { return false; }
    var expected = leaf.v;
    if (Array.isArray(actual)) {
      if (op === "contains") { return actual.indexOf(expected[0].s) >= 0; }
      if (op === "in") { return expected.some(function (e) { return actual.indexOf(e.s) >= 0; }); }
      return false;
    }
    if (op === "eq") { return equals(actual, expected[0], leaf.text); }
    if (op === "in") { return expected.some(function (e) { return equals(actual, e, leaf.text); }); }
    if (op === "contains") {
      if (leaf.text && typeof actual === "string") { return expected[0].t !== null && fold(actual).indexOf(expected[0].t) >= 0; }
      return equals(actual, expected[0], false);
    }
    if (typeof actual === "number" && expected[0].n !== null) {
      var right = expected[0].n;
      if (op === "lt") { return actual < right; }
      if (op === "lte") { return actual <= right; }
      if (op === "gt") { return actual > right; }
      if (op === "gte") { return actual >= right; }
    }
    return false;
  }

  function holds(cond, answers) {
    if (cond === true || cond === false) { return cond; }
    if (cond.all) { return cond.all.every(function (c) { return holds(c, answers); }); }
    if (cond.any) { return cond.any.some(function (c) { return holds(c, answers); }); }
    if (cond.not) { return !holds(cond.not, answers); }
    return compare(cond, answers);
  }

  function setShown(box, shown) {
    if (box.hidden === !shown) { return; }
    box.hidden = !shown;
    var els = box.querySelectorAll("input, select, textarea");
    for (var i = 0; i < els.length; i++) { els[i].disabled = !shown; }
  }

  // In page order: a question's answer counts for the ones below it only while it is shown.
  function update() {
    var answers = {};
    var boxes = form.querySelectorAll(".r-q");
    for (var i = 0; i < boxes.length; i++) {
      var key = boxes[i].id.replace(/^q-/, "");
      var shown = true;
      if (Object.prototype.hasOwnProperty.call(live, key)) {
        shown = holds(live[key], answers);
        setShown(boxes[i], shown);
      }
      if (shown && Object.prototype.hasOwnProperty.call(inputs, key)) { answers[key] = read(key); }
    }
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
  form.classList.add("r-live");  // the notes for a page without this script are not needed
})();
