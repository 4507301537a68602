// The Training view: any run's whole story from its folder (its history:
// curves, epochs, resumes and rollbacks, sample grids, kept evaluations),
// and, while this server trains it, live from the server's events.
"use strict";

// ---- Training ------------------------------------------------------------

let live = null; // the server's training, as its events tell
let shown = null; // the run on view: its /history
let redraw = 0;

// watchTraining follows the server's training: through the shared worker
// (events.js), one stream for all tabs, or, where a browser has no shared
// workers, a stream of this page's own, closed while the page is hidden.
function watchTraining() {
  const handlers = {
    state: (s) => {
      const before = live && live.state;
      live = s.state === "none" ? null : s;
      showBadge();
      if (!$("runs").hidden) loadRuns();
      if (!$("training").hidden) {
        // A training started from the page, or one that ended: the view
        // follows it, and its folder has news.
        if (live && (!shown || (live.state === "running" && before !== "running" && parseHash().arg.length === 0))) showRun(live.name);
        else if (shown && live && shown.name === live.name) refreshHistory();
      }
    },
    progress: (p) => { if (live) { Object.assign(live, p); if (isLiveShown()) showProgress(); } },
    point: (p) => { if (live) { live.points.push(p); if (isLiveShown()) scheduleCharts(); } },
    epoch: (m) => { if (live) { live.history.push(m); if (isLiveShown()) refreshHistory(); } },
    samples: (m) => { if (live) { live.samples = m.samples; if (isLiveShown()) $("tr-samples").src = live.samples; } },
  };
  const handle = (name, data) => handlers[name](JSON.parse(data));
  if (window.SharedWorker) {
    const port = new SharedWorker("events.js").port;
    port.onmessage = (m) => handle(m.data.name, m.data.data);
    port.start();
    port.postMessage("hello");
    addEventListener("pagehide", () => port.postMessage("bye"));
    addEventListener("pageshow", (e) => { if (e.persisted) port.postMessage("hello"); });
    return;
  }
  let es = null;
  const open = () => {
    es = new EventSource("/api/training");
    for (const name of Object.keys(handlers)) es.addEventListener(name, (e) => handle(name, e.data));
  };
  open();
  addEventListener("pagehide", () => es.close());
  addEventListener("pageshow", (e) => { if (e.persisted) open(); });
}

const isLiveShown = () => live && shown && shown.name === live.name && !$("training").hidden;
const trainingNow = () => live && (live.state === "running" || live.state === "stopping");

function showBadge() {
  $("training-badge").textContent = trainingNow() ? `training ${live.name}…` : "";
}

// showRun shows run name: by default, the one training now, else the
// latest.
async function showRun(name) {
  const runs = await api("/api/runs").catch(() => []);
  if (!name) name = trainingNow() ? live.name : runs.length ? runs[0].name : "";
  const select = $("tr-run");
  select.replaceChildren(...runs.map((r) => el("option", {value: r.name}, r.name)));
  $("tr-none").hidden = runs.length > 0;
  $("tr-live").hidden = !name;
  if (!name) { shown = null; $("tr-state").textContent = ""; return; }
  select.value = name;
  if (!shown || shown.name !== name) {
    $("tr-confirm").hidden = true;
    $("tr-samples").removeAttribute("src");
  }
  await refreshHistory(name);
}
$("tr-run").onchange = () => { location.hash = `#training/${encodeURIComponent($("tr-run").value)}`; };

let refreshing = null, again = false;
// refreshHistory reads the run's history again (an epoch ended, the run
// stopped); a call while one is under way reads it once more after it, as
// the folder may have changed since that one read it.
async function refreshHistory(name = shown && shown.name) {
  if (!name) return;
  if (refreshing) { again = true; return refreshing; }
  refreshing = (async () => {
    do {
      again = false;
      try {
        const h = await api(`/api/runs/${encodeURIComponent(name)}/history`);
        if ($("tr-run").value === name) { shown = h; showHistory(); }
      } catch (e) {
        $("tr-error").textContent = e.message;
      }
    } while (again);
    refreshing = null;
  })();
  return refreshing;
}

// points are the run's curve: its folder's, then the live ones past it.
function points() {
  const P = shown.points;
  if (!isLiveShown()) return P;
  const last = P.length ? P[P.length - 1].step : -1;
  return P.concat(live.points.filter((p) => p.step > last));
}

