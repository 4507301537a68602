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
  if (r.checkpoint && (r.state === "interrupted" || r.state === "failed")) {
    button("Resume", () => api(`/api/runs/${r.name}/resume`, {}).then(() => { location.hash = "#training"; }).catch((e) => alert(e.message)));
  }
  if (r.checkpoint && r.state !== "corrupt") {
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

