// The ebm page: four views over the server's JSON API (web/*.go).
// Plain JavaScript, no build step; charts are drawn as SVG by lineChart.
"use strict";

const $ = (id) => document.getElementById(id);
const SIDE = 28, PIXELS = SIDE * SIDE;

// ---- small helpers -------------------------------------------------------

async function api(path, body) {
  const opts = body === undefined ? {} : {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)};
  const res = await fetch(path, opts);
  const js = await res.json().catch(() => ({error: res.statusText}));
  if (!res.ok) throw Object.assign(new Error(js.error || res.statusText), {field: js.field, status: res.status});
  return js;
}

// stream POSTs body and calls onLine for each JSON line of the answer; the
// request ends when signal aborts.
async function stream(path, body, onLine, signal) {
  const res = await fetch(path, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body), signal});
  if (!res.ok) {
    const js = await res.json().catch(() => ({error: res.statusText}));
    throw new Error(js.error || res.statusText);
  }
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let buf = "";
  for (;;) {
    const {value, done} = await reader.read();
    if (done) break;
    buf += dec.decode(value, {stream: true});
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim()) onLine(JSON.parse(line));
    }
  }
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

const fmt = (v, d = 4) => (v === undefined || v === null || Number.isNaN(v)) ? "-" : (+v).toFixed(d);
function duration(s) {
  if (!isFinite(s)) return "-";
  s = Math.round(s);
  return s >= 3600 ? `${Math.floor(s / 3600)}h ${Math.floor(s % 3600 / 60)}m` : s >= 60 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${s}s`;
}
const symlog = (e) => Math.sign(e) * Math.log10(1 + Math.abs(e));
const SVGNS = "http://www.w3.org/2000/svg";
function svgEl(tag, attrs) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}
function svgText(svg, x, y, text, anchor = "start") {
  const t = svgEl("text", {x, y, "text-anchor": anchor});
  t.textContent = text;
  svg.append(t);
}

// lineChart draws series [{name, color, points: [[x, y], ...]}] with axes,
// a legend, and dashed vertical marks at the x values in marks.
function lineChart(svg, series, {marks = [], xlabel = "", ylo, yhi} = {}) {
  svg.replaceChildren();
  const W = +svg.getAttribute("width"), H = +svg.getAttribute("height");
  const L = 52, R = 10, T = 10, B = 30;
  const all = series.flatMap((s) => s.points).filter((p) => isFinite(p[1]));
  if (all.length === 0) { svgText(svg, W / 2, H / 2, "no data yet", "middle"); return; }
  let x0 = Math.min(...all.map((p) => p[0])), x1 = Math.max(...all.map((p) => p[0]));
  let y0 = ylo ?? Math.min(...all.map((p) => p[1])), y1 = yhi ?? Math.max(...all.map((p) => p[1]));
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) { y0 -= 0.5; y1 += 0.5; }
  const pad = (y1 - y0) * 0.05; if (ylo === undefined) y0 -= pad; if (yhi === undefined) y1 += pad;
  const sx = (x) => L + (x - x0) / (x1 - x0) * (W - L - R), sy = (y) => T + (y1 - y) / (y1 - y0) * (H - T - B);
  for (let i = 0; i <= 4; i++) {
    const v = y0 + i / 4 * (y1 - y0);
    svg.append(svgEl("line", {x1: L, x2: W - R, y1: sy(v), y2: sy(v), stroke: "#eee"}));
    svgText(svg, L - 4, sy(v) + 4, Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(1) : v.toPrecision(3), "end");
  }
  const xstep = Math.max(1, Math.ceil((x1 - x0) / 5)); // whole-number ticks
  for (let v = Math.ceil(x0); v <= x1; v += xstep) svgText(svg, sx(v), H - B + 14, v, "middle");
  svgText(svg, (L + W - R) / 2, H - 4, xlabel, "middle");
  svg.append(svgEl("line", {x1: L, x2: L, y1: T, y2: H - B, stroke: "#333"}), svgEl("line", {x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: "#333"}));
  for (const m of marks) {
    if (m >= x0 && m <= x1) svg.append(svgEl("line", {x1: sx(m), x2: sx(m), y1: T, y2: H - B, stroke: "#d62728", "stroke-dasharray": "4 3", class: "rollback-mark"}));
  }
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => isFinite(p[1])).map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(" ");
    svg.append(svgEl("polyline", {points: pts, fill: "none", stroke: s.color, "stroke-width": 1.6}));
    if (s.points.length === 1) svg.append(svgEl("circle", {cx: sx(s.points[0][0]), cy: sy(s.points[0][1]), r: 3, fill: s.color}));
    svg.append(svgEl("rect", {x: L + 10 + i * 110, y: T + 2, width: 12, height: 3, fill: s.color}));
    svgText(svg, L + 26 + i * 110, T + 8, s.name);
  });
}

// drawGrid paints n images (uint8, 0 = -1 .. 255 = 1) on a canvas, cols a row.
function drawGrid(canvas, bytes, n) {
  const cols = Math.ceil(Math.sqrt(n)), rows = Math.ceil(n / cols), pad = 2;
  const w = cols * (SIDE + pad) + pad, h = rows * (SIDE + pad) + pad;
  const img = new ImageData(w, h);
  img.data.fill(64);
  for (let k = 0; k < n; k++) {
    const ox = pad + (k % cols) * (SIDE + pad), oy = pad + Math.floor(k / cols) * (SIDE + pad);
    for (let i = 0; i < PIXELS; i++) {
      const v = bytes[k * PIXELS + i], o = ((oy + Math.floor(i / SIDE)) * w + ox + i % SIDE) * 4;
      img.data[o] = img.data[o + 1] = img.data[o + 2] = v;
    }
  }
  for (let i = 3; i < img.data.length; i += 4) img.data[i] = 255;
  const tmp = el("canvas", {width: w, height: h});
  tmp.getContext("2d").putImageData(img, 0, 0);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const scale = Math.min(canvas.width / w, canvas.height / h);
  ctx.drawImage(tmp, 0, 0, w * scale, h * scale);
}
const b64bytes = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

// ---- navigation ----------------------------------------------------------

const views = ["runs", "training", "explore", "evaluate"];
function route() {
  const [view, arg] = location.hash.slice(1).split("/");
  const v = views.includes(view) ? view : "runs";
  for (const name of views) {
    $(name).hidden = name !== v;
    $("nav-" + name).classList.toggle("active", name === v);
  }
  if (v === "runs") loadRuns();
  if (v === "explore") pickRun($("ex-run"), arg, selectModel);
  if (v === "evaluate") pickRun($("ev-run"), arg);
}
addEventListener("hashchange", route);

// pickRun fills a select with the runs that have a checkpoint.
async function pickRun(select, want, then) {
  const runs = (await api("/api/runs").catch(() => [])).filter((r) => r.state !== "empty" && r.recipe && r.epoch > 0 || r.state === "interrupted");
  const keep = want || select.value;
  select.replaceChildren(...runs.map((r) => el("option", {value: r.name}, `${r.name} (${r.state}, ${r.epoch}/${r.epochs} epochs)`)));
  if (runs.some((r) => r.name === keep)) select.value = keep;
  if (then && select.value) then(select.value);
}

// ---- Runs ----------------------------------------------------------------

let settings = null; // /api/settings: the form's fields and presets

function recipeDiff(recipe) {
  if (!settings || !recipe) return "";
  const out = [];
  for (const s of settings.recipe) {
    let v = recipe[s.key];
    if (Array.isArray(v)) v = v.join(",");
    if (String(v) !== s.default) out.push(`${s.key}=${v}`);
  }
  return out.join(" ") || "the default";
}

async function loadRuns() {
  try {
    const runs = await api("/api/runs");
    $("runs-error").textContent = "";
    $("runs-empty").hidden = runs.length > 0;
    $("run-table").tBodies[0].replaceChildren(...runs.map(runRow));
  } catch (e) { $("runs-error").textContent = e.message; }
}

function runRow(r) {
  const acc = r.last ? (r.last.val_acc_ema || r.last.val_acc) : undefined;
  const thumb = r.samples ? el("img", {class: "thumb", src: `/api/runs/${r.name}/files/${r.samples}?t=${Date.parse(r.modified)}`, alt: "samples"}) : "";
  const actions = el("td");
  const button = (label, fn) => actions.append(el("button", {onclick: fn}, label), " ");
  if (r.state === "running" && live && live.name === r.name) {
    button("Watch", () => { location.hash = "#training"; });
    button("Stop", () => api(`/api/runs/${r.name}/stop`, {}).catch((e) => alert(e.message)).then(loadRuns));
  }
  if (r.state === "interrupted" || r.state === "failed" && r.epoch > 0) {
    button("Resume", () => api(`/api/runs/${r.name}/resume`, {}).then(() => { location.hash = "#training"; }).catch((e) => alert(e.message)));
  }
  if (r.epoch > 0 || r.state === "interrupted") {
    button("Explore", () => { location.hash = `#explore/${r.name}`; });
    button("Evaluate", () => { location.hash = `#evaluate/${r.name}`; });
  }
  return el("tr", {"data-run": r.name}, el("td", {}, thumb), el("td", {}, el("b", {}, r.name), r.error ? el("div", {class: "error"}, r.error) : ""),
    el("td", {}, el("span", {class: "state " + r.state}, r.state)), el("td", {}, `${r.epoch} / ${r.epochs}`),
    el("td", {}, acc ? (100 * acc).toFixed(2) + "%" : "-"), el("td", {class: "hint"}, recipeDiff(r.recipe)), actions);
}

