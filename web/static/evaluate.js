// The Evaluate view: ebm eval from the page, with its progress.
"use strict";

// ---- Evaluate ------------------------------------------------------------

let evalAbort = null;

// listEvaluations lists the run's kept evaluations and opens one (id), or
// the newest, in the frame: no evaluation runs again to be seen.
async function listEvaluations(name, id) {
  try {
    const h = await api(`/api/runs/${encodeURIComponent(name)}/history`);
    const pick = h.evaluations.find((e) => e.id === id) || (id ? null : h.evaluations[0]);
    showEvaluations($("ev-list"), $("ev-list-empty"), h, true, pick && pick.id);
    if (pick && pick.report) showReport(pick);
    else if (!evalAbort) $("ev-report").hidden = true;
  } catch (e) { $("ev-error").textContent = e.message; }
}
$("ev-run").onchange = () => { location.hash = `#evaluate/${encodeURIComponent($("ev-run").value)}`; };

function showReport(e) {
  const src = e.report + "?t=" + Date.parse(e.time);
  if ($("ev-report").getAttribute("src") !== src) $("ev-report").src = src;
  $("ev-report").hidden = false;
  $("ev-report").dataset.evaluation = e.id;
  if (!evalAbort) {
    $("ev-bar").style.width = "0";
    $("ev-status").textContent = `the evaluation of ${fmtTime(e.time)}: epoch ${e.epoch || "?"}, ${e.weights} weights, ${e.generation.samples} chains; accuracy ${fmt(e.accuracy)}, ECE ${fmt(e.ece)}, FID ${fmt(e.fid, 1)}`;
  }
}
$("ev-start").onclick = async () => {
  const name = $("ev-run").value;
  if (!name) return;
  if (evalAbort) return; // one at a time: the button is disabled meanwhile
  const ctl = new AbortController();
  evalAbort = ctl;
  $("ev-start").disabled = true;
  $("ev-error").textContent = ""; $("ev-report").hidden = true; $("ev-bar").style.width = "0";
  let stage = "", since = 0, ticker = 0;
  const stages = ["classification", "out-of-distribution", "samples", "FID", "conditional samples", "animation", "inpainting"];
  try {
    await stream(`/api/runs/${name}/evaluate`, {samples: +$("ev-samples").value, weights: $("ev-weights").value}, (m) => {
      if (m.error) throw new Error(m.error);
      if (m.stage) {
        // A stage of one part (the FID) says how long it has taken, not "0 of 1".
        if (m.stage !== stage) { stage = m.stage; since = performance.now(); }
        const k = stages.indexOf(m.stage), frac = (k + (m.total ? m.done / m.total : 0)) / stages.length;
        $("ev-bar").style.width = (100 * frac).toFixed(1) + "%";
        $("ev-status").textContent = m.total > 1 ? `${m.stage}: ${m.done} of ${m.total}` : `${m.stage}…`;
        clearInterval(ticker);
        if (m.total <= 1 && m.done < m.total) ticker = setInterval(() => { $("ev-status").textContent = `${stage}… ${((performance.now() - since) / 1000).toFixed(0)} s`; }, 1000);
      }
      if (m.done === true) {
        clearInterval(ticker);
        $("ev-bar").style.width = "100%";
        const e = m.evaluation;
        location.hash = `#evaluate/${encodeURIComponent(name)}/${e.id}`;
        $("ev-status").textContent = `accuracy ${fmt(e.accuracy)}, ECE ${fmt(e.ece)}, FID ${fmt(e.fid, 1)}, conditional accuracy ${fmt(e.cond_accuracy)}, coverage ${fmt(e.class_coverage)}; kept in the run folder under evaluations/${e.id}`;
      }
    }, ctl.signal);
  } catch (e) {
    if (e.name !== "AbortError") $("ev-error").textContent = e.message;
  } finally {
    clearInterval(ticker);
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
