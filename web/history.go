package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/ebm-project/ebm/run"
	"github.com/ebm-project/ebm/train"
)

// A run's whole story, from its folder alone: the page shows any run,
// live or finished, after restarts and across resumes.

// runHistory is everything the page shows of one run.
type runHistory struct {
	Name string `json:"name"`
	train.RunInfo
	Metrics     []train.EpochMetrics `json:"history"` // metrics.jsonl: an entry an epoch
	Points      []run.Point          `json:"points"`  // curve.jsonl, at most maxPoints
	Marks       []run.Mark           `json:"marks"`
	Grids       []sampleGrid         `json:"grids"`
	Evaluations []evaluationInfo     `json:"evaluations"`
	Seconds     float64              `json:"seconds"` // training time, the epochs' sum
	Resumable   bool                 `json:"resumable"`
}

type sampleGrid struct {
	Epoch int    `json:"epoch"`
	File  string `json:"file"`
}

// evaluationInfo is one kept evaluation: when, with what, its figures.
type evaluationInfo struct {
	ID     string    `json:"id"`
	Time   time.Time `json:"time"`
	Report string    `json:"report,omitempty"` // URL, if it wrote one
	JSON   string    `json:"json"`
	evalFigures
}

// evalFigures are the figures of eval.json the page lists and compares.
type evalFigures struct {
	Epoch      int    `json:"epoch"`
	Weights    string `json:"weights"`
	Generation struct {
		Samples       int `json:"samples"`
		LangevinSteps int `json:"langevin_steps"`
	} `json:"generation"`
	Accuracy        float64            `json:"accuracy"`
	ECE             float64            `json:"ece"`
	FID             float64            `json:"fid"`
	FIDFloor        float64            `json:"fid_floor"`
	CondAccuracy    float64            `json:"cond_accuracy"`
	ClassCoverage   float64            `json:"class_coverage"`
	InpaintAccuracy float64            `json:"inpaint_accuracy"`
	OODScore        string             `json:"ood_score"`
	OODScoreAUROC   map[string]float64 `json:"ood_score_auroc"`
}

// maxPoints bounds the points sent of one run: a chart is a few hundred
// pixels wide.
const maxPoints = 2000

// maxEvalJSON bounds eval.json as read.
const maxEvalJSON = 16 << 20

func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	sum, dir, ok := s.inspect(w, r)
	if !ok {
		return
	}
	name, info, d := sum.Name, sum.RunInfo, run.Dir(dir)
	h := runHistory{Name: name, RunInfo: info, Grids: []sampleGrid{}, Evaluations: []evaluationInfo{},
		Resumable: info.Checkpoint && info.State != run.Corrupt && info.State != run.Running}
	var err error
	if h.Metrics, err = train.ReadMetrics(d.Metrics()); err != nil {
		s.fail(w, http.StatusInternalServerError, err)
		return
	}
	for _, m := range h.Metrics {
		h.Seconds += m.Seconds
	}
	curve, err := d.ReadCurve()
	if err != nil {
		s.fail(w, http.StatusInternalServerError, err)
		return
	}
	h.Points, h.Marks = thin(curve.Points, maxPoints), curve.Marks
	for _, f := range d.SampleGrids() {
		e, _ := strconv.Atoi(gridEpoch.FindStringSubmatch(f)[1])
		h.Grids = append(h.Grids, sampleGrid{e, f})
	}
	for _, e := range d.Evaluations() {
		if info, err := readEvaluation(name, e); err == nil {
			h.Evaluations = append(h.Evaluations, info)
		}
	}
	writeJSON(w, http.StatusOK, h)
}

var gridEpoch = regexp.MustCompile(`([0-9]+)\.png$`)