async function setupForm() {
  settings = await api("/api/settings");
  const preset = $("new-preset");
  preset.replaceChildren(...settings.presets.map((p) => el("option", {value: p.name}, p.name)));
  const rows = [...settings.recipe, ...settings.options].map((s) => {
    const input = s.type === "bool" ? el("input", {type: "checkbox", "data-key": s.key}) : el("input", {type: "text", "data-key": s.key});
    return el("tr", {}, el("td", {}, el("label", {}, "--" + s.key)), el("td", {}, input), el("td", {class: "hint"}, s.help), el("td", {class: "error", "data-field": s.key}));
  });
  $("settings-table").tBodies[0].replaceChildren(...rows);
  const fill = () => {
    const p = settings.presets.find((x) => x.name === preset.value);
    $("preset-help").textContent = p.help;
    for (const s of [...settings.recipe, ...settings.options]) {
      const input = document.querySelector(`#settings-table [data-key="${s.key}"]`);
      const v = p.values[s.key] ?? s.default;
      if (input.type === "checkbox") input.checked = v === "true"; else input.value = v;
    }
  };
  preset.onchange = fill;
  fill();
  $("new-run").onsubmit = async (ev) => {
    ev.preventDefault();
    document.querySelectorAll("#new-run .error").forEach((e) => { e.textContent = ""; });
    const p = settings.presets.find((x) => x.name === preset.value);
    const given = {};
    for (const s of [...settings.recipe, ...settings.options]) {
      const input = document.querySelector(`#settings-table [data-key="${s.key}"]`);
      const v = input.type === "checkbox" ? String(input.checked) : input.value.trim();
      if (v !== (p.values[s.key] ?? s.default)) given[s.key] = v;
    }
    try {
      await api("/api/runs", {name: $("new-name").value.trim(), preset: preset.value, settings: given});
      location.hash = "#training";
    } catch (e) {
      const where = e.field && document.querySelector(`#new-run .error[data-field="${e.field}"]`);
      (where || $("new-error")).textContent = e.message;
    }
  };
}

