// The dashboard page's script, as plain browser JavaScript in a string (no build step, no
// library). It listens to /events, redraws from each snapshot, and looks jobs up by id. Text
// from the queue (worker ids, errors, results) is only ever set as textContent, never as HTML.
export const pageScript = String.raw`
"use strict";
(function () {
  var actions = document.body.dataset.actions === "on";
  var states = ["delayed", "pending", "running", "completed", "failed", "cancelled"];
  var settled = { completed: true, failed: true, cancelled: true };
  var kindColor = { reassigned: "pending", failed: "failed", "retry-scheduled": "delayed", "timed-out": "failed", "worker-lost": "failed", cancelled: "cancelled" };
  var outcomeColor = { running: "running", completed: "completed", failed: "failed", "worker-lost": "pending", "timed-out": "pending", cancelled: "cancelled", released: "delayed" };
  var series = new Map();
  var CHART_SECONDS = 300;
  var shownJob = null;
  var lookingUp = false;

  function $(id) { return document.getElementById(id); }
  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === "text") el.textContent = attrs[k];
      else if (k === "color") el.style.setProperty("--c", "var(--" + attrs[k] + ")");
      else if (k === "onclick") el.addEventListener("click", attrs[k]);
      else el.setAttribute(k, attrs[k]);
    }
    (children || []).forEach(function (c) { if (c != null) el.append(c); });
    return el;
  }
  function svg(tag, attrs) {
    var el = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (var k in attrs) if (k === "text") el.textContent = attrs[k]; else el.setAttribute(k, attrs[k]);
    return el;
  }
  function badge(text, color) { return h("span", { class: "badge", color: color, text: text }); }
  function num(n) { return Number(n).toLocaleString("en-US"); }
  function age(ms) {
    if (ms < 0) ms = 0;
    if (ms < 10000) return (ms / 1000).toFixed(1) + " s";
    if (ms < 60000) return Math.round(ms / 1000) + " s";
    if (ms < 3600000) return Math.floor(ms / 60000) + " m " + Math.round((ms % 60000) / 1000) + " s";
    return Math.floor(ms / 3600000) + " h " + Math.round((ms % 3600000) / 60000) + " m";
  }
  function clock(at) {
    var d = new Date(at);
    function p(n, w) { return String(n).padStart(w || 2, "0"); }
    return p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds()) + "." + p(d.getMilliseconds(), 3);
  }
  function jobLink(id) {
    return h("a", { class: "jobref", text: "#" + id, onclick: function () { lookUp(id); } });
  }
  function table(el, head, rows, emptyText) {
    el.replaceChildren();
    el.append(h("thead", null, [h("tr", null, head.map(function (c) {
      return h("th", { class: c.charAt(0) === "#" ? "num" : "", text: c.replace(/^#/, "") });
    }))]));
    var body = h("tbody", null, rows);
    if (rows.length === 0) body.append(h("tr", null, [h("td", { class: "empty", colspan: String(head.length), text: emptyText })]));
    el.append(body);
  }

  function renderCounts(s) {
    var box = $("counts");
    if (box.childElementCount === 0) states.forEach(function (state) {
      box.append(h("div", { class: "card count", color: state }, [
        h("div", { class: "n", id: "count-" + state, text: "0" }),
        h("div", { class: "label", text: state }),
      ]));
    });
    states.forEach(function (state) { $("count-" + state).textContent = num(s.counts[state]); });
    var t = s.totals;
    var items = [["submitted", t.submitted], ["completed", t.completed], ["failed", t.failed], ["reassigned", t.reassigned],
      ["cancelled", t.cancelled], ["retried", t.retried], ["stale reports refused", t.staleRefused]];
    $("totals").replaceChildren.apply($("totals"), [h("span", { class: "since", text: "Since start:" })].concat(items.map(function (i) {
      return h("span", { id: "total-" + i[0].split(" ")[0] }, [i[0] + " ", h("b", { text: num(i[1]) })]);
    })).concat([h("span", null, ["· oldest ready job waiting ", h("b", { text: s.oldestPendingAgeMs === undefined ? "–" : age(s.oldestPendingAgeMs) })]),
      h("span", { id: "memory" }, ["· job data ", h("b", { text: num(s.memory.heldBytes) }), " of " + num(s.memory.limitBytes) + " bytes budgeted"])]));
  }

  function renderChart(s) {
    var now = Math.floor(s.at / 1000);
    s.completedPerSecond.forEach(function (n, i) { series.set(now - 59 + i, n); });
    var first = now;
    series.forEach(function (_, second) { if (second < now - CHART_SECONDS + 1) series.delete(second); else if (second < first) first = second; });
    // The current second is still counting: the chart and the rates use whole seconds only.
    var span = Math.max(60, now - first);
    var values = [];
    for (var sec = now - span; sec < now; sec++) values.push(series.get(sec) || 0);
    var peak = Math.max.apply(null, values);
    var lastTen = values.slice(-10);
    var avg = lastTen.reduce(function (a, b) { return a + b; }, 0) / lastTen.length;
    var lastMinute = values.slice(-60).reduce(function (a, b) { return a + b; }, 0);
    $("rate").textContent = avg.toFixed(1) + "/s now · peak " + num(peak) + "/s · " + num(lastMinute) + " in the last minute";
    $("rate").title = "now: average of the last 10 whole seconds";

    var W = 760, H = 210, L = 44, R = 12, T = 12, B = 24;
    var top = niceCeiling(Math.max(peak, 1));
    var x = function (i) { return L + (i / (span - 1)) * (W - L - R); };
    var y = function (v) { return T + (1 - v / top) * (H - T - B); };
    var root = svg("svg", { viewBox: "0 0 " + W + " " + H, width: "100%", role: "img", "aria-label": "completed jobs per second" });
    [0, 0.5, 1].forEach(function (f) {
      root.append(svg("line", { x1: L, x2: W - R, y1: y(top * f), y2: y(top * f), stroke: "#e3e6eb" }));
      root.append(svg("text", { x: L - 8, y: y(top * f) + 4, "text-anchor": "end", text: num(top * f) }));
    });
    for (var m = 0; m * 60 < span; m++) {
      var i = span - 1 - m * 60;
      root.append(svg("text", { x: x(i), y: H - 6, "text-anchor": m === 0 ? "end" : "middle", text: m === 0 ? "now" : "−" + m + " min" }));
    }
    var line = values.map(function (v, i) { return (i === 0 ? "M" : "L") + x(i).toFixed(1) + " " + y(v).toFixed(1); }).join(" ");
    root.append(svg("path", { d: line + " L" + x(span - 1) + " " + y(0) + " L" + x(0) + " " + y(0) + " Z", fill: "#3763d8", "fill-opacity": "0.12" }));
    root.append(svg("path", { d: line, fill: "none", stroke: "#3763d8", "stroke-width": "2", "stroke-linejoin": "round" }));
    $("chart").replaceChildren(root);
  }
  function niceCeiling(v) {
    var step = Math.pow(10, Math.floor(Math.log10(v)));
    var options = [1, 2, 5, 10];
    for (var i = 0; i < options.length; i++) if (options[i] * step >= v) return options[i] * step;
    return 10 * step;
  }

  function renderQueues(s) {
    var names = Object.keys(s.queues).sort();
    $("queue-note").textContent = s.queueCount > names.length ? "first " + names.length + " of " + s.queueCount : "";
    table($("queues"), ["queue"].concat(states.map(function (st) { return "#" + st; })), names.map(function (name) {
      var q = s.queues[name];
      return h("tr", null, [h("td", null, [name + " ", q.paused ? badge("paused", "pending") : null])].concat(states.map(function (st) {
        return h("td", { class: "num", text: num(q.counts[st]) });
      })));
    }), "no queues yet");
  }

  function renderWorkers(s) {
    $("worker-note").textContent = s.workerCount > s.workers.length ? "first " + s.workers.length + " of " + s.workerCount : num(s.workerCount) + " connected";
    table($("workers"), ["worker", "queues", "current jobs", "#last heartbeat"], s.workers.map(function (w) {
      var jobs = w.running.map(function (j) {
        var chip = h("span", { class: "job", title: "running for " + age(s.at - j.startedAt) + (j.progress && j.progress.message ? ": " + j.progress.message : ""),
          onclick: function () { lookUp(j.jobId); } }, [h("b", { text: "#" + j.jobId }), "attempt " + j.attempt]);
        if (j.progress) {
          var bar = h("span", { class: "bar" }, [h("i")]);
          bar.firstChild.style.width = j.progress.percent + "%";
          chip.append(bar, Math.round(j.progress.percent) + "%");
        }
        return chip;
      });
      var since = s.at - w.lastSeenAt;
      return h("tr", null, [
        h("td", { text: w.workerId }),
        h("td", { class: "wrap", text: w.queues.join(", ") }),
        h("td", { class: "wrap" }, jobs.length ? jobs : [h("span", { class: "note", text: w.waiting ? "idle, waiting for work" : "idle" })]),
        h("td", { class: "num" + (since > 5000 ? " stale" : ""), text: age(since) + " ago" }),
      ]);
    }), "no workers connected");
  }

  function renderRecent(s) {
    var events = s.recent.slice().reverse();
    table($("recent"), ["time", "event", "job", "reason"], events.map(function (e) {
      return h("tr", null, [
        h("td", { text: clock(e.at) }),
        h("td", null, [badge(e.kind, kindColor[e.kind] || "cancelled")]),
        h("td", null, [e.jobId !== undefined ? jobLink(e.jobId) : "", e.workerId ? h("div", { class: "note", text: e.workerId }) : null]),
        h("td", { class: "reason", text: e.reason }),
      ]);
    }), "nothing has gone wrong yet");
  }

  function render(s) {
    $("run").textContent = "run " + s.queueRunId + " · updated " + clock(s.at).slice(0, 8);
    renderCounts(s);
    renderChart(s);
    renderQueues(s);
    renderWorkers(s);
    renderRecent(s);
    if (shownJob && !settled[shownJob.state] && !lookingUp) lookUp(shownJob.jobId, true);
  }

  function setLive(on) {
    $("live-dot").className = on ? "dot on" : "dot";
    $("live-text").textContent = on ? "live" : "reconnecting…";
  }

  function lookUp(id, quiet) {
    id = String(id).trim().replace(/^#/, "");
    if (!quiet) { $("lookup-id").value = id; history.replaceState(null, "", "#job=" + id); }
    if (!/^[1-9][0-9]{0,15}$/.test(id)) { showError("A job id is a whole number from 1 up."); return; }
    lookingUp = true;
    fetch("api/jobs/" + id, { headers: { accept: "application/json" } })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (r) { if (r.ok) showJob(r.body); else showError(r.body.message || "look-up failed"); })
      .catch(function (e) { showError("look-up failed: " + e.message); })
      .finally(function () { lookingUp = false; });
  }

  function showError(message) {
    shownJob = null;
    $("job").replaceChildren(h("p", { class: "error", id: "job-error", text: message }));
  }

  function showJob(job) {
    shownJob = job;
    var facts = [
      ["queue", job.queue], ["type", job.type], ["priority", String(job.priority)],
      ["attempts", job.attempts + " of " + job.maxAttempts], ["timeout", age(job.timeoutMs)],
      ["submitted", clock(job.submittedAt)],
    ];
    if (job.runAt !== undefined) facts.push(["due", clock(job.runAt)]);
    if (job.workerId) facts.push(["worker", job.workerId + " (lease " + job.lease + ")"]);
    if (job.progress) facts.push(["progress", Math.round(job.progress.percent) + "%" + (job.progress.message ? " " + job.progress.message : "")]);
    if (job.settledAt !== undefined) facts.push(["settled", clock(job.settledAt) + " (" + age(job.settledAt - job.submittedAt) + " after submit)"]);
    var dl = h("dl");
    facts.forEach(function (f) { dl.append(h("div", null, [h("dt", { text: f[0] }), h("dd", { text: f[1] })])); });
    var parts = [
      h("div", { class: "job-head" }, [h("b", { text: "Job #" + job.jobId }), h("span", { class: "badge", id: "job-state", color: job.state, text: job.state }), actionButtons(job)]),
      dl,
    ];
    var outputs = h("div", { class: "outputs" });
    var output = function (title, id, text) { outputs.append(h("div", null, [h("h3", { text: title }), h("pre", { id: id, text: text })])); };
    if (job.result !== undefined) output("Result", "job-result", JSON.stringify(job.result, null, 2));
    if (job.error !== undefined) output(job.state === "failed" ? "Error" : "Last error", "job-error-text", job.error);
    if (job.payload !== undefined) output("Payload", "job-payload", JSON.stringify(job.payload, null, 2));
    parts.push(outputs, h("h3", { text: "History" }));
    var attempts = h("table", { id: "job-history" });
    table(attempts, ["#attempt", "worker", "#lease", "started", "ended", "#took", "outcome", "error"], job.history.map(function (a) {
      return h("tr", null, [
        h("td", { class: "num", text: String(a.attempt) }), h("td", { text: a.workerId }), h("td", { class: "num", text: String(a.lease) }),
        h("td", { text: clock(a.startedAt) }), h("td", { text: a.endedAt === undefined ? "–" : clock(a.endedAt) }),
        h("td", { class: "num", text: a.endedAt === undefined ? "–" : age(a.endedAt - a.startedAt) }),
        h("td", null, [badge(a.outcome, outcomeColor[a.outcome])]), h("td", { class: "reason", text: a.error || "" }),
      ]);
    }), "not run yet");
    parts.push(attempts);
    $("job").replaceChildren.apply($("job"), parts);
  }

  function actionButtons(job) {
    var box = h("span");
    var make = function (label, verb) {
      var b = h("button", { class: "secondary", type: "button", id: "job-" + verb, text: label });
      b.disabled = !actions;
      if (!actions) b.title = "read-only: the queue has no client secret";
      b.addEventListener("click", function () { act(job.jobId, verb); });
      return b;
    };
    if (!settled[job.state]) box.append(make("Cancel", "cancel"));
    else if (job.state !== "completed") box.append(make("Retry", "retry"));
    return box;
  }

  function act(id, verb) {
    var secret = $("secret") ? $("secret").value : "";
    fetch("api/jobs/" + id + "/" + verb, { method: "POST", headers: { authorization: "Bearer " + secret } })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (r) {
        $("actions-note").textContent = r.ok ? "job " + id + ": " + verb + " done" : r.body.message;
        $("actions-note").className = r.ok ? "note" : "note error";
        lookUp(id, true);
      });
  }

  // The per-state job list: pages with the same cursor as "djq list"; the selected jobs are
  // cancelled or retried in one request, answered job by job.
  var jobsPage = { after: undefined, next: undefined };
  function loadJobs(after) {
    var state = $("jobs-state").value;
    var url = "api/jobs?state=" + encodeURIComponent(state) + "&limit=50" + (after === undefined ? "" : "&after=" + after);
    return fetch(url, { headers: { accept: "application/json" } })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (r) {
        if (!r.ok) { $("jobs-note").textContent = r.body.message; $("jobs-note").className = "note error"; return; }
        jobsPage = { after: after, next: r.body.next };
        $("jobs-next").disabled = r.body.next === undefined;
        table($("jobs-list"), ["", "#id", "queue", "type", "#attempts", "submitted", "error"], r.body.jobs.map(function (job) {
          var pick = h("input", { type: "checkbox", class: "job-pick", value: String(job.jobId), "aria-label": "select job " + job.jobId });
          pick.addEventListener("change", updateSelection);
          return h("tr", { "data-job": String(job.jobId) }, [
            h("td", null, [pick]), h("td", { class: "num" }, [jobLink(job.jobId)]), h("td", { text: job.queue }), h("td", { text: job.type }),
            h("td", { class: "num", text: job.attempts + "/" + job.maxAttempts }), h("td", { text: clock(job.submittedAt) }),
            h("td", { class: "reason", text: job.error || "" }),
          ]);
        }), "no " + state + " jobs");
        updateSelection();
      });
  }
  function selectedJobs() {
    return Array.prototype.map.call(document.querySelectorAll(".job-pick:checked"), function (el) { return el.value; });
  }
  function updateSelection() {
    var none = selectedJobs().length === 0;
    $("jobs-cancel").disabled = none || !actions;
    $("jobs-retry").disabled = none || !actions;
  }
  function actOnSelected(verb) {
    var ids = selectedJobs();
    var secret = $("secret") ? $("secret").value : "";
    fetch("api/jobs/" + verb + "?ids=" + ids.join(","), { method: "POST", headers: { authorization: "Bearer " + secret } })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (r) {
        if (!r.ok) { $("jobs-note").textContent = r.body.message; $("jobs-note").className = "note error"; return; }
        var done = r.body.results.filter(function (x) { return x.ok; }).map(function (x) { return "#" + x.jobId; });
        var refused = r.body.results.filter(function (x) { return !x.ok; }).map(function (x) { return "#" + x.jobId + " " + x.message; });
        $("jobs-note").textContent = verb + ": " + (done.length ? done.join(", ") + " done" : "none done") + (refused.length ? "; refused: " + refused.join("; ") : "");
        $("jobs-note").className = refused.length ? "note error" : "note";
        return loadJobs(jobsPage.after);
      });
  }
  states.forEach(function (state) { $("jobs-state").append(h("option", { value: state, text: state })); });
  $("jobs-state").value = "pending";
  $("jobs-state").addEventListener("change", function () { loadJobs(undefined); });
  $("jobs-form").addEventListener("submit", function (e) { e.preventDefault(); loadJobs(undefined); });
  $("jobs-next").addEventListener("click", function () { loadJobs(jobsPage.next); });
  $("jobs-cancel").addEventListener("click", function () { actOnSelected("cancel"); });
  $("jobs-retry").addEventListener("click", function () { actOnSelected("retry"); });
  loadJobs(undefined);

  $("lookup-form").addEventListener("submit", function (e) { e.preventDefault(); lookUp($("lookup-id").value); });
  if (actions) {
    $("lookup-button").after(h("input", { id: "secret", type: "password", placeholder: "client secret (for cancel / retry)", autocomplete: "off", "aria-label": "client secret" }));
  } else {
    $("actions-note").textContent = "Read-only: start the queue with --client-secret to cancel or retry jobs here.";
  }
  var fromHash = /^#job=([0-9]+)$/.exec(location.hash);
  if (fromHash) lookUp(fromHash[1]);

  var source = new EventSource("events");
  source.addEventListener("stats", function (e) { setLive(true); render(JSON.parse(e.data)); });
  source.addEventListener("error", function () { setLive(false); });
})();
`;