// thin averages runs of consecutive points so that at most n are left,
// each at the step of the last it averages.
func thin(ps []run.Point, n int) []run.Point {
	if len(ps) <= n {
		return ps
	}
	out := make([]run.Point, 0, n)
	for i := range n {
		lo, hi := i*len(ps)/n, (i+1)*len(ps)/n
		var p run.Point
		for _, q := range ps[lo:hi] {
			p.Loss, p.CE, p.EReal, p.ESample, p.LR = p.Loss+q.Loss, p.CE+q.CE, p.EReal+q.EReal, p.ESample+q.ESample, p.LR+q.LR
		}
		k := float64(hi - lo)
		last := ps[hi-1]
		out = append(out, run.Point{Step: last.Step, Epoch: last.Epoch, Loss: p.Loss / k, CE: p.CE / k, EReal: p.EReal / k, ESample: p.ESample / k, LR: p.LR / k})
	}
	return out
}

// readEvaluation reads one kept evaluation's figures.
func readEvaluation(name string, e run.Evaluation) (evaluationInfo, error) {
	f, err := os.Open(e.JSON)
	if err != nil {
		return evaluationInfo{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return evaluationInfo{}, err
	}
	info := evaluationInfo{ID: e.ID, Time: st.ModTime().UTC(), JSON: evaluationURL(name, e.ID, filepath.Base(e.JSON))}
	if t, err := time.Parse("20060102T150405Z", e.ID[:min(len(e.ID), 16)]); err == nil {
		info.Time = t
	}
	if err := json.NewDecoder(io.LimitReader(f, maxEvalJSON)).Decode(&info.evalFigures); err != nil {
		return evaluationInfo{}, fmt.Errorf("%s: %w", e.JSON, err)
	}
	if _, err := os.Stat(e.Report); err == nil {
		info.Report = evaluationURL(name, e.ID, filepath.Base(e.Report))
	}
	return info, nil
}

func evaluationURL(name, id, file string) string {
	return "/api/runs/" + name + "/evaluations/" + id + "/" + file
}

// evaluationFile serves a kept evaluation's eval.json or report.html.
func (s *Server) evaluationFile(w http.ResponseWriter, r *http.Request) {
	dir, err := s.runDir(r.PathValue("name"))
	if err != nil {
		s.failRun(w, err)
		return
	}
	id, file := r.PathValue("id"), r.PathValue("file")
	if !run.ValidEvaluation(id) {
		s.fail(w, http.StatusNotFound, fmt.Errorf("evaluation %q: %w", id, errNotFound))
		return
	}
	e := run.Dir(dir).Evaluation(id)
	var path string
	switch file {
	case filepath.Base(e.JSON):
		path = e.JSON
	case filepath.Base(e.Report):
		path = e.Report
	default:
		s.fail(w, http.StatusNotFound, fmt.Errorf("file %q: not a file of an evaluation", file))
		return
	}
	s.serveRunFile(w, r, dir, path)
}

// checkpoint sends a run's checkpoint as a download.
func (s *Server) checkpoint(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	dir, err := s.runDir(name)
	if err != nil {
		s.failRun(w, err)
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.ebm"`)
	s.serveRunFile(w, r, dir, run.Dir(dir).Checkpoint())
}

// deleteRequest confirms a deletion by the run's name, typed.
type deleteRequest struct {
	Confirm string `json:"confirm"`
}

// deleteRun removes a run's folder, unless it trains (here or in another
// process): the folder is locked while it goes.
func (s *Server) deleteRun(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var req deleteRequest
	if err := readJSON(r, &req); err != nil {
		s.fail(w, http.StatusBadRequest, err)
		return
	}
	if req.Confirm != name {
		s.fail(w, http.StatusBadRequest, fmt.Errorf("type the run's name, %q, to delete it", name))
		return
	}
	dir, err := s.runDir(name)
	if err != nil {
		s.failRun(w, err)
		return
	}
	if err := s.training.busyWith(name); err != nil {
		s.fail(w, http.StatusConflict, err)
		return
	}
	lock, err := run.LockDir(dir)
	var held *run.LockedError
	if errors.As(err, &held) {
		s.fail(w, http.StatusConflict, fmt.Errorf("run %q is being trained by another process: stop it first", name))
		return
	}
	if err != nil {
		s.fail(w, http.StatusInternalServerError, err)
		return
	}
	err = os.RemoveAll(dir)
	lock.Release()
	s.models.forget(name)
	if err != nil {
		s.fail(w, http.StatusInternalServerError, fmt.Errorf("run %q: %w", name, err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"deleted": name})
}
