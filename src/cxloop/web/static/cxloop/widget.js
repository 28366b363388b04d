/*!
 * cxloop website widget. Shows a cxloop survey in an isolated frame on the host page.
 *
 *   <script>
 *     window.cxloop = window.cxloop || function () { (cxloop.q = cxloop.q || []).push(arguments); };
 *     cxloop('init', { survey: 'SLUG', user: 'u-123', attributes: { plan: 'pro' },
 *                      show: 'load' | 'delay' | 'manual', delay: 5, capDays: 30, lang: 'zh-hans' });
 *   </script>
 *   <script src="https://YOUR-CXLOOP/static/cxloop/widget.js" async></script>
 *
 *   cxloop('show', { attributes: { page: 'checkout' } });   // show now (still frequency-capped)
 *   cxloop('show', { user: 'u-123' });   // the user signed in after init: show for them
 *   cxloop('hide');
 *
 * Tracking (needs the organisation's public site key, shown on Behaviour → Events):
 *
 *   cxloop('init', { siteKey: 'cxs_…', user: 'u-123', touchpoint: 'web_shop', show: 'manual' });
 *   cxloop('page');                                             // a page view of location.pathname
 *   cxloop('track', 'task_completed', { task: 'checkout', duration_ms: 5300 });
 *
 * Events are sent in small batches (navigator.sendBeacon, or fetch with keepalive) to
 * /api/v1/track/<site key>, and flushed when the page is hidden. The person is an anonymous id the widget
 * keeps in localStorage ("cxloop:anon"), and ``user`` when given (the contact with that external id, if one
 * exists). Without a site key, track and page do nothing.
 *
 * ``user`` is the host site's own user id (text, at most 100 characters): cxloop files the answer under
 * the contact with that external id in the survey's organisation (creating it on first sight) and keeps
 * it in the response's embedded fields as ``site_user_id``. It is what this page says, not a proof of
 * identity: use an opaque id, never an e-mail address or a secret.
 *
 * Everything runs inside try/catch: the widget never throws into the host page, adds one element,
 * touches no global but window.cxloop, and keeps its state in localStorage under "cxloop:".
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var origin = "";
  try { origin = new URL(script.src).origin; } catch (e) { origin = ""; }
  var config = { show: "load", delay: 5, capDays: 30, attributes: {} };
  var frameBox = null;

  function safe(fn) {
    return function () {
      try { return fn.apply(null, arguments); } catch (e) { if (window.console) { console.warn("cxloop widget:", e); } }
    };
  }

  function storageKey(name) { return "cxloop:" + config.survey + ":" + name; }

  function read(name) {
    try { return window.localStorage.getItem(storageKey(name)); } catch (e) { return null; }
  }

  function write(name, value) {
    try { window.localStorage.setItem(storageKey(name), String(value)); } catch (e) { /* private mode */ }
  }

  function capped() {
    if (read("answered")) { return true; }
    var last = parseInt(read("shown") || "0", 10);
    return last > 0 && (Date.now() - last) < config.capDays * 86400000;
  }

  function surveyUrl(options) {
    var params = ["via=widget"];
    var attrs = {};
    var extra = (options && options.attributes) || {};
    var key;
    for (key in config.attributes) { if (Object.prototype.hasOwnProperty.call(config.attributes, key)) { attrs[key] = config.attributes[key]; } }
    for (key in extra) { if (Object.prototype.hasOwnProperty.call(extra, key)) { attrs[key] = extra[key]; } }
    var user = (options && options.user !== undefined && options.user !== null) ? options.user : config.user;
    var lang = (options && options.lang) || config.lang;
    if (user !== undefined && user !== null && String(user) !== "") { params.push("uid=" + encodeURIComponent(String(user))); }
    if (lang) { params.push("lang=" + encodeURIComponent(lang)); }
    for (key in attrs) {
      if (Object.prototype.hasOwnProperty.call(attrs, key)) {
        params.push("attr." + encodeURIComponent(key) + "=" + encodeURIComponent(attrs[key]));
      }
    }
    return origin + "/s/" + encodeURIComponent(config.survey) + "/?" + params.join("&");
  }

  function hide() {
    if (frameBox && frameBox.parentNode) { frameBox.parentNode.removeChild(frameBox); }
    frameBox = null;
  }

  function show(options) {
    if (!config.survey || !origin || frameBox) { return; }
    if (capped() && !(options && options.force)) { return; }
    write("shown", Date.now());
    var box = document.createElement("div");
    box.setAttribute("data-cxloop-widget", "");
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-label", config.title || "Feedback");
    var s = box.style;
    s.position = "fixed"; s.zIndex = "2147483000"; s.right = "16px"; s.bottom = "16px";
    s.width = "min(400px, calc(100vw - 32px))"; s.height = "min(560px, calc(100vh - 32px))";
    s.background = "#fff"; s.borderRadius = "12px"; s.boxSizing = "border-box"; s.paddingTop = "34px"; s.boxShadow = "0 12px 40px rgba(0,0,0,.25)"; s.overflow = "hidden";
    var close = document.createElement("button");
    close.type = "button";
    close.setAttribute("aria-label", "Close");
    close.textContent = "\u00d7";
    var c = close.style;
    c.position = "absolute"; c.top = "4px"; c.right = "8px"; c.border = "0"; c.background = "transparent";
    c.font = "24px/1 system-ui, sans-serif"; c.cursor = "pointer"; c.color = "#4f5b6b"; c.zIndex = "1";
    close.addEventListener("click", safe(hide));
    var frame = document.createElement("iframe");
    frame.src = surveyUrl(options);
    frame.title = config.title || "Feedback";
    frame.setAttribute("sandbox", "allow-forms allow-scripts allow-same-origin");
    frame.setAttribute("loading", "eager");
    var f = frame.style;
    f.border = "0"; f.width = "100%"; f.height = "100%";
    box.appendChild(close);
    box.appendChild(frame);
    document.body.appendChild(box);
    frameBox = box;
  }

  function init(options) {
    var key;
    for (key in (options || {})) { if (Object.prototype.hasOwnProperty.call(options, key)) { config[key] = options[key]; } }
    if (config.show === "load") {
      if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", safe(show)); } else { show(); }
    } else if (config.show === "delay") {
      window.setTimeout(safe(show), Math.max(0, Number(config.delay) || 0) * 1000);
    }
  }

  // --- tracking -------------------------------------------------------------------------------------
  var outbox = [];
  var flushTimer = null;

  function randomId() {
    var bytes = new Uint8Array(12);
    if (window.crypto && window.crypto.getRandomValues) { window.crypto.getRandomValues(bytes); } else {
      for (var i = 0; i < bytes.length; i++) { bytes[i] = Math.floor(Math.random() * 256); }
    }
    var out = "";
    for (var j = 0; j < bytes.length; j++) { out += (bytes[j] + 256).toString(16).slice(1); }
    return out;
  }

  function anonymousId() {
    var id = null;
    try { id = window.localStorage.getItem("cxloop:anon"); } catch (e) { id = null; }
    if (!id) {
      id = "w-" + randomId();
      try { window.localStorage.setItem("cxloop:anon", id); } catch (e) { /* private mode: one id per page */ }
    }
    return id;
  }

  function send(batch) {
    var url = origin + "/api/v1/track/" + encodeURIComponent(config.siteKey);
    var payload = { anonymous_id: anonymousId(), events: batch };
    if (config.user !== undefined && config.user !== null && String(config.user) !== "") { payload.uid = String(config.user); }
    var body = JSON.stringify(payload);
    if (navigator.sendBeacon) {
      try {
        if (navigator.sendBeacon(url, new Blob([body], { type: "text/plain" }))) { return; }
      } catch (e) { /* fall through to fetch */ }
    }
    if (window.fetch) {
      window.fetch(url, { method: "POST", body: body, keepalive: true, mode: "cors", credentials: "omit",
                          headers: { "Content-Type": "text/plain" } }).catch(function () { /* never into the page */ });
    }
  }

  function flush() {
    if (flushTimer) { window.clearTimeout(flushTimer); flushTimer = null; }
    while (outbox.length) { send(outbox.splice(0, 50)); }
  }

  function enqueue(name, props) {
    if (!config.siteKey || !origin || !name) { return; }
    var event = { event: String(name), id: randomId() };
    if (props && typeof props === "object") { event.properties = props; }
    if (config.touchpoint) { event.touchpoint = String(config.touchpoint); }
    outbox.push(event);
    if (outbox.length >= 50) { flush(); } else if (!flushTimer) { flushTimer = window.setTimeout(safe(flush), 300); }
  }

  function track(name, props) { enqueue(name, props); }

  function page(props) {
    var p = { path: window.location.pathname };
    var key;
    for (key in (props || {})) { if (Object.prototype.hasOwnProperty.call(props, key)) { p[key] = props[key]; } }
    enqueue("page_view", p);
  }

  document.addEventListener("visibilitychange", safe(function () { if (document.visibilityState === "hidden") { flush(); } }));
  window.addEventListener("pagehide", safe(flush));

  var commands = { init: init, show: show, hide: hide, track: track, page: page };

  function run(args) {
    var name = args[0];
    if (commands[name]) { commands[name](args[1], args[2]); }
  }

  window.addEventListener("message", safe(function (event) {
    if (event.origin !== origin || !event.data || event.data.cxloop !== "done") { return; }
    write("answered", Date.now());
    window.setTimeout(safe(hide), 2500);
  }));

  var queued = (window.cxloop && window.cxloop.q) || [];
  window.cxloop = safe(function () { run(arguments); });
  for (var i = 0; i < queued.length; i++) { safe(run)(queued[i]); }
})();