// ---- Training ------------------------------------------------------------

let live = null; // the server's training, as its events tell
let redraw = 0;

function watchTraining() {
  const es = new EventSource("/api/training");
  es.addEventListener("state", (e) => {
    const s = JSON.parse(e.data);
    live = s.state === "none" ? null : s;
    showTraining();
    if (!$("runs").hidden) loadRuns();
  });
  es.addEventListener("progress", (e) => { if (live) { Object.assign(live, JSON.parse(e.data)); showProgress(); } });
  es.addEventListener("point", (e) => { if (live) { live.points.push(JSON.parse(e.data)); scheduleCharts(); } });
  es.addEventListener("epoch", (e) => { if (live) { live.history.push(JSON.parse(e.data)); scheduleCharts(); showProgress(); } });
  es.addEventListener("samples", (e) => { if (live) { live.samples = JSON.parse(e.data).samples; $("tr-samples").src = live.samples; } });
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

// ---- Explore -------------------------------------------------------------

let model = null; // /api/runs/NAME/model
const drawing = new Float32Array(PIXELS).fill(-1);

async function selectModel(name) {
  $("ex-error").textContent = "";
  try {
    model = await api(`/api/runs/${name}/model`);
    $("ex-info").textContent = `${model.sizes.join("-")}, ${model.weights === "ema" ? "moving average of the weights" : "trained weights"}, epoch ${model.epoch}, chains of ${model.chain_steps} steps`;
    $("dr-steps").value = model.chain_steps;
    $("dr-alpha").value = model.recipe.langevin_alpha;
    $("dr-sigma").value = model.recipe.langevin_sigma;
    document.querySelectorAll("input[type=range]").forEach(showRange);
    predictDrawing();
  } catch (e) { $("ex-error").textContent = e.message; }
}
$("ex-run").onchange = () => { location.hash = `#explore/${$("ex-run").value}`; };

function showRange(input) { const o = document.querySelector(`output[for="${input.id}"]`); if (o) o.textContent = input.value; }
document.querySelectorAll("input[type=range]").forEach((i) => { i.oninput = () => showRange(i); showRange(i); });

// The drawing canvas: 280x280 strokes, averaged down to 28x28.
const drawCtx = $("draw").getContext("2d");
drawCtx.fillStyle = "#000"; drawCtx.fillRect(0, 0, 280, 280);
let drawingNow = false, last = null, pending = false;
function stroke(ev) {
  const r = $("draw").getBoundingClientRect(), p = [(ev.clientX - r.left) * 280 / r.width, (ev.clientY - r.top) * 280 / r.height];
  drawCtx.strokeStyle = "#fff"; drawCtx.lineWidth = 20; drawCtx.lineCap = "round";
  drawCtx.beginPath(); drawCtx.moveTo(...(last || p)); drawCtx.lineTo(...p); drawCtx.stroke();
  last = p;
  sampleDrawing();
}
$("draw").onpointerdown = (ev) => { drawingNow = true; last = null; $("draw").setPointerCapture(ev.pointerId); stroke(ev); };
$("draw").onpointermove = (ev) => { if (drawingNow) stroke(ev); };
$("draw").onpointerup = () => { drawingNow = false; };
$("draw-clear").onclick = () => { drawCtx.fillStyle = "#000"; drawCtx.fillRect(0, 0, 280, 280); sampleDrawing(); };

function sampleDrawing() {
  const px = drawCtx.getImageData(0, 0, 280, 280).data;
  for (let i = 0; i < PIXELS; i++) {
    const r0 = Math.floor(i / SIDE) * 10, c0 = (i % SIDE) * 10;
    let s = 0;
    for (let y = 0; y < 10; y++) for (let x = 0; x < 10; x++) s += px[((r0 + y) * 280 + c0 + x) * 4];
    drawing[i] = s / 100 / 127.5 - 1;
  }
  if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; predictDrawing(); }); }
}

