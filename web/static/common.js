// The ebm page: four views over the server's JSON API (web/*.go), one
// script each (runs.js, training.js, explore.js, evaluate.js); this one holds
// what they share. Plain JavaScript, no build step; charts are SVG drawn by
// lineChart.
"use strict";

const $ = (id) => document.getElementById(id);

// ---- small helpers -------------------------------------------------------

async function api(path, body) {
  const opts = body === undefined ? {} : {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)};
  const res = await fetch(path, opts);
  const js = await res.json().catch(() => ({error: res.statusText}));
  if (!res.ok) throw Object.assign(new Error(js.error || res.statusText), {field: js.field, errors: js.errors, status: res.status});
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

// niceStep is a round step (1, 2 or 5 times a power of ten) near span/n.
function niceStep(span, n) {
  const raw = span / n, p = 10 ** Math.floor(Math.log10(raw)), f = raw / p;
  return p * (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10);
}
// tickLabel writes a tick's value with as many decimals as the ticks'
// step needs (a narrow range of 2.345..2.355 reads 2.346, 2.348, ...).
function tickLabel(v, step) {
  if (Math.abs(v) < step * 1e-6) v = 0;
  if (step !== undefined && step >= 1e-3 && Math.abs(v) < 1e5) return v.toFixed(Math.max(0, Math.ceil(-Math.log10(step) - 1e-9)));
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(1) : +v.toPrecision(3) + "";
}

// lineChart draws series [{name, color, points: [[x, y], ...]}] with axes,
// a legend, and vertical marks: [{x, kind}], kind "rollback" (dashed red)
// or "resume" (dotted grey). The chart scales with the page (viewBox).
function lineChart(svg, series, {marks = [], xlabel = "", ylo, yhi} = {}) {
  svg.replaceChildren();
  const W = +svg.getAttribute("width"), H = +svg.getAttribute("height");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const L = 56, R = 12, B = 32;
  // The legend wraps in rows above the plot.
  let lx = L, rows = 0;
  const place = series.map((s) => {
    const w = 22 + 6.2 * s.name.length;
    if (lx + w > W - R && lx > L) { lx = L; rows++; }
    const at = [lx, 8 + rows * 14];
    lx += w + 8;
    return at;
  });
  const T = 18 + rows * 14;
  const all = series.flatMap((s) => s.points).filter((p) => isFinite(p[1]) && isFinite(p[0]));
  if (all.length === 0) { svgText(svg, W / 2, H / 2, "no data yet", "middle"); return; }
  let x0 = Math.min(...all.map((p) => p[0])), x1 = Math.max(...all.map((p) => p[0]));
  let y0 = ylo ?? Math.min(...all.map((p) => p[1])), y1 = yhi ?? Math.max(...all.map((p) => p[1]));
  if (x1 === x0) { x0 -= 0.5; x1 += 0.5; }
  if (y1 === y0) { y0 -= 0.5; y1 += 0.5; }
  const pad = (y1 - y0) * 0.05; if (ylo === undefined) y0 -= pad; if (yhi === undefined) y1 += pad;
  const sx = (x) => L + (x - x0) / (x1 - x0) * (W - L - R), sy = (y) => T + (y1 - y) / (y1 - y0) * (H - T - B);
  const ys = niceStep(y1 - y0, 4);
  for (let v = Math.ceil(y0 / ys) * ys; v <= y1 + 1e-9 * ys; v += ys) {
    svg.append(svgEl("line", {x1: L, x2: W - R, y1: sy(v), y2: sy(v), stroke: "#eee"}));
    svgText(svg, L - 4, sy(v) + 4, tickLabel(v, ys), "end");
  }
  const xs = Math.max(niceStep(x1 - x0, 5), Number.isInteger(x0) && Number.isInteger(x1) ? 1 : 0);
  for (let v = Math.ceil(x0 / xs) * xs; v <= x1 + 1e-9 * xs; v += xs) svgText(svg, sx(v), H - B + 14, tickLabel(v, xs), "middle");
  svgText(svg, (L + W - R) / 2, H - 4, xlabel, "middle");
  svg.append(svgEl("line", {x1: L, x2: L, y1: T, y2: H - B, stroke: "#333"}), svgEl("line", {x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: "#333"}));
  for (const m of marks) {
    const resume = m.kind === "resume";
    if (m.x >= x0 && m.x <= x1) {
      svg.append(svgEl("line", {x1: sx(m.x), x2: sx(m.x), y1: T, y2: H - B, stroke: resume ? "#999" : "#d62728",
        "stroke-dasharray": resume ? "1 3" : "4 3", class: resume ? "resume-mark" : "rollback-mark"}));
    }
  }
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => isFinite(p[1])).map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(" ");
    svg.append(svgEl("polyline", {points: pts, fill: "none", stroke: s.color, "stroke-width": 1.6, "data-series": s.name}));
    if (s.points.length === 1) svg.append(svgEl("circle", {cx: sx(s.points[0][0]), cy: sy(s.points[0][1]), r: 3, fill: s.color}));
    svg.append(svgEl("rect", {x: place[i][0], y: place[i][1] - 4, width: 14, height: 3, fill: s.color}));
    svgText(svg, place[i][0] + 18, place[i][1], s.name);
  });
}

