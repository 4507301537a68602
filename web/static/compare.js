// The Compare view: runs side by side, their curves overlaid on shared axes
// and a table of their recipes, times and latest evaluations. The runs, the
// x axis and the sort are in the address (#compare/a,b?x=epoch&sort=fid).
"use strict";

// ---- Compare -------------------------------------------------------------

let compared = []; // the runs' /history, in the address's order

// The synthetic OOD sets every evaluation has; the table shows the real one.
const synthetic = ["gaussian", "uniform", "inverted"];
const oodSet = (e) => e && e.ood_score_auroc ? Object.keys(e.ood_score_auroc).find((k) => !synthetic.includes(k)) : undefined;

const columns = [
  {key: "name", label: "run", value: (h) => h.name},
  {key: "recipe", label: "recipe (what differs from the default)", value: (h) => recipeDiff(h.recipe)},
  {key: "time", label: "training time", value: (h) => h.seconds, show: duration},
  {key: "epochs", label: "epochs", value: (h) => h.epoch},
  {key: "val_acc", label: "last validation accuracy", value: (h) => h.history.length ? (h.history.at(-1).val_acc_ema || h.history.at(-1).val_acc) : undefined, show: (v) => (100 * v).toFixed(2) + "%"},
  {key: "accuracy", label: "accuracy", eval: "accuracy", show: (v) => (100 * v).toFixed(2) + "%"},
  {key: "ece", label: "ECE", eval: "ece", show: (v) => (100 * v).toFixed(2) + "%", low: true},
  {key: "fid", label: "FID", eval: "fid", show: (v) => v.toFixed(1), low: true},
  {key: "cond_accuracy", label: "conditional accuracy", eval: "cond_accuracy", show: (v) => (100 * v).toFixed(2) + "%"},
  {key: "class_coverage", label: "coverage", eval: "class_coverage", show: (v) => v.toFixed(4)},
  {key: "ood", label: "OOD AUROC", value: (h) => { const e = h.evaluations[0], s = oodSet(e); return s ? e.ood_score_auroc[s] : undefined; },
    show: (v) => v.toFixed(4), title: (h) => { const e = h.evaluations[0], s = oodSet(e); return s ? `${e.ood_score} against ${s}` : ""; }},
  {key: "inpaint", label: "inpainting", eval: "inpaint_accuracy", show: (v) => (100 * v).toFixed(1) + "%"},
];
const cell = (c, h) => c.eval ? (h.evaluations[0] ? h.evaluations[0][c.eval] : undefined) : c.value(h);

async function showComparison(names, query) {
  $("cmp-none").hidden = names.length > 0;
  $("cmp-body").hidden = names.length === 0;
  if (!names.length) return;
  $("cmp-x").value = query.get("x") === "epoch" ? "epoch" : "step";
  if (names.join() === compared.map((h) => h.name).join()) { drawComparison(query); return; } // a new sort or axis only
  const got = await Promise.all(names.map((n) => api(`/api/runs/${encodeURIComponent(n)}/history`).catch((e) => ({name: n, error: e.message}))));
  compared = got;
  drawComparison(query);
}

// setQuery changes the address's query, keeping the runs.
function setQuery(changes) {
  const {arg, query} = parseHash();
  for (const [k, v] of Object.entries(changes)) if (v === null) query.delete(k); else query.set(k, v);
  location.hash = `#compare/${arg[0] || ""}${query.toString() ? "?" + query : ""}`;
}
$("cmp-x").onchange = () => setQuery({x: $("cmp-x").value === "epoch" ? "epoch" : null});

function drawComparison(query) {
  const ok = compared.filter((h) => !h.error), sort = query.get("sort"), desc = query.get("desc") === "1";
  const col = columns.find((c) => c.key === sort);
  const rows = compared.slice();
  if (col) {
    rows.sort((a, b) => {
      const va = a.error ? undefined : cell(col, a), vb = b.error ? undefined : cell(col, b);
      if (va === undefined || vb === undefined) return (va === undefined) - (vb === undefined); // missing last
      const c = typeof va === "string" ? va.localeCompare(vb) : va - vb;
      return desc ? -c : c;
    });
  }
  const colour = (name) => palette[compared.findIndex((h) => h.name === name) % palette.length];
  const head = el("tr", {}, ...columns.map((c) => {
    const th = el("th", {"data-key": c.key, class: "sortable" + (c.key === sort ? (desc ? " desc" : " asc") : "")}, c.label);
    th.onclick = () => setQuery({sort: c.key, desc: c.key === sort && !desc ? "1" : null});
    return th;
  }));
  $("cmp-table").tHead.replaceChildren(head);
  $("cmp-table").tBodies[0].replaceChildren(...rows.map((h) => {
    if (h.error) return el("tr", {"data-run": h.name}, el("td", {}, h.name), el("td", {class: "error", colspan: columns.length - 1}, h.error));
    return el("tr", {"data-run": h.name}, ...columns.map((c) => {
      const v = cell(c, h), td = el("td", {title: c.title ? c.title(h) : ""});
      if (c.key === "name") td.append(el("span", {class: "swatch", style: `background:${colour(h.name)}`}), el("a", {href: `#training/${encodeURIComponent(h.name)}`}, h.name));
      else td.append(v === undefined || v === "" ? "-" : c.show ? c.show(v) : String(v));
      if (c.key === "recipe") td.className = "hint";
      return td;
    }));
  }));
  const x = $("cmp-x").value;
  const curve = (key, f = (p) => p[key]) => ok.map((h) => ({name: h.name, color: colour(h.name), points: h.points.map((p) => [x === "epoch" ? p.epoch : p.step, f(p)])}));
  const marks = ok.flatMap((h) => runMarks(h, x));
  lineChart($("cmp-loss"), curve("train_loss"), {xlabel: x, marks});
  lineChart($("cmp-ce"), curve("train_ce"), {xlabel: x, marks});
  lineChart($("cmp-gap"), curve("gap", (p) => p.e_real - p.e_sample), {xlabel: x, marks});
  lineChart($("cmp-lr"), curve("lr"), {xlabel: x, marks, ylo: 0});
  lineChart($("cmp-acc"), ok.map((h) => ({name: h.name, color: colour(h.name), points: h.history.map((m) => [m.epoch, m.val_acc_ema || m.val_acc])})), {xlabel: "epoch"});
}