async function predictDrawing() {
  if (!model) return;
  try {
    const p = await api(`/api/runs/${model.name}/predict`, {pixels: Array.from(drawing)});
    drawBars(p);
    drawHist(p.energy);
  } catch (e) { $("ex-error").textContent = e.message; }
}

function drawBars(p) {
  const svg = $("bars"); svg.replaceChildren();
  const W = 300, H = 200, bw = 24;
  p.probs.forEach((v, k) => {
    const h = v * (H - 40), x = 14 + k * 28;
    svg.append(svgEl("rect", {x, y: H - 22 - h, width: bw, height: h, fill: k === p.label ? "#d62728" : "#1f77b4", "data-class": k}));
    svgText(svg, x + bw / 2, H - 8, k, "middle");
    if (v > 0.05) svgText(svg, x + bw / 2, H - 26 - h, v.toFixed(2), "middle");
  });
  svgText(svg, W - 8, 14, `E(x) = ${p.energy.toFixed(2)}`, "end");
}

function drawHist(energy) {
  const svg = $("hist"); svg.replaceChildren();
  const W = 420, H = 170, L = 10, R = 10, B = 28, colors = ["#1f77b4", "#d62728"];
  if (!model.histograms.length) return;
  const {lo, hi} = model.histograms[0], sx = (v) => L + (v - lo) / (hi - lo) * (W - L - R);
  model.histograms.forEach((h, i) => {
    const peak = Math.max(...h.counts), bw = (W - L - R) / h.counts.length;
    const pts = h.counts.map((c, k) => `${L + k * bw},${H - B - c / peak * (H - B - 20)} ${L + (k + 1) * bw},${H - B - c / peak * (H - B - 20)}`);
    svg.append(svgEl("polyline", {points: `${L},${H - B} ${pts.join(" ")} ${W - R},${H - B}`, fill: colors[i], "fill-opacity": 0.25, stroke: colors[i]}));
    svg.append(svgEl("rect", {x: W - 190, y: 8 + i * 13, width: 10, height: 3, fill: colors[i]}));
    svgText(svg, W - 176, 13 + i * 13, `${h.name} (median ${h.median.toFixed(1)})`);
  });
  for (const v of [-10, -1, 0, 1, 10, 100, 1000]) {
    const s = symlog(v);
    if (s >= lo && s <= hi) { svg.append(svgEl("line", {x1: sx(s), x2: sx(s), y1: H - B, y2: H - B + 4, stroke: "#333"})); svgText(svg, sx(s), H - B + 15, v, "middle"); }
  }
  const x = sx(Math.min(hi, Math.max(lo, symlog(energy))));
  svg.append(svgEl("line", {x1: x, x2: x, y1: 18, y2: H - B, stroke: "#000", "stroke-width": 2, id: "hist-marker"}));
  svgText(svg, Math.min(x + 4, W - 110), 48, `your drawing: ${energy.toFixed(1)}`);
  svgText(svg, W / 2, H - 2, "E(x), symmetric log scale", "middle");
}