// palette colours series by index.
const palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

// drawGrid paints n images of shape [rows, cols, channels] (uint8, 0 = -1
// .. 255 = 1, channels last) on a canvas, cols a row.
function drawGrid(canvas, bytes, n, shape) {
  const [rows, cols, ch] = shape, dim = rows * cols * ch;
  const across = Math.ceil(Math.sqrt(n)), down = Math.ceil(n / across), pad = 2;
  const w = across * (cols + pad) + pad, h = down * (rows + pad) + pad;
  const img = new ImageData(w, h);
  img.data.fill(64);
  for (let k = 0; k < n; k++) {
    const ox = pad + (k % across) * (cols + pad), oy = pad + Math.floor(k / across) * (rows + pad);
    for (let i = 0; i < rows * cols; i++) {
      const o = ((oy + Math.floor(i / cols)) * w + ox + i % cols) * 4;
      for (let c = 0; c < 3; c++) img.data[o + c] = bytes[k * dim + i * ch + (ch === 3 ? c : 0)];
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

// imageBytes maps values in [-1, 1] to bytes as the streams send them.
const imageBytes = (v) => Uint8Array.from(v, (x) => Math.round((x + 1) * 127.5));
const b64bytes = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

// ---- navigation ----------------------------------------------------------

// A view's address is #view/argument?query: a run, or the runs compared,
// so that any view can be bookmarked.
const views = ["runs", "training", "compare", "explore", "evaluate"];
function parseHash() {
  const [path, query] = location.hash.slice(1).split("?");
  const [view, ...rest] = path.split("/");
  return {view: views.includes(view) ? view : "runs", arg: rest.map(decodeURIComponent), query: new URLSearchParams(query || "")};
}
function route() {
  const {view, arg, query} = parseHash();
  if (view !== "compare") compared = []; // read afresh when shown again
  for (const name of views) {
    $(name).hidden = name !== view;
    $("nav-" + name).classList.toggle("active", name === view);
  }
  if (view === "runs") loadRuns();
  if (view === "training") showRun(arg[0]);
  if (view === "compare") showComparison(arg[0] ? arg[0].split(",").filter(Boolean) : [], query);
  if (view === "explore") pickRun($("ex-run"), arg[0], selectModel);
  if (view === "evaluate") pickRun($("ev-run"), arg[0], (name) => listEvaluations(name, arg[1]));
}
addEventListener("hashchange", route);

// pickRun fills a select with the runs that have a checkpoint.
async function pickRun(select, want, then) {
  const runs = (await api("/api/runs").catch(() => [])).filter((r) => r.checkpoint && r.state !== "corrupt");
  const keep = want || select.value;
  select.replaceChildren(...runs.map((r) => el("option", {value: r.name}, `${r.name} (${r.state}, ${r.epoch}/${r.epochs} epochs)`)));
  if (runs.some((r) => r.name === keep)) select.value = keep;
  if (then && select.value) then(select.value);
}

// fmtTime is a date and time as the user reads them.
const fmtTime = (t) => new Date(t).toLocaleString([], {dateStyle: "medium", timeStyle: "short"});
