// The Evaluate view: ebm eval from the page, with its progress.
"use strict";

// ---- Evaluate ------------------------------------------------------------

let evalAbort = null;
$("ev-start").onclick = async () => {
  const name = $("ev-run").value;
  if (!name) return;
  if (evalAbort) return; // one at a time: the button is disabled meanwhile
  const ctl = new AbortController();
  evalAbort = ctl;
  $("ev-start").disabled = true;
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
  } finally {
    evalAbort = null;
    $("ev-start").disabled = false;
  }
};


// A page that goes away (or into the back/forward cache) stops its dream
// and its evaluation: it holds no connection while hidden.
addEventListener("pagehide", () => {
  if (dreamAbort) dreamAbort.abort();
  if (evalAbort) evalAbort.abort();
});

// ---- start ---------------------------------------------------------------

setupForm().then(route).catch((e) => { $("runs-error").textContent = e.message; });
watchTraining();
setInterval(() => { if (!$("runs").hidden) loadRuns(); }, 5000);
