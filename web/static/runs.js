// The Runs view: every run folder, and the form that starts a new one.
"use strict";

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

const ticked = new Set(); // runs ticked for comparison

async function loadRuns() {
  try {
    const runs = await api("/api/runs");
    $("runs-error").textContent = "";
    $("runs-empty").hidden = runs.length > 0;
    $("run-table").hidden = runs.length === 0;
    $("compare-selected").parentElement.hidden = runs.length < 2;
    for (const name of [...ticked]) if (!runs.some((r) => r.name === name)) ticked.delete(name);
    $("run-table").tBodies[0].replaceChildren(...runs.map(runRow));
    showTicked();
  } catch (e) { $("runs-error").textContent = e.message; }
}

function showTicked() {
  $("compare-selected").disabled = ticked.size < 2;
  $("compare-selected").textContent = ticked.size >= 2 ? `Compare the ${ticked.size} runs ticked` : "Compare the runs ticked";
}
$("compare-selected").onclick = () => { location.hash = `#compare/${[...ticked].map(encodeURIComponent).join(",")}`; };

function runRow(r) {
  const acc = r.last ? (r.last.val_acc_ema || r.last.val_acc) : undefined;
  const href = `#training/${encodeURIComponent(r.name)}`;
  const thumb = r.samples ? el("a", {href}, el("img", {class: "thumb", src: `/api/runs/${encodeURIComponent(r.name)}/files/${r.samples}?t=${Date.parse(r.modified)}`, alt: "samples"})) : "";
  const tick = el("input", {type: "checkbox", "aria-label": `compare ${r.name}`, class: "tick"});
  tick.checked = ticked.has(r.name);
  tick.onchange = () => { if (tick.checked) ticked.add(r.name); else ticked.delete(r.name); showTicked(); };
  const actions = el("td", {class: "actions"});
  const button = (label, fn) => actions.append(el("button", {onclick: fn}, label), " ");
  button("History", () => { location.hash = href; });
  if (r.checkpoint && (r.state === "interrupted" || r.state === "failed")) {
    button("Resume", () => api(`/api/runs/${encodeURIComponent(r.name)}/resume`, {}).then(() => { location.hash = href; }).catch((e) => { $("runs-error").textContent = e.message; }));
  }
  if (r.checkpoint && r.state !== "corrupt") {
    button("Explore", () => { location.hash = `#explore/${encodeURIComponent(r.name)}`; });
    button("Evaluate", () => { location.hash = `#evaluate/${encodeURIComponent(r.name)}`; });
  }
  return el("tr", {"data-run": r.name}, el("td", {}, tick), el("td", {}, thumb),
    el("td", {}, el("a", {href, class: "run-name"}, r.name), r.error ? el("div", {class: "error"}, r.error) : ""),
    el("td", {}, el("span", {class: "state " + r.state}, r.state)), el("td", {}, `${r.epoch} / ${r.epochs}`),
    el("td", {}, acc ? (100 * acc).toFixed(2) + "%" : "-"), el("td", {class: "hint"}, recipeDiff(r.recipe)), actions);
}

async function setupForm() {
  settings = await api("/api/settings");
  $("data-error").hidden = !settings.data.error;
  $("data-error").textContent = settings.data.error ? `This server has no data set (${settings.data.error}): it lists runs, but trains, explores and evaluates nothing. Start it again with --data_dir (or $EBM_DATA) set.` : "";
  const preset = $("new-preset");
  preset.replaceChildren(...settings.presets.map((p) => el("option", {value: p.name}, p.name)));
  const rows = [...settings.recipe, ...settings.options].map((s) => {
    const input = s.type === "bool" ? el("input", {type: "checkbox", "data-key": s.key}) : el("input", {type: "text", "data-key": s.key});
    return el("tr", {}, el("td", {class: "key"}, el("label", {}, "--" + s.key)), el("td", {}, input), el("td", {class: "hint"}, s.help), el("td", {class: "error", "data-field": s.key}));
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
  // given is what the form sets beyond its preset.
  const given = () => {
    const p = settings.presets.find((x) => x.name === preset.value), out = {};
    for (const s of [...settings.recipe, ...settings.options]) {
      const input = document.querySelector(`#settings-table [data-key="${s.key}"]`);
      const v = input.type === "checkbox" ? String(input.checked) : input.value.trim();
      if (v !== (p.values[s.key] ?? s.default)) out[s.key] = v;
    }
    return out;
  };
  $("new-estimate").onclick = async () => {
    $("estimate").textContent = "measuring a few steps of this recipe on this machine…";
    $("new-estimate").disabled = true;
    try {
      const e = await api("/api/estimate", {preset: preset.value, settings: given()});
      $("estimate").textContent = `about ${duration(e.seconds)} on this machine: ${e.steps} steps of ${(1000 * e.step_seconds).toFixed(0)} ms` +
        ` and ${e.validation_seconds < 10 ? e.validation_seconds.toFixed(1) + " s" : duration(e.validation_seconds)} of validation an epoch, measured just now on ${e.workers} worker(s)`;
    } catch (err) { $("estimate").textContent = err.message; }
    $("new-estimate").disabled = false;
  };
  $("new-run").onsubmit = async (ev) => {
    ev.preventDefault();
    document.querySelectorAll("#new-run .error").forEach((e) => { e.textContent = ""; });
    try {
      const name = $("new-name").value.trim();
      await api("/api/runs", {name, preset: preset.value, settings: given()});
      location.hash = `#training/${encodeURIComponent(name)}`;
    } catch (e) {
      // Every bad field at once, next to its field; the first one in view.
      const marked = [];
      for (const f of e.errors || [{field: e.field, error: e.message}]) {
        const where = f.field && document.querySelector(`#new-run .error[data-field="${f.field}"]`);
        (where || $("new-error")).textContent = f.error;
        marked.push(where || $("new-error"));
      }
      marked.sort((a, b) => a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1);
      marked[0].scrollIntoView({block: "center"});
    }
  };
}

