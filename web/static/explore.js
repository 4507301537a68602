// The Explore view: draw an image, dream, inpaint on a trained model of any
// image shape (model.shape: rows, cols, channels).
"use strict";

// ---- Explore -------------------------------------------------------------

let model = null; // /api/runs/NAME/model
let shape = [28, 28, 1]; // the model's images
const pixels = () => shape[0] * shape[1];
let drawing = new Float32Array(pixels()).fill(-1); // grey, one value a pixel

// withChannels repeats grey pixels in every channel of the model's images.
function withChannels(grey) {
  const ch = shape[2], out = new Array(grey.length * ch);
  for (let i = 0; i < grey.length; i++) for (let c = 0; c < ch; c++) out[i * ch + c] = grey[i];
  return out;
}

async function selectModel(name) {
  $("ex-error").textContent = "";
  try {
    model = await api(`/api/runs/${name}/model`);
    if (model.shape.join() !== shape.join()) {
      shape = model.shape;
      ip.pixels = new Float32Array(pixels() * shape[2]).fill(-1); ip.mask = new Array(pixels()).fill(false);
      showInpaint();
    }
    $("ip-index").max = model.test_images - 1;
    $("dr-class").replaceChildren(el("option", {value: ""}, "E(x): any class"),
      ...model.classes.map((c, k) => el("option", {value: k}, `E(x, y=${k}): ${c}`)));
    $("ex-info").textContent = `${model.data}, ${model.shape.join("x")}; ${model.arch}, ${model.weights === "ema" ? "moving average of the weights" : "trained weights"}, epoch ${model.epoch}, chains of ${model.chain_steps} steps`;
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

// The drawing canvas: 280x280 strokes, averaged down to the model's size.
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
  const px = drawCtx.getImageData(0, 0, 280, 280).data, [rows, cols] = shape;
  drawing = new Float32Array(rows * cols);
  for (let i = 0; i < rows * cols; i++) {
    const y0 = Math.floor(Math.floor(i / cols) * 280 / rows), y1 = Math.floor((Math.floor(i / cols) + 1) * 280 / rows);
    const x0 = Math.floor((i % cols) * 280 / cols), x1 = Math.floor((i % cols + 1) * 280 / cols);
    let s = 0;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) s += px[(y * 280 + x) * 4];
    drawing[i] = s / ((y1 - y0) * (x1 - x0)) / 127.5 - 1;
  }
  if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; predictDrawing(); }); }
}

async function predictDrawing() {
  if (!model) return;
  if (drawing.length !== pixels()) sampleDrawing();
  try {
    const p = await api(`/api/runs/${model.name}/predict`, {pixels: withChannels(drawing)});
    drawBars(p);
    drawHist(p.energy);
  } catch (e) { $("ex-error").textContent = e.message; }
}

