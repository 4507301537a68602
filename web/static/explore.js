// The Explore view: draw a digit, dream, inpaint on a trained model.
"use strict";

// ---- Explore -------------------------------------------------------------

let model = null; // /api/runs/NAME/model
const drawing = new Float32Array(PIXELS).fill(-1);

async function selectModel(name) {
  $("ex-error").textContent = "";
  try {
    model = await api(`/api/runs/${name}/model`);
    $("ex-info").textContent = `${model.arch}, ${model.weights === "ema" ? "moving average of the weights" : "trained weights"}, epoch ${model.epoch}, chains of ${model.chain_steps} steps`;
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