// Dreams and inpainting share one streaming loop.
let dreamAbort = null;
async function runChains(body, canvas, status, trace) {
  if (dreamAbort) dreamAbort.abort();
  const ctl = new AbortController();
  dreamAbort = ctl;
  $("dr-stop").disabled = false;
  const energies = [];
  let frames = 0, t0 = performance.now(), chains = 0;
  try {
    await stream(`/api/runs/${model.name}/dream`, body, (m) => {
      if (m.error) throw new Error(m.error);
      if (m.chains) { chains = m.chains; return; }
      if (m.done) return;
      frames++;
      drawGrid(canvas, b64bytes(m.pixels), chains);
      energies.push([m.step, m.energy]);
      const fps = frames / ((performance.now() - t0) / 1000);
      status.textContent = `step ${m.step}, mean energy ${m.energy.toFixed(2)}, ${fps.toFixed(0)} frames/s`;
      if (trace) lineChart(trace, [{name: "mean E", color: "#d62728", points: energies}], {xlabel: "Langevin step"});
    }, ctl.signal);
  } catch (e) {
    if (e.name !== "AbortError") status.textContent = e.message;
  } finally {
    if (dreamAbort === ctl) { dreamAbort = null; $("dr-stop").disabled = true; }
  }
}

for (let k = 0; k < 10; k++) $("dr-class").append(el("option", {value: k}, `E(x, y=${k}): a ${k}`));
$("dr-start").onclick = () => {
  if (!model) return;
  const body = {chains: +$("dr-chains").value, langevin_steps: +$("dr-steps").value, langevin_alpha: +$("dr-alpha").value,
    langevin_sigma: +$("dr-sigma").value, frames: 100, fps: 30, seed: Math.floor(Math.random() * 2 ** 31)};
  if ($("dr-class").value !== "") body.class = +$("dr-class").value;
  if ($("dr-from").value === "drawing") body.start = Array.from(drawing);
  runChains(body, $("dream"), $("dr-status"), $("dr-trace"));
};
$("dr-stop").onclick = () => dreamAbort && dreamAbort.abort();

