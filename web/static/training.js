// The Training view: the run this server trains, live, from its events.
"use strict";

// ---- Training ------------------------------------------------------------

let live = null; // the server's training, as its events tell
let redraw = 0;

// watchTraining follows the server's training: through the shared worker
// (events.js), one stream for all tabs, or, where a browser has no shared
// workers, a stream of this page's own, closed while the page is hidden.
function watchTraining() {
  const handlers = {
    state: (s) => {
      live = s.state === "none" ? null : s;
      showTraining();
      if (!$("runs").hidden) loadRuns();
    },
    progress: (p) => { if (live) { Object.assign(live, p); showProgress(); } },
    point: (p) => { if (live) { live.points.push(p); scheduleCharts(); } },
    epoch: (m) => { if (live) { live.history.push(m); scheduleCharts(); showProgress(); } },
    samples: (m) => { if (live) { live.samples = m.samples; $("tr-samples").src = live.samples; } },
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

function showTraining() {
  $("tr-none").hidden = !!live;
  $("tr-live").hidden = !live;
  const badge = $("training-badge");
  badge.textContent = live && (live.state === "running" || live.state === "stopping") ? `training ${live.name}…` : "";
  if (!live) return;
  $("tr-name").textContent = live.name;
  $("tr-state").textContent = live.state;
  $("tr-state").className = "state " + live.state;
  $("tr-stop").disabled = live.state !== "running";
  $("tr-error").textContent = live.error || "";
  if (live.samples) $("tr-samples").src = live.samples;
  showProgress();
  drawCharts();
}

function showProgress() {
  if (!live) return;
  const total = live.epochs * live.batches, done = (live.epoch - 1) * live.batches + live.batch;
  const frac = live.state === "finished" ? 1 : total > 0 ? Math.min(1, done / total) : 0;
  $("tr-bar").style.width = (100 * frac).toFixed(1) + "%";
  const running = live.state === "running";
  const acc = live.history.length ? live.history[live.history.length - 1] : null;
  $("tr-status").textContent = `epoch ${Math.min(live.epoch, live.epochs)} of ${live.epochs}, batch ${live.batch} of ${live.batches}` +
    (running ? `, ${live.it_per_s.toFixed(1)} it/s, ETA ${duration(live.eta_seconds)}` : "") +
    (acc ? `; last validation accuracy ${(100 * (acc.val_acc_ema || acc.val_acc)).toFixed(2)}%` : "") +
    (live.rollbacks.length ? `; ${live.rollbacks.length} rollback(s)` : "");
}

function scheduleCharts() {
  if (!redraw) redraw = requestAnimationFrame(() => { redraw = 0; drawCharts(); });
}

function drawCharts() {
  if (!live || $("training").hidden) return;
  const P = live.points, marks = live.rollbacks.map((r) => r.step);
  const series = (key) => P.map((p) => [p.step, p[key]]);
  lineChart($("ch-loss"), [{name: "train_loss", color: "#1f77b4", points: series("train_loss")}, {name: "train_ce", color: "#ff7f0e", points: series("train_ce")}], {marks, xlabel: "step"});
  lineChart($("ch-energy"), [{name: "e_real", color: "#2ca02c", points: series("e_real")}, {name: "e_sample", color: "#d62728", points: series("e_sample")},
    {name: "gap", color: "#9467bd", points: P.map((p) => [p.step, p.e_sample - p.e_real])}], {marks, xlabel: "step"});
  lineChart($("ch-lr"), [{name: "lr", color: "#8c564b", points: series("lr")}], {marks, xlabel: "step", ylo: 0});
  const H = live.history;
  lineChart($("ch-acc"), [{name: "val_acc", color: "#1f77b4", points: H.map((m) => [m.epoch, m.val_acc])},
    ...(H.some((m) => m.val_acc_ema) ? [{name: "val_acc_ema", color: "#17becf", points: H.map((m) => [m.epoch, m.val_acc_ema])}] : [])],
  {xlabel: "epoch", marks: live.rollbacks.map((r) => r.epoch)});
}

$("tr-stop").onclick = () => live && api(`/api/runs/${live.name}/stop`, {}).catch((e) => { $("tr-error").textContent = e.message; });

