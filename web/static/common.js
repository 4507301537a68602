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
  const runs = (await api("/api/runs").catch(() => [])).filter((r) => r.checkpoint && r.state !== "corrupt");
  const keep = want || select.value;
  select.replaceChildren(...runs.map((r) => el("option", {value: r.name}, `${r.name} (${r.state}, ${r.epoch}/${r.epochs} epochs)`)));
  if (runs.some((r) => r.name === keep)) select.value = keep;
  if (then && select.value) then(select.value);
}

