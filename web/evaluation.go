package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/ebm-project/ebm/eval"
	"github.com/ebm-project/ebm/internal/atomicfile"
	"github.com/ebm-project/ebm/run"
	"github.com/ebm-project/ebm/train"
)

// evaluateRequest sets how much an evaluation from the page draws.
type evaluateRequest struct {
	Samples int    `json:"samples"` // chains from noise, 100..10000 (0: 2000, a quick look)
	Weights string `json:"weights"` // "", "ema" or "trained"
}

const (
	minEvalSamples     = 100
	maxEvalSamples     = 10000
	defaultEvalSamples = 2000
	progressEvery      = 200 * time.Millisecond // progress lines of an evaluation
)

// evaluate runs `ebm eval` on a run's checkpoint, streaming its progress
// as newline-separated JSON, and keeps its eval.json and report.html in the
// run folder (run.Dir.NewEvaluation). It stops when the page goes away.
func (s *Server) evaluate(w http.ResponseWriter, r *http.Request) {
	var q evaluateRequest
	if err := readJSON(r, &q); err != nil {
		s.fail(w, http.StatusBadRequest, err)
		return
	}
	if q.Samples == 0 {
		q.Samples = defaultEvalSamples
	}
	if q.Samples < minEvalSamples || q.Samples > maxEvalSamples {
		s.fail(w, http.StatusBadRequest, fmt.Errorf("samples = %d: want %d to %d", q.Samples, minEvalSamples, maxEvalSamples))
		return
	}
	name := r.PathValue("name")
	dir, err := s.runDir(name)
	if err != nil {
		s.failRun(w, err)
		return
	}
	// The slot before the checkpoint: refused requests cost nothing, however
	// many come at once.
	release, ok := s.takeSlot(w, s.evals, "an evaluation is running: wait for it")
	if !ok {
		return
	}
	defer release()
	ck, err := train.LoadCheckpoint(run.Dir(dir).Checkpoint())
	if err != nil {
		s.fail(w, http.StatusConflict, (fmt.Errorf("run %q: %w", name, err)))
		return
	}
	if err := ck.UseWeights(q.Weights); err != nil {
		s.fail(w, http.StatusBadRequest, err)
		return
	}
	data, err := s.loadData()
	if err != nil {
		s.fail(w, http.StatusServiceUnavailable, err)
		return
	}
	if err := data.fits(name, ck); err != nil {
		s.fail(w, http.StatusConflict, err)
		return
	}
	judge, err := eval.FindJudge(data.Data, "")
	if err != nil {
		s.fail(w, http.StatusConflict, err)
		return
	}
	ctx, done := s.workContext(r)
	defer done()
	out := s.newLineStream(w, done)
	o := eval.DefaultOptions(ck)
	o.Samples = q.Samples
	var last time.Time
	var lastStage string
	o.Progress = func(stage string, done, total int) { // from the sampler's workers
		out.mu.Lock()
		defer out.mu.Unlock()
		if now := time.Now(); stage != lastStage || now.Sub(last) > progressEvery || done == total {
			last, lastStage = now, stage
			out.sendLocked(map[string]any{"stage": stage, "done": done, "total": total})
		}
	}
	rep, err := eval.Evaluate(ctx, ck, eval.Data{Name: data.Name, Train: data.Train, Test: data.Test, OOD: data.ood, Judge: judge}, o)
	if err != nil {
		if ctx.Err() == nil {
			out.send(apiError{Error: s.scrub(err)})
		}
		return
	}
	e, err := run.Dir(dir).NewEvaluation(time.Now())
	var js, page []byte
	if err == nil {
		js, err = rep.JSON()
	}
	if err == nil {
		page, err = rep.HTML(name+"/checkpoint.ebm", ck.Model.Arch)
	}
	// The report first: an evaluation is listed once its figures are written.
	if err == nil {
		err = atomicfile.WriteFile(e.Report, page)
	}
	if err == nil {
		err = atomicfile.WriteFile(e.JSON, js)
	}
	if err != nil {
		out.send(apiError{Error: s.scrub(err)})
		return
	}
	info, err := readEvaluation(name, e)
	if err != nil {
		out.send(apiError{Error: s.scrub(err)})
		return
	}
	out.send(map[string]any{"done": true, "evaluation": info, "report": info.Report, "figures": rep})
}