// epochs are the run's epochs: its folder's, with the live ones past it.
function epochs() {
  const H = shown.history;
  if (!isLiveShown()) return H;
  const last = H.length ? H[H.length - 1].epoch : 0;
  return H.concat(live.history.filter((m) => m.epoch > last));
}

// liveRollbacks are the live run's rollbacks its folder's marks do not
// hold yet (the page reads the folder again when one happens).
function liveRollbacks() {
  if (!isLiveShown()) return [];
  return live.rollbacks.filter((r) => !shown.marks.some((m) => m.mark === "rollback" && m.step === r.step && m.reason === r.reason));
}

function showHistory() {
  const h = shown, running = isLiveShown() && trainingNow();
  const state = running ? live.state : h.state;
  $("tr-state").textContent = state;
  $("tr-state").className = "state " + state;
  $("tr-stop").hidden = !running;
  $("tr-stop").disabled = running && live.state !== "running";
  const canResume = h.resumable && (h.state === "interrupted" || h.state === "failed") && !running;
  $("tr-resume").hidden = !canResume;
  $("tr-more").hidden = !(h.resumable && h.state === "finished") || running;
  if (!$("tr-more").hidden && !$("tr-epochs").value) $("tr-epochs").value = h.epochs + Math.max(1, Math.round(h.epochs / 2));
  $("tr-download").hidden = !h.checkpoint || h.state === "corrupt";
  $("tr-download").href = `/api/runs/${encodeURIComponent(h.name)}/checkpoint`;
  $("tr-delete").hidden = running;
  let why = h.error || "";
  if (h.state === "failed") why = `${why || "failed"}: ${h.resumable ? "it can resume from its last checkpoint (Resume)" : "no checkpoint to resume from; start it again from the form under Runs"}`;
  if (h.state === "corrupt") why = `${why}: the checkpoint cannot be read; delete the run, or move it out of the runs folder`;
  $("tr-error").textContent = isLiveShown() && live.error ? live.error : why;
  $("tr-buffer").hidden = !(isLiveShown() && live.samples);
  if (isLiveShown() && live.samples) $("tr-samples").src = live.samples;
  showProgress();
  drawCharts();
  showStrip();
  showEvaluations($("tr-evals"), $("tr-evals-empty"), h, false);
}

function showProgress() {
  if (!shown) return;
  const running = isLiveShown() && trainingNow();
  let frac, text;
  if (running) {
    const total = live.epochs * live.batches, done = (live.epoch - 1) * live.batches + live.batch;
    frac = total > 0 ? Math.min(1, done / total) : 0;
    text = live.batches === 0 ? `starting: ${live.epochs} epochs; reading the data and building the model…` :
      `epoch ${Math.min(live.epoch, live.epochs)} of ${live.epochs}, batch ${live.batch} of ${live.batches}` +
      (live.state === "running" && live.it_per_s > 0 ? `, ${live.it_per_s.toFixed(1)} it/s, ETA ${duration(live.eta_seconds)}` : "") +
      (live.state === "stopping" ? "; stopping: the step ends and the checkpoint is written" : "");
  } else {
    frac = shown.epochs > 0 ? Math.min(1, shown.epoch / shown.epochs) : 0;
    text = `${shown.epoch} of ${shown.epochs} epochs done, ${duration(shown.seconds)} of training`;
  }
  const H = epochs(), last = H.length ? H[H.length - 1] : null;
  const rollbacks = shown.marks.filter((m) => m.mark === "rollback").length + liveRollbacks().length;
  text += (last ? `; last validation accuracy ${(100 * (last.val_acc_ema || last.val_acc)).toFixed(2)}%` : "") + (rollbacks ? `; ${rollbacks} rollback(s)` : "");
  $("tr-bar").style.width = (100 * frac).toFixed(1) + "%";
  $("tr-status").textContent = text;
}

function scheduleCharts() {
  if (!redraw) redraw = requestAnimationFrame(() => { redraw = 0; drawCharts(); showProgress(); });
}

// runMarks are a run's resumes and rollbacks on the step or epoch axis.
function runMarks(h, x, extra = []) {
  return h.marks.concat(extra).map((m) => ({x: x === "epoch" ? m.epoch - 1 : m.step, kind: m.mark || "rollback"}));
}

