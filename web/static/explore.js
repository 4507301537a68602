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

// The drawing canvas: 280x280 strokes, framed by the server as the data
// set's images were (mnist.Data.FrameDrawing).
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

// sampleDrawing sends the canvas's ink at half its size (a byte a pixel)
// to be framed as the data set's images were; the image the model saw
// comes back with the prediction.
let inkNow = null;
function sampleDrawing() {
  const px = drawCtx.getImageData(0, 0, 280, 280).data, ink = new Uint8Array(140 * 140);
  for (let y = 0; y < 140; y++) {
    for (let x = 0; x < 140; x++) {
      const o = (2 * y * 280 + 2 * x) * 4;
      ink[y * 140 + x] = (px[o] + px[o + 4] + px[o + 280 * 4] + px[o + 280 * 4 + 4] + 2) >> 2;
    }
  }
  inkNow = ink;
  if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; predictDrawing(); }); }
}

async function predictDrawing() {
  if (!model) return;
  if (!inkNow) sampleDrawing();
  try {
    const p = await api(`/api/runs/${model.name}/predict`, {drawing: {width: 140, height: 140, ink: btoa(String.fromCharCode(...inkNow))}});
    drawing = Float32Array.from({length: pixels()}, (_, i) => p.pixels[i * shape[2]]);
    drawGrid($("seen"), imageBytes(p.pixels), 1, shape);
    const blank = !inkNow.some((v) => v > 25);
    $("seen-note").textContent = `${shape[0]}x${shape[1]}${model.framed ? ", framed as MNIST's digits: 20x20 box, centre of mass in the middle" : ", the canvas averaged down"}; ` +
      (blank ? "nothing drawn yet" : `read as ${model.classes[p.label]} (${p.probs[p.label].toFixed(2)})`);
    $("seen").dataset.label = blank ? "" : model.classes[p.label];
    drawBars(p);
    drawHist(p.energy);
  } catch (e) { $("ex-error").textContent = e.message; }
}

function drawBars(p) {
  const svg = $("bars"); svg.replaceChildren();
  svg.setAttribute("viewBox", "0 0 300 200");
  const W = 300, H = 200, step = (W - 20) / p.probs.length, bw = step * 0.85;
  p.probs.forEach((v, k) => {
    const h = v * (H - 54), x = 10 + k * step, name = model.classes[k];
    const bar = svgEl("rect", {x, y: H - 22 - h, width: bw, height: h, fill: k === p.label ? "#d62728" : "#1f77b4", "data-class": k});
    bar.append(svgEl("title", {}, `${name}: ${v.toFixed(3)}`));
    svg.append(bar);
    svgText(svg, x + bw / 2, H - 8, name.length * 6 > step ? name.slice(0, Math.max(1, Math.floor(step / 6))) : name, "middle");
    if (v > 0.05) svgText(svg, x + bw / 2, H - 26 - h, v.toFixed(2), "middle");
  });
  svgText(svg, W - 8, 14, `E(x) = ${p.energy.toFixed(2)}; ${model.classes[p.label]}`, "end");
}

// drawHist draws the energies of the data sets (symlog axis) and marks the
// drawing's.
function drawHist(energy) {
  const svg = $("hist"); svg.replaceChildren();
  const W = 420, H = 170, L = 24, R = 24, B = 30, T = 12 + 13 * model.histograms.length, colors = ["#1f77b4", "#d62728", "#2ca02c"];
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  if (!model.histograms.length) return;
  // The axis spans the data's energies and the drawing's, with a margin.
  let {lo, hi} = model.histograms[0];
  const e = symlog(energy), span = Math.max(hi - lo, 0.5);
  lo = Math.min(lo, e) - 0.05 * span; hi = Math.max(hi, e) + 0.05 * span;
  const sx = (v) => L + (v - lo) / (hi - lo) * (W - L - R);
  model.histograms.forEach((h, i) => {
    const peak = Math.max(...h.counts), bw = (h.hi - h.lo) / h.counts.length;
    const pts = h.counts.map((c, k) => `${sx(h.lo + k * bw)},${H - B - c / peak * (H - B - T)} ${sx(h.lo + (k + 1) * bw)},${H - B - c / peak * (H - B - T)}`);
    svg.append(svgEl("polyline", {points: `${sx(h.lo)},${H - B} ${pts.join(" ")} ${sx(h.hi)},${H - B}`, fill: colors[i % 3], "fill-opacity": 0.25, stroke: colors[i % 3]}));
    svg.append(svgEl("rect", {x: W - 200, y: 6 + i * 13, width: 10, height: 3, fill: colors[i % 3]}));
    svgText(svg, W - 186, 11 + i * 13, `${h.name} (median ${h.median.toFixed(1)})`);
  });
  svg.append(svgEl("line", {x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: "#333"}));
  // Ticks at 0, ±1, ±3, ±10, ±30, ... and, for a narrow range, round
  // energies within it: those on the axis, spaced apart.
  const unlog = (v) => Math.sign(v) * (10 ** Math.abs(v) - 1), elo = unlog(lo), ehi = unlog(hi), step = niceStep(ehi - elo, 5);
  const ticks = [0];
  for (let m = 1; m < 1e7; m *= 10) ticks.push(m, 3 * m, -m, -3 * m);
  for (let v = Math.ceil(elo / step) * step; v <= ehi; v += step) ticks.push(+v.toPrecision(6));
  let lastX = -Infinity;
  for (const v of ticks.filter((v) => symlog(v) >= lo && symlog(v) <= hi).sort((a, b) => a - b)) {
    const x = sx(symlog(v));
    if (x - lastX < 28) continue;
    lastX = x;
    svg.append(svgEl("line", {x1: x, x2: x, y1: H - B, y2: H - B + 4, stroke: "#333", class: "tick"}));
    svgText(svg, x, H - B + 15, tickLabel(v), "middle");
  }
  const x = sx(e);
  svg.append(svgEl("line", {x1: x, x2: x, y1: T - 4, y2: H - B, stroke: "#000", "stroke-width": 2, id: "hist-marker"}));
  svgText(svg, x > W / 2 ? x - 4 : x + 4, T + 8, `your drawing: ${energy.toFixed(1)}`, x > W / 2 ? "end" : "start");
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
    status.textContent += "; done";
  } catch (e) {
    if (e.name !== "AbortError") status.textContent = e.message;
    else status.textContent = energies.length ? `stopped at step ${energies.at(-1)[0]}, mean energy ${energies.at(-1)[1].toFixed(2)}` : "stopped";
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