function drawBars(p) {
  const svg = $("bars"); svg.replaceChildren();
  const W = 300, H = 200, step = (W - 20) / p.probs.length, bw = step * 0.85;
  p.probs.forEach((v, k) => {
    const h = v * (H - 40), x = 10 + k * step, name = model.classes[k];
    const bar = svgEl("rect", {x, y: H - 22 - h, width: bw, height: h, fill: k === p.label ? "#d62728" : "#1f77b4", "data-class": k});
    bar.append(svgEl("title", {}, `${name}: ${v.toFixed(3)}`));
    svg.append(bar);
    svgText(svg, x + bw / 2, H - 8, name.length * 6 > step ? name.slice(0, Math.max(1, Math.floor(step / 6))) : name, "middle");
    if (v > 0.05) svgText(svg, x + bw / 2, H - 26 - h, v.toFixed(2), "middle");
  });
  svgText(svg, W - 8, 14, `E(x) = ${p.energy.toFixed(2)}; ${model.classes[p.label]}`, "end");
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
      drawGrid(canvas, b64bytes(m.pixels), chains, shape);
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

$("dr-start").onclick = () => {
  if (!model) return;
  const body = {chains: +$("dr-chains").value, langevin_steps: +$("dr-steps").value, langevin_alpha: +$("dr-alpha").value,
    langevin_sigma: +$("dr-sigma").value, frames: 100, fps: 30, seed: Math.floor(Math.random() * 2 ** 31)};
  if ($("dr-class").value !== "") body.class = +$("dr-class").value;
  if ($("dr-from").value === "drawing") body.start = withChannels(drawing);
  runChains(body, $("dream"), $("dr-status"), $("dr-trace"));
};
$("dr-stop").onclick = () => dreamAbort && dreamAbort.abort();

// Inpainting: a test image (or the drawing) with an erasing brush; the mask
// is per pixel, all of a pixel's channels move together.
const ip = {pixels: new Float32Array(pixels() * shape[2]).fill(-1), mask: new Array(pixels()).fill(false)};
const ipCtx = $("inpaint").getContext("2d");
function showInpaint() {
  const [rows, cols, ch] = shape, img = ipCtx.createImageData(cols, rows);
  for (let i = 0; i < rows * cols; i++) {
    const o = i * 4;
    for (let c = 0; c < 3; c++) img.data[o + c] = Math.round((ip.pixels[i * ch + (ch === 3 ? c : 0)] + 1) * 127.5);
    if (ip.mask[i]) { img.data[o] = 200; img.data[o + 1] = 40; img.data[o + 2] = 60; }
    img.data[o + 3] = 255;
  }
  const tmp = el("canvas", {width: cols, height: rows});
  tmp.getContext("2d").putImageData(img, 0, 0);
  ipCtx.imageSmoothingEnabled = false;
  ipCtx.clearRect(0, 0, 280, 280);
  ipCtx.drawImage(tmp, 0, 0, 280, 280);
}
async function loadDigit(i) {
  try {
    const d = await api(`/api/digits/${i}`);
    ip.pixels = Float32Array.from(d.pixels); ip.mask.fill(false);
    $("ip-index").value = d.index;
    $("ip-status").textContent = `test image ${d.index}: ${d.class}`;
    showInpaint();
  } catch (e) { $("ip-status").textContent = e.message; }
}
let erasing = false, lastErase = null;
// erase marks the brush's square under the pointer, and along the way from
// the last point, as pixels the chains fill.
function erase(ev) {
  const r = $("inpaint").getBoundingClientRect(), b = +$("ip-brush").value;
  const [rows, cols] = shape, p = [(ev.clientX - r.left) / r.width * cols, (ev.clientY - r.top) / r.height * rows];
  const from = lastErase || p, n = Math.max(1, Math.ceil(Math.hypot(p[0] - from[0], p[1] - from[1])));
  for (let k = 0; k <= n; k++) {
    const cx = Math.floor(from[0] + (p[0] - from[0]) * k / n), cy = Math.floor(from[1] + (p[1] - from[1]) * k / n);
    for (let y = cy - b + 1; y < cy + b; y++) for (let x = cx - b + 1; x < cx + b; x++) if (x >= 0 && y >= 0 && x < cols && y < rows) ip.mask[y * cols + x] = true;
  }
  lastErase = p;
  showInpaint();
}
$("inpaint").onpointerdown = (ev) => { erasing = true; lastErase = null; $("inpaint").setPointerCapture(ev.pointerId); erase(ev); };
$("inpaint").onpointermove = (ev) => { if (erasing) erase(ev); };
$("inpaint").onpointerup = () => { erasing = false; };
$("ip-load").onclick = () => loadDigit(+$("ip-index").value);
$("ip-random").onclick = () => loadDigit(Math.floor(Math.random() * (model ? model.test_images : 10000)));
$("ip-drawing").onclick = () => { ip.pixels = Float32Array.from(withChannels(drawing)); ip.mask.fill(false); $("ip-status").textContent = "your drawing"; showInpaint(); };
$("ip-reset").onclick = () => { ip.mask.fill(false); showInpaint(); };
$("ip-fill").onclick = () => {
  if (!model) return;
  if (!ip.mask.includes(true)) { $("ip-status").textContent = "erase some pixels first"; return; }
  runChains({chains: 16, langevin_steps: +$("dr-steps").value, frames: 100, fps: 30, start: Array.from(ip.pixels), mask: ip.mask.flatMap((m) => new Array(shape[2]).fill(m)),
    seed: Math.floor(Math.random() * 2 ** 31)}, $("ip-result"), $("ip-status"), null);
};