function drawCharts() {
  if (!shown || $("training").hidden) return;
  const P = points(), extra = liveRollbacks(), marks = runMarks(shown, "step", extra);
  const series = (key) => P.map((p) => [p.step, p[key]]);
  lineChart($("ch-loss"), [{name: "train_loss", color: "#1f77b4", points: series("train_loss")}, {name: "train_ce", color: "#ff7f0e", points: series("train_ce")}], {marks, xlabel: "step"});
  lineChart($("ch-energy"), [{name: "e_real", color: "#2ca02c", points: series("e_real")}, {name: "e_sample", color: "#d62728", points: series("e_sample")}], {marks, xlabel: "step"});
  lineChart($("ch-gap"), [{name: "e_real − e_sample", color: "#9467bd", points: P.map((p) => [p.step, p.e_real - p.e_sample])}], {marks, xlabel: "step"});
  lineChart($("ch-lr"), [{name: "lr", color: "#8c564b", points: series("lr")}], {marks, xlabel: "step", ylo: 0});
  const H = epochs();
  lineChart($("ch-acc"), [{name: "val_acc", color: "#1f77b4", points: H.map((m) => [m.epoch, m.val_acc])},
    ...(H.some((m) => m.val_acc_ema) ? [{name: "val_acc_ema", color: "#17becf", points: H.map((m) => [m.epoch, m.val_acc_ema])}] : [])],
  {xlabel: "epoch", marks: runMarks(shown, "epoch", extra)});
}

// showStrip shows the sample grid of every epoch that wrote one, in order.
function showStrip() {
  const base = `/api/runs/${encodeURIComponent(shown.name)}/files/`, stamp = Date.parse(shown.modified);
  $("tr-strip").replaceChildren(...(shown.grids.length ? shown.grids.map((g) => el("figure", {},
    el("img", {src: `${base}${g.file}?t=${stamp}`, alt: `samples after epoch ${g.epoch}`, loading: "lazy"}), el("figcaption", {}, `epoch ${g.epoch}`))) :
    [el("p", {class: "hint"}, "No sample grid yet: a run writes one every --sample_every epochs.")]));
}

// showEvaluations lists a run's kept evaluations in table; open shows
// the report in the Evaluate view.
function showEvaluations(table, empty, h, compact, current) {
  empty.hidden = h.evaluations.length > 0;
  table.hidden = h.evaluations.length === 0;
  table.tBodies[0].replaceChildren(...h.evaluations.map((e) => {
    const open = el("a", {href: `#evaluate/${encodeURIComponent(h.name)}/${e.id}`}, e.id === current ? "shown" : "open the report");
    const cells = compact ? [fmtTime(e.time), e.epoch || "-", e.weights, e.generation.samples, fmt(e.accuracy), fmt(e.fid, 1)] :
      [fmtTime(e.time), e.epoch || "-", e.weights, e.generation.samples, fmt(e.accuracy), fmt(e.ece), fmt(e.fid, 1), fmt(e.cond_accuracy), fmt(e.class_coverage)];
    return el("tr", {"data-evaluation": e.id, class: e.id === current ? "current" : ""}, ...cells.map((c) => el("td", {}, String(c))), el("td", {}, e.report ? open : ""));
  }));
}

const runAction = (path, body) => api(`/api/runs/${encodeURIComponent(shown.name)}/${path}`, body).catch((e) => { $("tr-error").textContent = e.message; throw e; });
$("tr-stop").onclick = () => shown && runAction("stop", {}).catch(() => {});
$("tr-resume").onclick = () => shown && runAction("resume", {}).then(() => refreshHistory()).catch(() => {});
$("tr-continue").onclick = () => shown && runAction("resume", {epochs: +$("tr-epochs").value}).then(() => { $("tr-epochs").value = ""; refreshHistory(); }).catch(() => {});
$("tr-delete").onclick = () => { $("tr-confirm").hidden = false; $("tr-confirm-name").value = ""; $("tr-confirm-name").focus(); };
$("tr-confirm-cancel").onclick = () => { $("tr-confirm").hidden = true; };
$("tr-confirm-delete").onclick = async () => {
  const name = shown.name;
  try {
    const res = await fetch(`/api/runs/${encodeURIComponent(name)}`, {method: "DELETE", headers: {"Content-Type": "application/json"}, body: JSON.stringify({confirm: $("tr-confirm-name").value})});
    const js = await res.json();
    if (!res.ok) throw new Error(js.error);
    shown = null;
    location.hash = "#runs";
  } catch (e) { $("tr-error").textContent = e.message; }
};