// Inpainting: a test digit (or the drawing) with an erasing brush.
const ip = {pixels: new Float32Array(PIXELS).fill(-1), mask: new Array(PIXELS).fill(false)};
const ipCtx = $("inpaint").getContext("2d");
function showInpaint() {
  const img = ipCtx.createImageData(SIDE, SIDE);
  for (let i = 0; i < PIXELS; i++) {
    const v = Math.round((ip.pixels[i] + 1) * 127.5), o = i * 4;
    if (ip.mask[i]) { img.data[o] = 200; img.data[o + 1] = 40; img.data[o + 2] = 60; } else { img.data[o] = img.data[o + 1] = img.data[o + 2] = v; }
    img.data[o + 3] = 255;
  }
  const tmp = el("canvas", {width: SIDE, height: SIDE});
  tmp.getContext("2d").putImageData(img, 0, 0);
  ipCtx.imageSmoothingEnabled = false;
  ipCtx.drawImage(tmp, 0, 0, 280, 280);
}
async function loadDigit(i) {
  try {
    const d = await api(`/api/digits/${i}`);
    ip.pixels = Float32Array.from(d.pixels); ip.mask.fill(false);
    $("ip-index").value = d.index;
    $("ip-status").textContent = `test digit ${d.index}, a ${d.label}`;
    showInpaint();
  } catch (e) { $("ip-status").textContent = e.message; }
}
let erasing = false, lastErase = null;
// erase marks the brush's square under the pointer, and along the way from
// the last point, as pixels the chains fill.
function erase(ev) {
  const r = $("inpaint").getBoundingClientRect(), b = +$("ip-brush").value;
  const p = [(ev.clientX - r.left) / r.width * SIDE, (ev.clientY - r.top) / r.height * SIDE];
  const from = lastErase || p, n = Math.max(1, Math.ceil(Math.hypot(p[0] - from[0], p[1] - from[1])));
  for (let k = 0; k <= n; k++) {
    const cx = Math.floor(from[0] + (p[0] - from[0]) * k / n), cy = Math.floor(from[1] + (p[1] - from[1]) * k / n);
    for (let y = cy - b + 1; y < cy + b; y++) for (let x = cx - b + 1; x < cx + b; x++) if (x >= 0 && y >= 0 && x < SIDE && y < SIDE) ip.mask[y * SIDE + x] = true;
  }
  lastErase = p;
  showInpaint();
}
$("inpaint").onpointerdown = (ev) => { erasing = true; lastErase = null; $("inpaint").setPointerCapture(ev.pointerId); erase(ev); };
$("inpaint").onpointermove = (ev) => { if (erasing) erase(ev); };
$("inpaint").onpointerup = () => { erasing = false; };
$("ip-load").onclick = () => loadDigit(+$("ip-index").value);
$("ip-random").onclick = () => loadDigit(Math.floor(Math.random() * 10000));
$("ip-drawing").onclick = () => { ip.pixels = Float32Array.from(drawing); ip.mask.fill(false); $("ip-status").textContent = "your drawing"; showInpaint(); };
$("ip-reset").onclick = () => { ip.mask.fill(false); showInpaint(); };
$("ip-fill").onclick = () => {
  if (!model) return;
  if (!ip.mask.includes(true)) { $("ip-status").textContent = "erase some pixels first"; return; }
  runChains({chains: 16, langevin_steps: +$("dr-steps").value, frames: 100, fps: 30, start: Array.from(ip.pixels), mask: ip.mask,
    seed: Math.floor(Math.random() * 2 ** 31)}, $("ip-result"), $("ip-status"), null);
};

// ---- Evaluate ------------------------------------------------------------

let evalAbort = null;
$("ev-start").onclick = async () => {
  const name = $("ev-run").value;
  if (!name) return;
  if (evalAbort) evalAbort.abort();
  const ctl = new AbortController();
  evalAbort = ctl;
  $("ev-error").textContent = ""; $("ev-report").hidden = true; $("ev-bar").style.width = "0";
  const stages = ["classification", "out-of-distribution", "samples", "FID", "conditional samples", "animation", "inpainting"];
  try {
    await stream(`/api/runs/${name}/evaluate`, {samples: +$("ev-samples").value, weights: $("ev-weights").value}, (m) => {
      if (m.error) throw new Error(m.error);
      if (m.stage) {
        const k = stages.indexOf(m.stage), frac = (k + (m.total ? m.done / m.total : 0)) / stages.length;
        $("ev-bar").style.width = (100 * frac).toFixed(1) + "%";
        $("ev-status").textContent = `${m.stage}: ${m.done} of ${m.total}`;
      }
      if (m.done === true) {
        const f = m.figures;
        $("ev-bar").style.width = "100%";
        $("ev-status").textContent = `accuracy ${fmt(f.accuracy)}, ECE ${fmt(f.ece)}, FID ${fmt(f.fid, 1)}, conditional accuracy ${fmt(f.cond_accuracy)}, coverage ${fmt(f.class_coverage)}; written to the run folder as eval.json and report.html`;
        $("ev-report").src = m.report + "?t=" + Date.now();
        $("ev-report").hidden = false;
      }
    }, ctl.signal);
  } catch (e) {
    if (e.name !== "AbortError") $("ev-error").textContent = e.message;
  }
};

// ---- start ---------------------------------------------------------------

setupForm().then(route).catch((e) => { $("runs-error").textContent = e.message; });
watchTraining();
setInterval(() => { if (!$("runs").hidden) loadRuns(); }, 5000);
